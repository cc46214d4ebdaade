// What may be written to a host's long-lived shell, and how a command's output is cut out of the
// stream: only CLI lines as commands.ts builds them; the frame ends only at this command's marker.
import { describe, expect, it } from 'vitest';
import {
  Framer,
  newMarker,
  nextCallCommand,
  nextNameCommand,
  originateCommand,
  shellLine,
  showChannelsCommand,
  UnsafeCommandError,
} from '../src/index.ts';

const ORIGINATE = originateCommand('asterisk', {
  extension: '151',
  number: '375440000001',
  originateContext: 'web-originate',
  outboundContext: 'inoffice',
});

describe('shellLine', () => {
  it('is the CLI line with stdin from /dev/null, stderr merged, then the marker and $?', () => {
    const m = newMarker();
    expect(shellLine(ORIGINATE, m)).toBe(
      `asterisk -rx "channel originate Local/151@web-originate application Dial Local/375440000001@inoffice" </dev/null 2>&1; printf '\\n%s %d\\n' ${m} $?\n`,
    );
    expect(shellLine(nextCallCommand('/usr/sbin/asterisk', '151', '375440000001'), m)).toMatch(
      /^\/usr\/sbin\/asterisk -rx "database put extcall nextcall_151 375440000001" <\/dev\/null/,
    );
    expect(shellLine(showChannelsCommand('asterisk'), m).split('\n')).toHaveLength(2); // one line
    expect(shellLine(nextNameCommand('asterisk', '151', 'Иванов..Пётр-Петя'), m)).toMatch(
      /^asterisk -rx "database put extcall nextname_151 Иванов\.\.Пётр-Петя" <\/dev\/null/,
    );
  });

  it.each([
    ['a second line', `${ORIGINATE}\nid`],
    ['a trailing newline', `${ORIGINATE}\n`],
    ['a semicolon', `${ORIGINATE}; id`],
    ['command substitution', 'asterisk -rx "core show $(id)"'],
    ['backticks', 'asterisk -rx "core show `id`"'],
    ['a quote inside', 'asterisk -rx "core" show "version"'],
    ['single quotes', "asterisk -rx 'core show version'"],
    ['a redirection', 'asterisk -rx "core show version" > /tmp/x'],
    ['a pipe', 'asterisk -rx "core show version" | sh'],
    ['another program', 'sh -rx "core show version"'],
    ['a relative binary', 'bin/asterisk -rx "core show version"'],
    ['no CLI command', 'asterisk -rx ""'],
    ['anything else', 'true'],
    ['letters outside the nextname value', 'asterisk -rx "core show Пётр"'],
    ['a space in the nextname value', 'asterisk -rx "database put extcall nextname_151 Иванов Пётр"'],
    ['a quote in the nextname value', 'asterisk -rx "database put extcall nextname_151 Иванов"..x"'],
    ['a $ in the nextname value', 'asterisk -rx "database put extcall nextname_151 Иванов..$(id)"'],
    ['a backslash in the nextname value', 'asterisk -rx "database put extcall nextname_151 Иванов\\"'],
    ['a newline in the nextname value', 'asterisk -rx "database put extcall nextname_151 Иванов\nid"'],
  ])('refuses %s', (_label, command) => {
    expect(() => shellLine(command, newMarker())).toThrow(UnsafeCommandError);
  });

  it('refuses a marker that is not a fresh one of ours', () => {
    expect(() => shellLine(ORIGINATE, 'fleet-end-x; id')).toThrow(UnsafeCommandError);
  });

  it('draws a different marker every time', () => {
    expect(new Set(Array.from({ length: 1000 }, newMarker)).size).toBe(1000);
  });
});

describe('Framer', () => {
  const m = 'fleet-end-0123456789abcdef0123456789abcdef';

  it('cuts the output and the exit status at the marker, in whatever chunks they come', () => {
    const stream = `Usage: channel originate\nmore\n\n${m} 0\n`;
    for (let size = 1; size <= stream.length; size++) {
      const f = new Framer(m);
      let got = null;
      for (let i = 0; i < stream.length && !got; i += size) got = f.push(Buffer.from(stream.slice(i, i + size)));
      expect(got).toEqual({ output: 'Usage: channel originate\nmore\n', code: 0, rest: '' });
    }
  });

  it('is not fooled by output that imitates a marker (another one, an old one, or ours without the status line)', () => {
    const f = new Framer(m);
    const fake = `\nfleet-end-ffffffffffffffffffffffffffffffff 0\n${m}x 0\n\n${m} nope\n`;
    expect(f.push(fake)).toBeNull();
    expect(f.push(`tail\n${m} 127\n`)).toEqual({ output: `${fake}tail`, code: 127, rest: '' });
  });

  it('reports what follows the frame (the shell is then retired)', () => {
    expect(new Framer(m).push(`\n${m} 1\nstray`)).toEqual({ output: '', code: 1, rest: 'stray' });
  });

  it('keeps multi-byte characters split across chunks', () => {
    const bytes = Buffer.from(`Абонент\n${m} 0\n`);
    const f = new Framer(m);
    expect(f.push(bytes.subarray(0, 3))).toBeNull();
    expect(f.push(bytes.subarray(3))).toMatchObject({ output: 'Абонент', code: 0 });
  });
});
