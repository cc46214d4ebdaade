import type { FastifyInstance } from 'fastify';
import {
  eventIdempotencyKey,
  extractToken,
  HOST_EVENT_TYPES,
  validateHostBody,
  type HostEventType,
} from '@fleet/asterisk-events';
import {
  InactiveEnterprise,
  InvalidEvent,
  MalformedBody,
  MissingToken,
  StorageUnavailable,
  UnknownToken,
} from '../errors.ts';
import { journalUnresolved } from '../journal/plugin.ts';

const ACCEPTED = { status: 'ok', message: 'Event queued for processing' } as const;

/**
 * `POST /start /dial /bridge /hangup /bridge_create /bridge_leave /bridge_destroy /new_callerid`, as
 * hosts send them (shared/domain/asterisk-events.md). The body is JSON whatever the Content-Type says
 * (old dialplan curl posts send x-www-form-urlencoded or nothing), so this scope replaces every body
 * parser by one that keeps the raw text. The 200 goes out only after the event is committed.
 */
export default async function hostEventRoutes(app: FastifyInstance, opts: { bodyLimit: number }) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: opts.bodyLimit }, (_req, body, done) =>
    done(null, body),
  );

  for (const type of HOST_EVENT_TYPES) {
    app.post(`/${type}`, { bodyLimit: opts.bodyLimit }, async (req) => {
      const receivedAt = Date.now();
      const body = parseBody(req.body);
      const token = extractToken(body, req.headers.token);
      if (!token) throw new MissingToken();
      let enterprise;
      try {
        enterprise = await app.directory.byToken(token);
      } catch (err) {
        req.log.error({ err }, 'token lookup failed');
        // PostgreSQL down and the token not cached: journaled unresolved, resolved (or refused) at drain.
        const valid = validateHostBody(type, body);
        if (!valid.ok) throw new InvalidEvent(valid.reason);
        await journalUnresolved(app, { type, body, token, receivedAt }, err);
        return ACCEPTED;
      }
      if (!enterprise) throw new UnknownToken();
      if (!enterprise.active) throw new InactiveEnterprise(enterprise.number);
      const valid = validateHostBody(type, body);
      if (!valid.ok) throw new InvalidEvent(valid.reason);
      await store(app, req.log, { type, body, enterprise: enterprise.number, receivedAt });
      return ACCEPTED;
    });
  }
}

function parseBody(raw: unknown): Record<string, unknown> {
  const text = typeof raw === 'string' ? raw.replace(/^\uFEFF/, '') : '';
  if (!text.trim()) throw new MalformedBody('empty body');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // JSON.parse's message quotes the text around the error, which may be part of the host token
    // (a form-encoded `Token=…` post): only the position goes back, and to the log.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new MalformedBody(at ? `syntax error at position ${at}` : 'syntax error');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MalformedBody('not a JSON object');
  return body as Record<string, unknown>;
}

async function store(
  app: FastifyInstance,
  log: FastifyInstance['log'],
  ev: { type: HostEventType; body: Record<string, unknown>; enterprise: string; receivedAt: number },
): Promise<void> {
  const uniqueId = typeof ev.body.UniqueId === 'string' ? ev.body.UniqueId : String(ev.body.UniqueId ?? '');
  try {
    const { id } = await app.eventStore.append({
      enterprise: ev.enterprise,
      type: ev.type,
      uniqueId,
      idempotencyKey: eventIdempotencyKey(ev.type, ev.body),
      body: ev.body,
      receivedAt: ev.receivedAt,
    });
    log.debug(
      { enterprise: ev.enterprise, uniqueId, event: ev.type, eventId: id, duplicate: id === null },
      'event stored',
    );
  } catch (err) {
    log.error({ err, enterprise: ev.enterprise, uniqueId }, 'event not stored');
    throw (err as { code?: string }).code === 'INTAKE_JOURNAL_FULL' ? err : new StorageUnavailable();
  }
}
