// What may reach a host's command line: only validated ASCII digits and known-safe names.
import { describe, expect, it } from 'vitest';
import {
  checkExtension,
  checkPhone,
  createLimiter,
  dialplanName,
  fingerprint,
  newOriginateChannelSeen,
  nextNameCommand,
  originateChannels,
  originateCommand,
  parseHostKey,
  sanitizeName,
  UnsafeCommandError,
} from '../src/index.ts';

describe('checkPhone', () => {
  it.each([
    ['+375 (44) 000-00-01', 'BY', '375440000001'],
    ['375440000001', 'BY', '375440000001'],
    ['8 029 123-45-67', 'BY', '375291234567'],
    ['375291234567', 'RU', '375291234567'], // PITFALLS: 11+ digits failing in the region are retried as international
    ['+7 916 123-45-67', 'BY', '79161234567'],
    ['8 916 123 45 67', 'RU', '79161234567'],
  ])('%s (%s) → %s', (raw, region, want) => expect(checkPhone(raw, region)).toEqual({ ok: true, value: want }));

  it.each([
    '101',
    '+7101',
    '٣٧٥٤٤٠٠٠٠٠٠١',
    '375440000001;id',
    '+3754400000011234',
    '',
    ' ',
    'x'.repeat(41),
    '375-44-000-00-01\n',
  ])('refuses %j', (raw) => {
    expect(checkPhone(raw, 'BY').ok).toBe(false);
  });
  it('refuses non-strings', () => expect(checkPhone(['375440000001'], 'BY').ok).toBe(false));
});

describe('checkExtension', () => {
  it('accepts 2–6 ASCII digits only', () => {
    expect(checkExtension('151')).toEqual({ ok: true, value: '151' });
    expect(checkExtension('123456').ok).toBe(true);
    for (const bad of ['1', '1234567', '15a', '１５１', '151\n', ' 151', undefined, 151])
      expect(checkExtension(bad).ok).toBe(false);
  });
});

describe('originateCommand', () => {
  const spec = {
    extension: '151',
    number: '375440000001',
    originateContext: 'web-originate',
    outboundContext: 'inoffice',
  };
  it('is exactly the documented line', () => {
    expect(originateCommand('asterisk', spec)).toBe(
      'asterisk -rx "channel originate Local/151@web-originate application Dial Local/375440000001@inoffice"',
    );
    expect(originateCommand('/usr/sbin/asterisk', spec)).toMatch(/^\/usr\/sbin\/asterisk -rx /);
  });
  it('throws rather than build a line from unvalidated parts', () => {
    expect(() => originateCommand('asterisk', { ...spec, number: '375440000001;id' })).toThrow(UnsafeCommandError);
    expect(() => originateCommand('asterisk', { ...spec, extension: '151"' })).toThrow(UnsafeCommandError);
    expect(() => originateCommand('asterisk', { ...spec, outboundContext: 'in office' })).toThrow(UnsafeCommandError);
    expect(() => originateCommand('asterisk; reboot', spec)).toThrow(UnsafeCommandError);
  });
});

describe('sanitizeName', () => {
  it('removes what a naive dialplan split chokes on and caps at 64', () => {
    expect(sanitizeName('Иванов, "Пётр"; A|B\n\tC\u0000')).toBe('Иванов Пётр A B C');
    expect(Array.from(sanitizeName('я'.repeat(100))).length).toBe(64);
    expect(sanitizeName(42)).toBe('');
  });
});

describe('dialplanName (the display name on a command line)', () => {
  it.each([
    ['Иванов Пётр', 'Иванов..Пётр'],
    // getcustomerdata's comma incident, and everything a shell or the Asterisk CLI would read
    ['Иванов, ООО; "Рога|Копыта"\nПётр', 'Иванов..ООО..Рога..Копыта..Пётр'],
    ['$(reboot) `id` \\ x; y & z > /tmp/a', 'reboot..id..x..y..z..tmp..a'],
    ['Петров-Водкин К.С.', 'Петров-Водкин..К..С'],
    ['--help', 'help'],
    ['José Müller', 'José Müller'.replace(' ', '..')],
    ['O\u0301scar', 'Óscar'], // NFC first: the combining accent joins its letter
    ['١٢٣ ٣', ''], // no letters of any script, no ASCII digits: nothing
    ['Anna\u200bLee\u202e', 'Anna..Lee'], // zero-width and bidi controls are separators, never kept
    ['', ''],
    [42, ''],
  ])('%j → %j', (raw, want) => expect(dialplanName(raw)).toBe(want));

  it('caps at 64 characters by whole words; a single longer word is cut', () => {
    const name = dialplanName('Константинопольский '.repeat(6));
    expect(name).toBe('Константинопольский..Константинопольский..Константинопольский');
    expect(Array.from(dialplanName('я'.repeat(100)))).toHaveLength(64);
  });

  it('nextNameCommand takes only what dialplanName makes', () => {
    expect(nextNameCommand('asterisk', '151', 'Иванов..Пётр')).toBe(
      'asterisk -rx "database put extcall nextname_151 Иванов..Пётр"',
    );
    for (const bad of ['Иванов Пётр', 'a"b', 'a;b', '$(id)', '', '..a', 'a..', 'я'.repeat(65)]) {
      expect(() => nextNameCommand('asterisk', '151', bad)).toThrow(UnsafeCommandError);
    }
    expect(() => nextNameCommand('asterisk', '15a', 'Anna')).toThrow(UnsafeCommandError);
  });
});

describe('originate confirmation: only a new channel counts', () => {
  const line = (id: string, half: 1 | 2, ctx = 'web-originate') =>
    `Local/151@${ctx}-${id};${half}!x!s!1!Up!Dial!!!!3!0!!1700000000.1`;
  it('collects the Local pairs of the extension and context once each', () => {
    const concise = [
      line('0000000a', 1),
      line('0000000a', 2),
      line('0000000b', 2),
      line('0000000c', 2, 'other'),
      'PJSIP/151-00000001!x',
    ].join('\n');
    expect([...originateChannels(concise, '151', 'web-originate')]).toEqual([
      'Local/151@web-originate-0000000a',
      'Local/151@web-originate-0000000b',
    ]);
  });
  it('an old channel still up is not a new one', () => {
    const before = originateChannels(line('0000000a', 2), '151', 'web-originate');
    expect(
      newOriginateChannelSeen(before, [line('0000000a', 1), line('0000000a', 2)].join('\n'), '151', 'web-originate'),
    ).toBe(false);
    expect(
      newOriginateChannelSeen(before, [line('0000000a', 2), line('0000000d', 2)].join('\n'), '151', 'web-originate'),
    ).toBe(true);
    expect(newOriginateChannelSeen(before, line('0000000d', 2, 'other'), '151', 'web-originate')).toBe(false);
  });
});

describe('host keys', () => {
  const blob = Buffer.concat([
    Buffer.from([0, 0, 0, 11]),
    Buffer.from('ssh-ed25519'),
    Buffer.from([0, 0, 0, 32]),
    Buffer.alloc(32, 7),
  ]).toString('base64');
  it('parses known_hosts forms and rejects garbage', () => {
    expect(parseHostKey(`ssh-ed25519 ${blob}`)).toEqual({ type: 'ssh-ed25519', blob });
    expect(parseHostKey(`[10.0.0.5]:2222 ssh-ed25519 ${blob} comment`)).toEqual({ type: 'ssh-ed25519', blob });
    expect(parseHostKey(`ssh-rsa ${blob}`)).toBeNull(); // the blob says ed25519
    expect(parseHostKey('ssh-ed25519 !!!')).toBeNull();
    expect(fingerprint(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('limiter', () => {
  it('limits, queues, and refuses beyond the queue or the wait', async () => {
    const l = createLimiter(1, 1, () => new Error('busy'));
    const r1 = await l.acquire(1000);
    const p2 = l.acquire(1000);
    await expect(l.acquire(1000)).rejects.toThrow('busy');
    r1();
    const r2 = await p2;
    await expect(l.acquire(20)).rejects.toThrow('busy');
    r2();
    expect(l.active).toBe(0);
  });
});
