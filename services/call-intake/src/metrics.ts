// call-intake's series for /metrics (issue 8). Route outcomes come from hooks; the group commit,
// dispatcher and Telegram numbers are read on scrape from their existing stats objects, and the outbox
// lag from one cheap query over the partial index of pending rows.
import type { FastifyInstance } from 'fastify';
import { HOST_EVENT_TYPES } from '@fleet/asterisk-events';
import type { Sql } from '@fleet/db';
import { sharedReading } from '@fleet/metrics';

const HOST_ROUTES = new Set<string>(HOST_EVENT_TYPES.map((t) => `/${t}`));

/** Registers call-intake's metrics on `app.metrics`; call before the routes are registered (hooks). */
export function registerIntakeMetrics(app: FastifyInstance, sql: Sql): void {
  const m = app.metrics;
  const events = m.counter(
    'fleet_intake_events_total',
    'Host event posts answered, by event type and outcome (accepted = committed or an exact retransmission; rejected = 4xx; failed = 5xx) and error code',
    ['type', 'outcome', 'code'],
  );
  const codes = new WeakMap<object, string>();
  app.addHook('onError', async (req, _reply, err) => {
    codes.set(req, (err as { code?: string }).code ?? 'ERROR');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    const known = route !== undefined && HOST_ROUTES.has(route);
    if (!known && (route !== undefined || req.method !== 'POST')) return;
    const status = reply.statusCode;
    events.inc({
      type: known ? route.slice(1) : 'unknown',
      outcome: status < 300 ? 'accepted' : status < 500 ? 'rejected' : 'failed',
      code: status < 300 ? '' : (codes.get(req) ?? (known ? `HTTP_${status}` : 'INTAKE_UNKNOWN_EVENT')),
    });
  });

  const store = () => app.eventStore.stats;
  m.counterFrom(
    'fleet_intake_commit_batches_total',
    'Group-commit transactions (one INSERT of a batch of events)',
    [],
    () => store().batches,
  );
  m.counterFrom(
    'fleet_intake_commit_events_total',
    'Events written by group commit (÷ batches = mean batch size)',
    [],
    () => store().events,
  );
  m.counterFrom(
    'fleet_intake_commit_duplicates_total',
    'Exact retransmissions found by the idempotency key',
    [],
    () => store().duplicates,
  );
  m.gaugeFrom('fleet_intake_commit_max_batch', 'Largest group-commit batch since start', [], () => store().maxBatch);
  m.counterFrom('fleet_intake_dispatch_total', 'Outbox rows sent to the gateway, by result', ['result'], () => [
    [{ result: 'sent' }, app.dispatcher.stats.sent],
    [{ result: 'failed' }, app.dispatcher.stats.failed],
  ]);

  const outbox = sharedReading(async () => {
    const [row] = await sql<{ pending: number; oldest_s: number | null; unprocessed: number }[]>`
      select (select count(*)::int from intake_outbox where status = 'pending') as pending,
             (select extract(epoch from now() - min(created_at))::float from intake_outbox where status = 'pending') as oldest_s,
             (select count(*)::int from call_events where processed_at is null) as unprocessed`;
    return row!;
  });
  m.gaugeFrom(
    'fleet_intake_outbox_pending',
    'intake_outbox rows not yet acknowledged by the gateway',
    [],
    async () => (await outbox()).pending,
  );
  m.gaugeFrom(
    'fleet_intake_outbox_lag_seconds',
    'Age of the oldest pending intake_outbox row (0 when none)',
    [],
    async () => (await outbox()).oldest_s ?? 0,
  );
  m.gaugeFrom(
    'fleet_intake_events_unprocessed',
    'Committed host events the call processor has not applied yet',
    [],
    async () => (await outbox()).unprocessed,
  );

  const telegram = () => app.telegram.worker.stats;
  m.counterFrom(
    'fleet_telegram_requests_total',
    'Bot API requests made by the card worker',
    [],
    () => telegram().requests,
  );
  m.counterFrom(
    'fleet_telegram_429_total',
    'Bot API 429 (flood limit) answers; each pauses the bot for retry_after',
    [],
    () => telegram().floods,
  );
  m.counterFrom(
    'fleet_telegram_failures_total',
    'Bot API requests that failed otherwise',
    [],
    () => telegram().failures,
  );
}
