// One click-to-call on a host: optional `database put extcall nextcall_<ext>`, `channel originate`,
// then confirmation from `core show channels concise`. Rules from shared/domain/asterisk-events.md
// ("The Asterisk CLI over SSH"): exit 0 proves nothing; ANY output of `channel originate` is a failure;
// exit 1 means the daemon is down; 127 means the binary is not where we were told.
import {
  DB_PUT_OK,
  nextCallCommand,
  originateChannelSeen,
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
}

const answerOf = (r: ExecResult) => [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n');

function requireRunning(r: ExecResult, h: EnterpriseHost): void {
  if (r.code === 0) return;
  if (r.code === 127) throw new AsteriskDownError(`the asterisk binary was not found on the host at "${h.binary}" (exit 127): set its path`);
  throw new AsteriskDownError(`asterisk -rx failed with exit ${r.code ?? 'signal'}: ${answerOf(r) || 'no output'}`);
}

/**
 * Sends the originate. Resolves when the host accepted it (no output, exit 0).
 * @throws HostError (connect/command/breaker), AsteriskDownError, NextCallFailedError, OriginateRefusedError.
 */
export async function sendOriginate(pool: HostPool, h: EnterpriseHost, q: OriginateRequest): Promise<void> {
  if (h.setNextcall) {
    const r = await pool.exec(h.target, nextCallCommand(h.binary, q.extension, q.number));
    requireRunning(r, h);
    if (r.stdout.trim() !== DB_PUT_OK) throw new NextCallFailedError(answerOf(r) || 'no output');
  }
  const r = await pool.exec(
    h.target,
    originateCommand(h.binary, { extension: q.extension, number: q.number, originateContext: h.originateContext, outboundContext: h.outboundContext }),
  );
  requireRunning(r, h);
  const answer = answerOf(r);
  if (answer) throw new OriginateRefusedError(answer.slice(0, 500));
}

/**
 * Looks for the originated Local channel until `windowMs` has passed (at least one look). Resolves
 * true when seen; false when not seen in time or when the host could not be asked (the reply then
 * says `accepted`, never an error: the call may well be ringing).
 */
export async function confirmOriginate(
  pool: HostPool,
  h: EnterpriseHost,
  q: OriginateRequest,
  windowMs: number,
  pollMs: number,
  stopped: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + windowMs;
  for (;;) {
    try {
      const r = await pool.exec(h.target, showChannelsCommand(h.binary));
      if (r.code === 0 && originateChannelSeen(r.stdout, q.extension, h.originateContext)) return true;
    } catch {
      // The host may be busy or flapping; the record keeps `accepted` and a later look may succeed.
    }
    if (stopped() || Date.now() + pollMs > deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
