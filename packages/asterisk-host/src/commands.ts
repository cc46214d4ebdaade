// The Asterisk CLI lines the fleet runs on a host, built only from validated parts. Facts from
// shared/domain/asterisk-events.md ("The Asterisk CLI over SSH"): `asterisk -rx` exits 0 even when an
// originate fails, so any output of `channel originate` is a failure and success is confirmed from
// `core show channels concise`.
import { EXTENSION_RE } from './dial-input.ts';

/** A dialplan context name: letters, digits, `_`, `-` (no spaces, no `@`, no `/`). */
export const CONTEXT_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** The asterisk binary: `asterisk` or an absolute path of safe characters. */
export const BINARY_RE = /^(asterisk|\/[A-Za-z0-9_./-]{1,200})$/;
const NUMBER_RE = /^[0-9]{7,15}$/;

export interface OriginateSpec {
  /** 2–6 digits. */
  extension: string;
  /** 7–15 digits (E.164 without `+`). */
  number: string;
  originateContext: string;
  outboundContext: string;
}

/** Thrown when a caller skipped validation: a programming error, never sent to a host. */
export class UnsafeCommandError extends Error {
  readonly code = 'AST_UNSAFE_COMMAND';
}

function must(re: RegExp, value: string, what: string): string {
  if (!re.test(value)) throw new UnsafeCommandError(`refusing to put ${what} ${JSON.stringify(value)} on a command line`);
  return value;
}

const CLI_RE = /^[A-Za-z0-9_ @/.-]+$/;

/**
 * Exactly the lines `rx` builds: `<binary> -rx "<cli>"` with BINARY_RE and CLI_RE parts — no newline,
 * quote, `$`, `;`, backtick or redirection can be in one. The persistent shell (shell.ts) writes only
 * lines that match this.
 */
export const CLI_LINE_RE = /^(?:asterisk|\/[A-Za-z0-9_./-]{1,200}) -rx "[A-Za-z0-9_ @/.-]+"$/;

/** `<binary> -rx "<cli command>"`; the CLI command contains only characters the regexes above allow. */
function rx(binary: string, cli: string): string {
  must(BINARY_RE, binary, 'asterisk binary');
  if (!CLI_RE.test(cli)) throw new UnsafeCommandError(`refusing CLI command ${JSON.stringify(cli)}`);
  return `${binary} -rx "${cli}"`;
}

/** `asterisk -rx "channel originate Local/<ext>@<ctx> application Dial Local/<number>@<outbound>"`. */
export function originateCommand(binary: string, s: OriginateSpec): string {
  const ext = must(EXTENSION_RE, s.extension, 'extension');
  const num = must(NUMBER_RE, s.number, 'number');
  const octx = must(CONTEXT_RE, s.originateContext, 'originate context');
  const out = must(CONTEXT_RE, s.outboundContext, 'outbound context');
  return rx(binary, `channel originate Local/${ext}@${octx} application Dial Local/${num}@${out}`);
}

/** `asterisk -rx "database put extcall nextcall_<ext> <number>"` (read by dialplans as ${DB(extcall/nextcall_<ext>)}). */
export function nextCallCommand(binary: string, extension: string, number: string): string {
  return rx(binary, `database put extcall nextcall_${must(EXTENSION_RE, extension, 'extension')} ${must(NUMBER_RE, number, 'number')}`);
}

export const showChannelsCommand = (binary: string) => rx(binary, 'core show channels concise');
export const showVersionCommand = (binary: string) => rx(binary, 'core show version');

/** `database put` answers exactly this on success. */
export const DB_PUT_OK = 'Updated database successfully';

/**
 * True when `core show channels concise` lists a channel of our originate: the Local channel pair
 * `Local/<ext>@<ctx>-<id>;1|;2` (fields separated by `!`).
 */
export function originateChannelSeen(concise: string, extension: string, originateContext: string): boolean {
  const prefix = `Local/${extension}@${originateContext}-`;
  return concise.split('\n').some((line) => line.startsWith(prefix));
}
