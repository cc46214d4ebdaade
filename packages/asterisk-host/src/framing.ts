// Framing of commands written to a long-lived `sh` on a host (shell.ts). Each command is one line:
//   <cli line> </dev/null 2>&1; printf '\n%s %d\n' <marker> $?
// so the command cannot read what we write next (stdin is /dev/null), its stderr is merged into the
// output (the exec path's answer is stdout + stderr too), and the end of its output and its exit status
// are framed by a marker drawn fresh from the CSPRNG for this command alone: output that imitates a
// marker (an earlier one, or any guess) is just output, because only this one ends the frame.
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { CLI_LINE_RE, UnsafeCommandError } from './commands.ts';

/** A fresh end marker: `fleet-end-` + 128 random bits in hex. */
export const newMarker = (): string => `fleet-end-${randomBytes(16).toString('hex')}`;

const MARKER_RE = /^fleet-end-[0-9a-f]{32}$/;

/**
 * The line written to the shell for `command`. @throws UnsafeCommandError unless `command` is exactly
 * an Asterisk CLI line as commands.ts builds it (CLI_LINE_RE) and `marker` is one of newMarker's.
 */
export function shellLine(command: string, marker: string): string {
  if (!CLI_LINE_RE.test(command))
    throw new UnsafeCommandError(`refusing to write ${JSON.stringify(command)} to a host shell`);
  if (!MARKER_RE.test(marker)) throw new UnsafeCommandError('bad end marker');
  return `${command} </dev/null 2>&1; printf '\\n%s %d\\n' ${marker} $?\n`;
}

export interface Frame {
  /** The command's output (stdout and stderr merged), as received, without the framing newline. */
  output: string;
  /** The exit status `$?` (a signal shows as 128 + its number, as the shell reports it). */
  code: number;
  /** Anything received after the frame: should be empty; if not, the shell is not in a known state. */
  rest: string;
}

/** Accumulates one command's output chunks until its frame `\n<marker> <status>\n` is complete. */
export class Framer {
  private text = '';
  private readonly decoder = new StringDecoder('utf8');
  private readonly end: string;
  private searchFrom = 0;

  constructor(marker: string) {
    this.end = `\n${marker} `;
  }

  /** Adds a chunk; returns the frame once complete (null until then). */
  push(chunk: Buffer | string): Frame | null {
    this.text += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    for (;;) {
      const at = this.text.indexOf(this.end, this.searchFrom);
      if (at < 0) {
        // Only the tail can still hold the start of the marker: keep rescans linear in the output size.
        this.searchFrom = Math.max(this.searchFrom, this.text.length - this.end.length);
        return null;
      }
      const nl = this.text.indexOf('\n', at + this.end.length);
      if (nl < 0) {
        this.searchFrom = at;
        return null;
      }
      const status = this.text.slice(at + this.end.length, nl);
      // Our printf writes `%d` of `$?`; anything else there is not our frame: look further.
      if (/^\d{1,3}$/.test(status))
        return { output: this.text.slice(0, at), code: Number(status), rest: this.text.slice(nl + 1) };
      this.searchFrom = at + 1;
    }
  }
}
