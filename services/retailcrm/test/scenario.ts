// A recorded scenario as the RetailCRM service receives it: the host events of
// shared/fixtures/asterisk-scenarios run through the call model's public API, each effect that
// reaches the CRM turned into the gateway's forward body (call-intake's effectToDelivery: a ringing
// that adds extensions → dial, the end → hangup; customer calls only).
import { readFileSync } from 'node:fs';
import { normalizeHostEvent, type HostEventType } from '@fleet/asterisk-events';
import { advanceTime, applyEvents, emptyState, type CallEffect, type ModelState } from '@fleet/call-model';

const FIXTURES = new URL('../../../../shared/fixtures/asterisk-scenarios/', import.meta.url);

interface FixtureEvent {
  event: HostEventType;
  body: Record<string, unknown>;
  t?: number;
}

function loadScenario(code: string): FixtureEvent[] {
  const index = JSON.parse(readFileSync(new URL('_index.json', FIXTURES), 'utf8')) as { code: string; file: string }[];
  const entry = index.find((e) => e.code === code);
  if (!entry) throw new Error(`no scenario ${code}`);
  return JSON.parse(readFileSync(new URL(entry.file, FIXTURES), 'utf8')) as FixtureEvent[];
}

/** The forward bodies of scenario `code` for `enterprise`, in the order the gateway would send them. */
export function scenarioBodies(code: string, enterprise: string) {
  const t0 = Date.UTC(2025, 8, 13, 12, 0, 0);
  const events = loadScenario(code).map((e, i) =>
    normalizeHostEvent(e.event, e.body, { seq: i + 1, receivedAt: t0 + (e.t ?? i * 0.5) * 1000 }),
  );
  let { state, effects } = applyEvents(emptyState(), events, {}) as { state: ModelState; effects: CallEffect[] };
  // Time passes as it would live (the settle and close deadlines fire in turn), then a day: calls the
  // host never hung up (2-5, 2-14, 2-17) close by the model's deadline.
  const last = Math.max(...events.map((e) => e.receivedAt));
  for (const dt of [1_000, 3_000, 10_000, 60_000, 86_400_000]) {
    const r = advanceTime(state, last + dt, {});
    state = r.state;
    effects = [...effects, ...r.effects];
  }
  return effects.flatMap((e) => {
    if (e.call.kind !== 'customer') return [];
    const base = {
      enterprise,
      callId: e.call.callId,
      call: e.call,
      record_url: null,
      origin: 'live',
      dedup_key: e.key,
    };
    if (e.type === 'call.ringing' && e.newExtensions.length)
      return [{ ...base, event_type: 'dial', new_extensions: e.newExtensions }];
    if (e.type === 'call.ended') return [{ ...base, event_type: 'hangup', new_extensions: [] }];
    return [];
  });
}
