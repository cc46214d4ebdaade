// One click-to-call on a host: a look at the channels already up, optional `database put extcall
// nextcall_<ext>` and `nextname_<ext>`, `channel originate`, then confirmation from `core show
// channels concise`. Rules from shared/domain/asterisk-events.md ("The Asterisk CLI over SSH"): exit 0
// proves nothing; ANY output of `channel originate` is a failure; exit 1 means the daemon is down; 127
// means the binary is not where we were told. Every command runs within the request's deadline.
import {
  DB_PUT_OK,
  newOriginateChannelSeen,
  nextCallCommand,
  nextNameCommand,
  originateChannels,
  originateCommand,
  showChannelsCommand,
  type ExecResult,
  type HostPool,
} from '@fleet/asterisk-host';
import { AsteriskDownError, NextCallFailedError, OriginateRefusedError } from '../errors.ts';
import type { EnterpriseHost } from '../plugins/enterprise-hosts.ts';

export interface OriginateRequest {
  extension: string;
  /** Validated E.164 digits without '+'. */
  number: string;
  /** The client's display name as dialplanName made it ('' = unknown: the number is shown instead). */
  name: string;
  /** Epoch ms by which every host command of this request must be over. */
  deadline: number;
}

/** What the host had before the originate: the Local channels of this extension already up. */
export interface Sent {
  before: ReadonlySet<string>;
  /** The host did not store the display name (the call went ahead: the name is cosmetic). */
  nameRefused?: string;
}

const answerOf = (r: ExecResult) => [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n');

function requireRunning(r: ExecResult, h: EnterpriseHost): void {
  if (r.code === 0) return;
  if (r.code === 127)
    throw new AsteriskDownError(
      `the asterisk binary was not found on the host at "${h.binary}" (exit 127): set its path`,
    );
  throw new AsteriskDownError(`asterisk -rx failed with exit ${r.code ?? 'signal'}: ${answerOf(r) || 'no output'}`);
}

/** Marks an error thrown while `channel originate` itself was on its way: it may have run ('unknown'). */
export const originateMayHaveRun = (err: unknown): boolean =>
  (err as { originateMayHaveRun?: boolean })?.originateMayHaveRun === true;

/**
 * Sends the originate. Resolves when the host accepted it (no output, exit 0), with the channels that
 * were up before (so that only a new one confirms it).
 * @throws HostError (connect/command/breaker/deadline), AsteriskDownError, NextCallFailedError,
 * OriginateRefusedError; a timeout of the originate command itself carries originateMayHaveRun.
 */
export async function sendOriginate(pool: HostPool, h: EnterpriseHost, q: OriginateRequest): Promise<Sent> {
  const exec = (command: string) => pool.exec(h.target, command, { deadline: q.deadline });
  const look = await exec(showChannelsCommand(h.binary));
  requireRunning(look, h);
  const before = originateChannels(look.stdout, q.extension, h.originateContext);
  let nameRefused: string | undefined;
  if (h.setNextcall) {
    const r = await exec(nextCallCommand(h.binary, q.extension, q.number));
    requireRunning(r, h);
    if (r.stdout.trim() !== DB_PUT_OK) throw new NextCallFailedError(answerOf(r) || 'no output');
    // Hosts whose dialplan reads ${DB(extcall/nextcall_<ext>)} also show ${DB(extcall/nextname_<ext>)}
    // on the manager's phone. Always written (the number when the name is unknown), so that a stale
    // name of an earlier client is not shown. A refusal (e.g. a forced command that lets only ASCII
    // lines through) does not stop the call: the name is cosmetic, the daemon answered just above.
    const n = await exec(nextNameCommand(h.binary, q.extension, q.name || q.number));
    if (n.code !== 0 || n.stdout.trim() !== DB_PUT_OK) nameRefused = (answerOf(n) || `exit ${n.code}`).slice(0, 500);
  }
  let r: ExecResult;
  try {
    r = await exec(
      originateCommand(h.binary, {
        extension: q.extension,
        number: q.number,
        originateContext: h.originateContext,
        outboundContext: h.outboundContext,
      }),
    );
  } catch (err) {
    const code = (err as { code?: string }).code;
    const opened = (err as { details?: { channelOpened?: boolean } }).details?.channelOpened !== false;
    if (
      opened &&
      (code === 'AST_HOST_COMMAND_TIMEOUT' || code === 'AST_REQUEST_DEADLINE' || code === 'AST_HOST_UNREACHABLE')
    )
      Object.assign(err as object, { originateMayHaveRun: true });
    throw err;
  }
  requireRunning(r, h);
  const answer = answerOf(r);
  if (answer) throw new OriginateRefusedError(answer.slice(0, 500));
  return { before, ...(nameRefused ? { nameRefused } : {}) };
}

/**
 * Looks for a NEW originated Local channel (one not in `sent.before`) until `windowMs` has passed (at
 * least one look). Resolves true when seen; false when not seen in time or when the host could not be
 * asked (the reply then says `accepted`, never an error: the call may well be ringing).
 */
export async function confirmOriginate(
  pool: HostPool,
  h: EnterpriseHost,
  q: Pick<OriginateRequest, 'extension'>,
  sent: Sent,
  windowMs: number,
  pollMs: number,
  stopped: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + windowMs;
  for (;;) {
    try {
      const r = await pool.exec(h.target, showChannelsCommand(h.binary), { deadline });
      if (r.code === 0 && newOriginateChannelSeen(sent.before, r.stdout, q.extension, h.originateContext)) return true;
    } catch {
      // The host may be busy or flapping; the record keeps `accepted` and a later look may succeed.
    }
    if (stopped() || Date.now() + pollMs > deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
