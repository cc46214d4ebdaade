// GET|POST /api/makecallexternal?code=<ext>&phone=<number>&clientId=<enterprise secret>: the
// predecessor's contract (callers: retailcrm's make-call and Telegram, on loopback). Everything is
// validated before a host is touched; only validated digits (and a whitelisted display name) reach
// the command line. The whole request fits in a deadline: a caller hears our reason, not its timeout.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkExtension, checkPhone, dialplanName } from '@fleet/asterisk-host';
import { EnterpriseInactiveError, InvalidRequestError, UnauthorizedError } from '../errors.ts';
import { confirmOriginate, originateMayHaveRun, sendOriginate, type Sent } from '../domain/originate.ts';
import { createClickLock } from '../domain/click-lock.ts';
import { loopbackOnly } from './loopback-only.ts';
import { managerReason } from '../manager-reasons.ts';

/** The reply, success or not (the predecessor's fields plus status, correlation_id and code). */
export interface MakeCallReply {
  success: boolean;
  message: string;
  enterprise_number: string | null;
  from_ext: string | null;
  to_phone: string | null;
  response_time_ms: number;
  /** confirmed: the channel was seen on the host; accepted: the host took it, confirmation pending. */
  status?: 'confirmed' | 'accepted';
  correlation_id?: string;
  code?: string;
  /** On failure: a plain Russian reason for the manager, nothing about the host (manager-reasons.ts). */
  manager_reason?: string;
}

const REQUESTED_BY = /^(api|crm:[0-9]{1,12}|telegram:[0-9]{1,20})$/;
const CORRELATION = /^[A-Za-z0-9_-]{8,64}$/;
/** A caller's own deadline (ms): at least enough for one warm command, at most a minute. */
const DEADLINE_MS = /^[0-9]{3,5}$/;
const MAX_RAW_NAME = 500;

/** The predecessor's reply shape for a failure decided before the handler ran (403, unparsable body). */
export function failureReply(
  err: Error & { statusCode?: number; code?: string },
  elapsedMs: number,
): { status: number; body: MakeCallReply } {
  const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
  const known = status < 500 || err.code?.startsWith('AST_');
  const code = known ? (err.code ?? 'AST_BAD_REQUEST') : 'AST_INTERNAL';
  return {
    status,
    body: {
      success: false,
      message: known ? err.message : 'internal error',
      enterprise_number: null,
      from_ext: null,
      to_phone: null,
      response_time_ms: Math.round(elapsedMs),
      code,
      manager_reason: managerReason(code),
    },
  };
}

/** An error no caller or host explains: uncoded, AST_INTERNAL, or a command line we refused to build. */
const isDefect = (err: { code?: string }) =>
  !err.code?.startsWith('AST_') || err.code === 'AST_INTERNAL' || err.code === 'AST_UNSAFE_COMMAND';

type Params = Record<string, unknown>;

function paramsOf(request: FastifyRequest): Params {
  const body = request.body && typeof request.body === 'object' ? (request.body as Params) : {};
  return { ...(request.query as Params), ...body };
}

const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? null : v === undefined ? undefined : null);

export default async function makeCallExternalRoutes(app: FastifyInstance): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  const clickLock = createClickLock(app.sql);
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true;
    await Promise.allSettled([...pending]);
  });
  // These routes only (encapsulated): the loopback hook's 403 and the body parser's errors come back
  // in the same shape as the handler's answers, as the predecessor's callers parse them.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const { status, body } = failureReply(err, reply.elapsedTime);
    if (status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: body.code, reason: body.message }, 'request refused');
    return reply.code(status).send(body);
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<MakeCallReply> => {
    const t0 = performance.now();
    const p = paramsOf(request);
    const out: MakeCallReply = {
      success: false,
      message: '',
      enterprise_number: null,
      from_ext: null,
      to_phone: null,
      response_time_ms: 0,
    };
    const done = (status: number, fields: Partial<MakeCallReply>): MakeCallReply => {
      reply.code(status);
      return Object.assign(out, fields, { response_time_ms: Math.round(performance.now() - t0) });
    };
    const fail = (err: Error & { statusCode?: number; code?: string }) => {
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      // README "Log levels": a host that fails or refuses is expected (warn, the reason, no stack); an
      // uncoded error or a command we refused to build is a defect (error, with its stack).
      if (isDefect(err)) request.log.error({ err, enterprise: out.enterprise_number }, 'originate failed: defect');
      else if (status >= 500)
        request.log.warn(
          { code: err.code, reason: err.message, enterprise: out.enterprise_number },
          'originate failed',
        );
      else request.log.info({ code: err.code, reason: err.message }, 'originate refused');
      const code = err.code ?? 'AST_INTERNAL';
      return done(status, {
        success: false,
        message: status === 500 && !err.code?.startsWith('AST_') ? 'internal error' : err.message,
        code,
        manager_reason: managerReason(code),
      });
    };

    let correlationId: string | undefined;
    let accepted = false;
    try {
      const code = str(p.code);
      const phone = str(p.phone);
      const clientId = str(p.clientId);
      const requestedBy = str(p.requestedBy) ?? 'api';
      const wantedId = str(p.correlationId);
      const rawName = str(p.clientName);
      const wantedDeadline = str(p.deadlineMs);
      const ext = checkExtension(code);
      if (!ext.ok) throw new InvalidRequestError(ext.reason);
      if (typeof phone !== 'string') throw new InvalidRequestError('phone is missing');
      if (requestedBy === null || !REQUESTED_BY.test(requestedBy))
        throw new InvalidRequestError('requestedBy must be api, crm:<id> or telegram:<id>');
      if (wantedId !== undefined && (wantedId === null || !CORRELATION.test(wantedId)))
        throw new InvalidRequestError('correlationId must be 8-64 of [A-Za-z0-9_-]');
      if (rawName === null || (rawName !== undefined && rawName.length > MAX_RAW_NAME))
        throw new InvalidRequestError(`clientName must be one string of at most ${MAX_RAW_NAME} characters`);
      if (
        wantedDeadline !== undefined &&
        (wantedDeadline === null ||
          !DEADLINE_MS.test(wantedDeadline) ||
          Number(wantedDeadline) < 500 ||
          Number(wantedDeadline) > 60_000)
      ) {
        throw new InvalidRequestError('deadlineMs must be 500 to 60000');
      }
      const c = app.astConfig;
      const deadlineMs = Math.min(
        c.ASTERISK_REQUEST_DEADLINE_MS,
        wantedDeadline === undefined ? Infinity : Number(wantedDeadline),
      );
      // Measured from the request's arrival (Date.now() - reply.elapsedTime): body parsing counts too.
      const deadline = Math.round(Date.now() - reply.elapsedTime + deadlineMs);
      if (typeof clientId !== 'string' || clientId === '') throw new UnauthorizedError();
      const h = await app.enterpriseHosts.bySecret(clientId);
      if (!h) throw new UnauthorizedError();
      out.enterprise_number = h.enterprise;
      out.from_ext = ext.value;
      if (!h.active) throw new EnterpriseInactiveError(h.enterprise);
      const num = checkPhone(phone, h.region);
      if (!num.ok) throw new InvalidRequestError(num.reason);
      out.to_phone = num.value;

      correlationId = wantedId ?? randomUUID();
      out.correlation_id = correlationId;
      const q = { extension: ext.value, number: num.value, name: dialplanName(rawName ?? ''), deadline };
      const log = request.log.child({ enterprise: h.enterprise, correlationId, extension: q.extension });
      await app.originateRecords.create({
        correlationId,
        enterprise: h.enterprise,
        extension: q.extension,
        phone: q.number,
        requestedBy,
      });
      // The puts, the originate and the confirming look of one click are one unit per (host,
      // extension) when the host keeps nextcall/nextname: no other click of the extension interleaves.
      const place = async (): Promise<{ sent: Sent; confirmed: boolean; latencyMs: number }> => {
        const sent = await sendOriginate(app.hosts, h, q);
        accepted = true;
        const latencyMs = Math.round(performance.now() - t0);
        // Confirmation waits at most ASTERISK_CONFIRM_WAIT_MS and never past the deadline (less a
        // margin for the reply): the call is accepted already, the answer must not be late.
        const wait = str(p.wait) === '0' ? 0 : Math.min(c.ASTERISK_CONFIRM_WAIT_MS, deadline - Date.now() - 100);
        const confirmed = wait > 0 && (await confirmOriginate(app.hosts, h, q, sent, wait, c.ASTERISK_CONFIRM_POLL_MS));
        return { sent, confirmed, latencyMs };
      };
      const lockKey = `${h.target.host}:${h.target.port}:${q.extension}`;
      const { sent, confirmed, latencyMs } = h.setNextcall
        ? await clickLock.run(lockKey, deadline, q.extension, place)
        : await place();
      if (sent.nameRefused)
        log.warn(
          { hostAnswer: sent.nameRefused },
          'the host did not store the display name (nextname); the call went ahead',
        );
      await app.originateRecords.finish(correlationId, { status: confirmed ? 'confirmed' : 'accepted', latencyMs });
      if (!confirmed) {
        // Keep looking in the background; the record gets the verdict.
        const id = correlationId;
        const later = confirmOriginate(
          app.hosts,
          h,
          q,
          sent,
          c.ASTERISK_CONFIRM_LATER_MS,
          c.ASTERISK_CONFIRM_POLL_MS,
          () => closing,
        )
          .then((seen) => app.originateRecords.finish(id, { status: seen ? 'confirmed' : 'unconfirmed' }))
          // confirmOriginate never throws: this is the record's verdict lost (error: lost work).
          .catch((err) => log.error({ err }, 'late confirmation could not be recorded'))
          .finally(() => pending.delete(later));
        pending.add(later);
      }
      log.info({ status: confirmed ? 'confirmed' : 'accepted', latencyMs }, 'originate sent');
      return done(200, {
        success: true,
        status: confirmed ? 'confirmed' : 'accepted',
        message: confirmed ? 'call started' : 'call accepted by the host; waiting for it to start',
      });
    } catch (err) {
      const e = err as Error & { statusCode?: number; code?: string };
      if (correlationId && !accepted) {
        // An originate cut off on its way may have run anyway: 'unknown'. Anything failing before it
        // (the look at the channels, nextcall, the deadline) never sent it: 'failed'.
        const status = originateMayHaveRun(e) ? 'unknown' : 'failed';
        await app.originateRecords
          .finish(correlationId, {
            status,
            errorCode: e.code ?? 'AST_INTERNAL',
            hostAnswer: e.message,
            latencyMs: Math.round(performance.now() - t0),
          })
          .catch((dbErr) => request.log.error({ err: dbErr }, 'originate record update failed'));
      }
      return fail(e);
    }
  };

  app.get('/api/makecallexternal', { onRequest: loopbackOnly }, handler);
  app.post('/api/makecallexternal', { onRequest: loopbackOnly }, handler);
}
