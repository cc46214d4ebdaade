// The Asterisk CLI lines the fleet runs on a host, built only from validated parts. Facts from
// shared/domain/asterisk-events.md ("The Asterisk CLI over SSH"): `asterisk -rx` exits 0 even when an
// originate fails, so any output of `channel originate` is a failure and success is confirmed from
// `core show channels concise`.
import { DIALPLAN_NAME_RE, EXTENSION_RE } from '@fleet/validate';

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
  if (!re.test(value))
    throw new UnsafeCommandError(`refusing to put ${what} ${JSON.stringify(value)} on a command line`);
  return value;
}

const CLI_RE = /^[A-Za-z0-9_ @/.-]+$/;

/**
 * Exactly the lines `rx` and nextNameCommand build: `<binary> -rx "<cli>"` with BINARY_RE and CLI_RE
 * parts, or the nextname `database put` whose value is DIALPLAN_NAME_RE (letters of any script, ASCII
 * digits, `-`, `..`) — no newline, quote, `$`, `;`, backtick, backslash or redirection can be in one.
 * The persistent shell (shell.ts) writes only lines that match this.
 */
export const CLI_LINE_RE =
  /^(?:asterisk|\/[A-Za-z0-9_./-]{1,200}) -rx "(?:[A-Za-z0-9_ @/.-]+|database put extcall nextname_[0-9]{2,6} [\p{L}0-9-]+(?:\.\.[\p{L}0-9-]+)*)"$/u;

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
  return rx(
    binary,
    `database put extcall nextcall_${must(EXTENSION_RE, extension, 'extension')} ${must(NUMBER_RE, number, 'number')}`,
  );
}

/**
 * `asterisk -rx "database put extcall nextname_<ext> <name>"`: the client's display name for the
 * manager's phone (read as ${DB(extcall/nextname_<ext>)}); `name` as dialplanName makes it.
 */
export function nextNameCommand(binary: string, extension: string, name: string): string {
  must(BINARY_RE, binary, 'asterisk binary');
  const ext = must(EXTENSION_RE, extension, 'extension');
  if (Array.from(name).length > 64) throw new UnsafeCommandError('refusing a display name longer than 64 characters');
  const line = `${binary} -rx "database put extcall nextname_${ext} ${must(DIALPLAN_NAME_RE, name, 'display name')}"`;
  if (!CLI_LINE_RE.test(line)) throw new UnsafeCommandError(`refusing CLI line ${JSON.stringify(line)}`);
  return line;
}

export const showChannelsCommand = (binary: string) => rx(binary, 'core show channels concise');
export const showVersionCommand = (binary: string) => rx(binary, 'core show version');

/** `database put` answers exactly this on success. */
export const DB_PUT_OK = 'Updated database successfully';

/**
 * The Local channels of originates to `<ext>@<ctx>` that `core show channels concise` lists (fields
 * separated by `!`): `Local/<ext>@<ctx>-<id>` for the pair `…;1`/`…;2`, each once.
 */
export function originateChannels(concise: string, extension: string, originateContext: string): Set<string> {
  const prefix = `Local/${extension}@${originateContext}-`;
  const out = new Set<string>();
  for (const line of concise.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    out.add(line.split('!', 1)[0]!.replace(/;[12]$/, ''));
  }
  return out;
}

/**
 * True when `after` lists an originate channel of `<ext>@<ctx>` that `before` (taken just before the
 * originate) did not: only a NEW channel confirms, so a still-running older call of the same extension
 * cannot confirm an originate that failed silently (Local channel ids only grow until a restart).
 */
export function newOriginateChannelSeen(
  before: ReadonlySet<string>,
  after: string,
  extension: string,
  originateContext: string,
): boolean {
  for (const c of originateChannels(after, extension, originateContext)) if (!before.has(c)) return true;
  return false;
}
