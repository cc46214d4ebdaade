// GET|POST /api/makecallexternal?code=<ext>&phone=<number>&clientId=<enterprise secret>: the
// predecessor's contract (callers: retailcrm's make-call and Telegram, on loopback). Everything is
// validated before a host is touched; only validated digits reach the command line.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkExtension, checkPhone } from '@fleet/asterisk-host';
import { EnterpriseInactiveError, InvalidRequestError, UnauthorizedError } from '../errors.ts';
import { confirmOriginate, sendOriginate } from '../domain/originate.ts';
import { loopbackOnly } from './loopback-only.ts';

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
}

const REQUESTED_BY = /^(api|crm:[0-9]{1,12}|telegram:[0-9]{1,20})$/;
const CORRELATION = /^[A-Za-z0-9_-]{8,64}$/;

type Params = Record<string, unknown>;

function paramsOf(request: FastifyRequest): Params {
  const body = request.body && typeof request.body === 'object' ? (request.body as Params) : {};
  return { ...(request.query as Params), ...body };
}

const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? null : v === undefined ? undefined : null);

export default async function makeCallExternalRoutes(app: FastifyInstance): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true;
    await Promise.allSettled([...pending]);
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<MakeCallReply> => {
    const t0 = performance.now();
    const p = paramsOf(request);
    const out: MakeCallReply = { success: false, message: '', enterprise_number: null, from_ext: null, to_phone: null, response_time_ms: 0 };
    const done = (status: number, fields: Partial<MakeCallReply>): MakeCallReply => {
      reply.code(status);
      return Object.assign(out, fields, { response_time_ms: Math.round(performance.now() - t0) });
    };
    const fail = (err: Error & { statusCode?: number; code?: string }) => {
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500) request.log.warn({ code: err.code, reason: err.message, enterprise: out.enterprise_number }, 'originate failed');
      else request.log.info({ code: err.code, reason: err.message }, 'originate refused');
      return done(status, { success: false, message: status === 500 && !err.code?.startsWith('AST_') ? 'internal error' : err.message, code: err.code ?? 'AST_INTERNAL' });
    };

    let correlationId: string | undefined;
    let accepted = false;
    try {
      const code = str(p.code);
      const phone = str(p.phone);
      const clientId = str(p.clientId);
      const requestedBy = str(p.requestedBy) ?? 'api';
      const wantedId = str(p.correlationId);
      const ext = checkExtension(code);
      if (!ext.ok) throw new InvalidRequestError(ext.reason);
      if (typeof phone !== 'string') throw new InvalidRequestError('phone is missing');
      if (requestedBy === null || !REQUESTED_BY.test(requestedBy)) throw new InvalidRequestError('requestedBy must be api, crm:<id> or telegram:<id>');
      if (wantedId !== undefined && (wantedId === null || !CORRELATION.test(wantedId))) throw new InvalidRequestError('correlationId must be 8-64 of [A-Za-z0-9_-]');
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
      const q = { extension: ext.value, number: num.value };
      const log = request.log.child({ enterprise: h.enterprise, correlationId, extension: q.extension });
      await app.originateRecords.create({ correlationId, enterprise: h.enterprise, extension: q.extension, phone: q.number, requestedBy });
      await sendOriginate(app.hosts, h, q);
      accepted = true;
      const latencyMs = Math.round(performance.now() - t0);
      const c = app.astConfig;
      const wait = str(p.wait) === '0' ? 0 : c.ASTERISK_CONFIRM_WAIT_MS;
      const confirmed = wait > 0 && (await confirmOriginate(app.hosts, h, q, wait, c.ASTERISK_CONFIRM_POLL_MS));
      await app.originateRecords.finish(correlationId, { status: confirmed ? 'confirmed' : 'accepted', latencyMs });
      if (!confirmed) {
        // Keep looking in the background; the record gets the verdict.
        const id = correlationId;
        const later = confirmOriginate(app.hosts, h, q, c.ASTERISK_CONFIRM_LATER_MS, c.ASTERISK_CONFIRM_POLL_MS, () => closing)
          .then((seen) => app.originateRecords.finish(id, { status: seen ? 'confirmed' : 'unconfirmed' }))
          .catch((err) => log.warn({ err }, 'late confirmation failed'))
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
        // A command timeout may have run the originate anyway: 'unknown', not 'failed'.
        const status = e.code === 'AST_HOST_COMMAND_TIMEOUT' ? 'unknown' : 'failed';
        await app.originateRecords
          .finish(correlationId, { status, errorCode: e.code ?? 'AST_INTERNAL', hostAnswer: e.message, latencyMs: Math.round(performance.now() - t0) })
          .catch((dbErr) => request.log.error({ err: dbErr }, 'originate record update failed'));
      }
      return fail(e);
    }
  };

  app.get('/api/makecallexternal', { onRequest: loopbackOnly }, handler);
  app.post('/api/makecallexternal', { onRequest: loopbackOnly }, handler);
}
