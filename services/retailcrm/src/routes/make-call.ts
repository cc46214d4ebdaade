// makeCallUrl = /retailcrm/make-call (GET query or POST form): a manager clicked a client's number in
// RetailCRM. We find the enterprise by clientId, the extension (code, else the user's mapping), check
// the number, and ask services/asterisk to originate — answering 200 once the host accepted it. The
// asterisk service gets a deadline inside ours, so a slow host comes back as its reason (504), never
// as our own timeout.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkExtension, checkPhone } from '@fleet/validate';
import { askAsterisk } from '../callbacks/asterisk-client.ts';
import { createClickDedup } from '../callbacks/click-dedup.ts';
import { enterpriseByClientId } from '../callbacks/client-id.ts';
import {
  CallbackInvalidError,
  CallbacksDisabledError,
  NoHostError,
  OriginateFailedError,
  UnknownClientIdError,
} from '../callbacks/errors.ts';
import { writeCallbackLog } from '../callbacks/journal.ts';
import { withinOr, type CustomerLookup } from '../callbacks/customer-lookup.ts';
import { forManager, MANAGER_TEXTS, publicFailure, type Failure } from '../callbacks/manager-answer.ts';

export interface MakeCallOptions {
  asteriskUrl: string;
  timeoutMs: number;
  dedupMs: number;
  /** The client's name for hosts whose dialplan shows it (set_nextcall), looked up within nameDeadlineMs. */
  lookup: CustomerLookup;
  nameDeadlineMs: number;
}

/** Left for the reply to travel back after the asterisk service's own deadline (ms). */
const REPLY_MARGIN_MS = 1_000;

type Params = Record<string, unknown>;
export const callbackParams = (r: FastifyRequest): Params => ({
  ...(r.query as Params),
  ...(r.body && typeof r.body === 'object' ? (r.body as Params) : {}),
});
const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export default async function makeCallRoutes(app: FastifyInstance, opts: MakeCallOptions): Promise<void> {
  const dedup = createClickDedup(opts.dedupMs);

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const t0 = performance.now();
    const p = callbackParams(request);
    const ent = await enterpriseByClientId(app.sql, p.clientId);
    if (!ent) throw new UnknownClientIdError();
    const { clientId: _secret, ...logged } = p;
    const journal = (statusCode: number, response: unknown, error?: string) =>
      writeCallbackLog(
        app.sql,
        {
          enterprise: ent.enterprise,
          kind: 'make-call',
          phone: one(p.phone) ?? null,
          method: request.method,
          url: '/retailcrm/make-call',
          request: logged,
          statusCode,
          response,
          ok: statusCode === 200,
          error,
          latencyMs: Math.round(performance.now() - t0),
        },
        (err) => request.log.warn({ err }, 'integration_logs write failed'),
      );
    try {
      if (!ent.active || !ent.enabled)
        throw forManager(new CallbacksDisabledError(ent.enterprise), MANAGER_TEXTS.disabled);
      const userId = one(p.userId);
      if (userId !== undefined && !/^\d{1,12}$/.test(userId))
        throw forManager(new CallbackInvalidError('userId must be a number'), MANAGER_TEXTS.badUser);
      const code = one(p.code);
      let extension: string;
      if (code !== undefined && code !== '') {
        const ext = checkExtension(code);
        if (!ext.ok) throw forManager(new CallbackInvalidError(ext.reason), MANAGER_TEXTS.badExtension);
        extension = ext.value;
      } else {
        const mapped = userId ? ent.userExtensions[userId] : undefined;
        if (!mapped)
          throw forManager(
            new CallbackInvalidError(
              userId ? `no extension configured for user ${userId}` : 'neither code nor userId given',
            ),
            MANAGER_TEXTS.noExtension(userId),
          );
        extension = mapped;
      }
      const phone = checkPhone(p.phone, ent.region);
      if (!phone.ok) throw forManager(new CallbackInvalidError(phone.reason), MANAGER_TEXTS.badPhone);
      const [h] = await app.sql<{ originate_secret: string; set_nextcall: boolean }[]>`
        select originate_secret, set_nextcall from asterisk_hosts where enterprise = ${ent.enterprise}`;
      if (!h) throw forManager(new NoHostError(ent.enterprise), MANAGER_TEXTS.noHost(ent.enterprise));

      const key = `${ent.enterprise}|${userId ?? `ext${extension}`}|${phone.value}`;
      const start = async () => {
        // Only hosts whose dialplan shows a name get one; RetailCRM's lookup fails open to "no name".
        const clientName = h.set_nextcall
          ? await withinOr(
              opts.lookup(ent.enterprise, phone.value).then((c) => c.name),
              opts.nameDeadlineMs,
              '',
              (err) =>
                request.log.info(
                  { enterprise: ent.enterprise, reason: (err as Error).message },
                  'make-call: no client name from RetailCRM',
                ),
            )
          : '';
        const left = opts.timeoutMs - (performance.now() - t0);
        const fields: Record<string, string> = {
          code: extension,
          phone: phone.value,
          clientId: h.originate_secret,
          requestedBy: userId ? `crm:${userId}` : 'api',
          correlationId: randomUUID(),
          wait: '0', // RetailCRM wants a quick 200: confirmation lands in the originate record
          deadlineMs: String(Math.round(Math.min(60_000, Math.max(500, left - REPLY_MARGIN_MS)))),
          ...(clientName ? { clientName } : {}),
        };
        return askAsterisk(opts.asteriskUrl, fields, Math.max(1, left)).catch((err: Error & { code?: string }) => {
          // The asterisk service itself is down or hung: still a reason, never a 500.
          const timedOut = err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
          throw forManager(
            Object.assign(new OriginateFailedError(`asterisk service unreachable (${err.code ?? err.message})`), {
              statusCode: timedOut ? 504 : 502,
            }),
            MANAGER_TEXTS.serviceDown,
          );
        });
      };
      // Only a started call holds the 5 s window: after a 400/502/504 a retry tries again.
      const { result, repeated } = await dedup.run(key, start, (r) => r.status === 200);
      if (result.status !== 200) {
        // `message` carries the host's detail (user@host:port, paths, fingerprints): journal and log
        // only. RetailCRM gets the code and the manager's reason the asterisk service wrote for it.
        const detail =
          typeof result.body.message === 'string' ? result.body.message : `asterisk service answered ${result.status}`;
        const astCode = typeof result.body.code === 'string' ? result.body.code : undefined;
        const manager =
          typeof result.body.manager_reason === 'string' ? result.body.manager_reason : MANAGER_TEXTS.generic;
        const err =
          result.status === 400
            ? new CallbackInvalidError(detail)
            : Object.assign(new OriginateFailedError(detail), { statusCode: result.status === 504 ? 504 : 502 });
        throw forManager(Object.assign(err, { astCode }), manager);
      }
      const answer = {
        success: true,
        status: result.body.status,
        correlation_id: result.body.correlation_id,
        from_ext: extension,
        to_phone: phone.value,
        ...(repeated ? { repeated: true } : {}),
      };
      request.log.info({ enterprise: ent.enterprise, userId, extension, repeated }, 'click-to-call started');
      await journal(200, answer);
      return answer;
    } catch (err) {
      // The answer toward RetailCRM (its servers, its UI): a code and the manager's reason, never the
      // host's detail. The full detail goes to our log and the journal (the admin page shows it).
      const f = publicFailure(err as Failure);
      if (f.status >= 500 && !f.expected) request.log.error({ err, enterprise: ent.enterprise }, 'make-call failed');
      else
        request.log[f.status >= 500 ? 'warn' : 'info'](
          { enterprise: ent.enterprise, code: f.body.code, astCode: f.body.reason, reason: f.detail },
          'make-call failed',
        );
      await journal(f.status, f.body, f.detail);
      return reply.code(f.status).send(f.body);
    }
  };

  app.get('/retailcrm/make-call', handler);
  app.post('/retailcrm/make-call', handler);
}
