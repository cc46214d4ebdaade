// Measurement 3 (and the gateway's and retailcrm's RSS for 7): a host's POST /dial → the popup
// (telephony/call/event) received by the strict RetailCRM fake, through call-intake → gateway →
// retailcrm as separate processes, at fixed call rates (open loop). Both stamps are taken in this
// process with one clock: the send time at the generator, the receive time when the fake stores the
// event (its `events` array is observed, so the stamp is sub-millisecond, not the fake's Date.now()).
import { readdirSync, readFileSync } from 'node:fs';
import { createSql, createTestDatabase } from '@fleet/db';
import { createRetailCrmFake } from '@fleet/retailcrm-fake';
import { fleetServices } from '../../packages/cli/src/fleet-services.ts';
import { freePort } from '../e2e/harness.ts';
import {
  cpuSeconds,
  dist,
  keepAliveAgent,
  now,
  openLoop,
  postJson,
  rssSampler,
  Services,
  sleep,
  type Dist,
} from './lib.ts';

/**
 * CPU seconds of the run's embedded PostgreSQL: the postmaster and its live children (backends,
 * walwriter…), from /proc. NaN when the server is not ours (DATABASE_URL given; run.ts sets BENCH_PG_DATA otherwise). A backend that exits
 * between two readings takes its CPU with it; the services keep theirs for the whole measurement.
 */
function postgresCpuSeconds(): number {
  try {
    const master = Number(readFileSync(`${process.env.BENCH_PG_DATA}/postmaster.pid`, 'utf8').split('\n')[0]);
    let total = cpuSeconds(master);
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master) total += cpuSeconds(Number(d));
      } catch {
        /* gone */
      }
    }
    return total;
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of the whole machine (all cores, every process, ours or not), from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

// 50 enterprises by default, each with its own API key: 500 calls/s is 10/s per key, under RetailCRM's
// 40/s. Every call stays ringing (dials only), so each enterprise's live calls grow through the run:
// with 5 enterprises, 320 each after the 200 calls/s step and 1 120 after the 500 calls/s step — a call
// centre's state, where a per-enterprise cost shows.
const DEFAULT_ENTERPRISES = 50;

export interface EndToEndRate {
  rate: number;
  seconds: number;
  accepted: number;
  delivered: number;
  /** Host POST → 200 from call-intake (intended send time → answer). */
  intake: Dist;
  /** Host POST (intended send time) → call/event stored by the fake. */
  endToEnd: Dist;
  /** CPU seconds from the rate's start until its last delivery (or the end of the wait): each service, and `postgres`. */
  cpuSecondsPerService: Record<string, number>;
  /** That window (s), and how busy the whole machine was in it (%, all cores, other runs included). */
  windowS: number;
  machineBusyPct: number;
  /** Where the time goes: ms after call-intake stored the dial (database clock), p50 / p99: processed (model applied, outbox row committed), crm_attempt (retailcrm journalled the call/event, just before it left), delivered (the outbox row done); crm_to_done is the CRM request plus the answer's way back. */
  stages: Record<string, [number, number]>;
}
export interface EndToEndResult {
  /** Enterprises the calls were spread over (each with its own API key). */
  enterprises: number;
  outgoing: boolean;
  rates: EndToEndRate[];
  rssMb: Record<string, number>;
  errors: string[];
}

/** `inspect` (diagnosis) runs against the database after the load, before it is dropped. */
export async function benchEndToEnd(o: {
  rates: number[];
  seconds: number;
  enterprises?: number;
  /**
   * Outgoing calls (a desk phone dialling a client, issue 13) instead of incoming ones: the popup must
   * leave at once, not after the call model's 2 s FollowMe hold. Each call from its own extension (no call
   * here ever ends, and a manager still in a call is exactly when a new dial may be a transfer's leg).
   */
  outgoing?: boolean;
  profile?: boolean;
  inspect?: (sql: ReturnType<typeof createSql>) => Promise<void>;
}): Promise<EndToEndResult> {
  const ENTERPRISES = o.enterprises ?? DEFAULT_ENTERPRISES;
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 2 });
  const keys = Array.from({ length: ENTERPRISES }, (_, i) => ({
    key: `bench-crm-key-${String(i).padStart(4, '0')}-0123456789`,
  }));
  // Fewer enterprises carry more calls per API key: the fake's per-key limit and ours are raised to match
  // (what is measured is the fleet's path, not RetailCRM's limit).
  const perKey = Math.max(40, Math.ceil((Math.max(...o.rates) / ENTERPRISES) * 2));
  const crm = createRetailCrmFake({
    apiKeys: keys,
    users: [{ id: 18, active: true }],
    rateLimitPerSecond: { telephony: perKey },
  });
  const crmUrl = await crm.listen(0);
  // When the fake stores a call/event, stamp it (first event of each call).
  const received = new Map<string, number>();
  const events = crm.state.events;
  events.push = (...items) => {
    const t = now();
    for (const it of items)
      if (it.event.callExternalId && !received.has(it.event.callExternalId)) received.set(it.event.callExternalId, t);
    return Array.prototype.push.apply(events, items);
  };
  const rows = keys.map(({ key }, i) => ({
    number: String(60000 + i),
    name: `bench ${i}`,
    host_token: `e2e-token-${i}`,
    timezone: 'Europe/Minsk',
    integrations_config: {
      retailcrm: {
        enabled: true,
        domain: crmUrl,
        api_key: key,
        client_id: `client-${i}`,
        user_extensions: { '18': '151' },
      },
    },
  }));
  for (const r of rows) {
    await sql`insert into enterprises (number, name, host_token, timezone, integrations_config)
              values (${r.number}, ${r.name}, ${r.host_token}, ${r.timezone}, ${sql.json(r.integrations_config)})`;
  }
  const ports = { callIntake: await freePort(), gateway: await freePort(), retailcrm: await freePort() };
  const svc = new Services(process.env.BENCH_PROFILE_DIR);
  const pids: Record<string, number> = {};
  const agent = keepAliveAgent(1024);
  try {
    const specs = fleetServices(db.url, ports, {
      LOG_LEVEL: 'warn',
      FLEET_DATA_DIR: `${process.env.BENCH_TMP}/e2e-${ENTERPRISES}`,
      RETAILCRM_RATE_TELEPHONY: String(perKey),
    });
    for (const spec of specs) {
      const env = spec.name === 'retailcrm' ? { ...spec.env, NODE_ENV: 'test' } : spec.env;
      pids[spec.name] = await svc.start({ ...spec, env }, o.profile ?? false);
    }
    const rss = rssSampler(pids);
    const out: EndToEndRate[] = [];
    let seq = 0;
    const dial = (call: number) =>
      JSON.stringify(
        o.outgoing
          ? {
              Token: `e2e-token-${call % ENTERPRISES}`,
              UniqueId: `1900000000.${call}`,
              CallType: 1,
              Phone: `37544${String(call).padStart(7, '0')}`,
              Extensions: [String(1000 + (call % 9000))],
              Trunk: '0001363',
              ExtTrunk: '',
              ExtPhone: '',
            }
          : {
              Token: `e2e-token-${call % ENTERPRISES}`,
              UniqueId: `1900000000.${call}`,
              CallType: 0,
              Phone: '375440000001',
              Extensions: ['150', '151', '152'],
              Trunk: '0001363',
              ExtTrunk: '',
              ExtPhone: '375440000001',
            },
      );
    // Warm-up: a few calls per enterprise (JIT, connection pools, the gateway's cache, the CRM client).
    const warm = await openLoop(100, 2, () =>
      postJson(agent, ports.callIntake, '/dial', dial(++seq)).then((s) => s === 200),
    );
    const warmIds = Array.from({ length: warm.sent }, (_, i) => `1900000000.${i + 1}`);
    for (let w = 0; w < 100 && warmIds.some((id) => !received.has(id)); w++) await sleep(100);
    for (const rate of o.rates) {
      const sent = new Map<string, number>();
      const intakeLat: number[] = [];
      const cpuNow = () => ({
        ...Object.fromEntries(Object.entries(pids).map(([n, p]) => [n, cpuSeconds(p)])),
        postgres: postgresCpuSeconds(),
      });
      const cpu0 = cpuNow();
      const jiffies0 = machineJiffies();
      const t0 = now();
      const first = seq + 1;
      const res = await openLoop(rate, o.seconds, async (_i, intended) => {
        const call = ++seq;
        sent.set(`1900000000.${call}`, intended);
        const st = await postJson(agent, ports.callIntake, '/dial', dial(call));
        intakeLat.push(now() - intended);
        return st === 200;
      });
      const ids = Array.from({ length: seq - first + 1 }, (_, k) => `1900000000.${first + k}`);
      for (let w = 0; w < 300 && ids.some((id) => !received.has(id)); w++) await sleep(100);
      const cpu1 = cpuNow();
      const jiffies1 = machineJiffies();
      const windowS = (now() - t0) / 1000;
      const st = await sql<Record<string, number>[]>`
        select extract(epoch from (e.processed_at - e.received_at)) * 1000 as processed,
               extract(epoch from (l.created_at - e.received_at)) * 1000 as crm_attempt,
               extract(epoch from (o.delivered_at - e.received_at)) * 1000 as delivered,
               extract(epoch from (o.delivered_at - l.created_at)) * 1000 as crm_to_done
        from call_events e join intake_outbox o on o.call_id = e.unique_id and o.event_type = 'dial'
             left join lateral (select min(created_at) as created_at from integration_logs
                                where call_id = e.unique_id and kind = 'call.event') l on true
        where e.event_type = 'dial' and e.unique_id = any(${ids})`;
      const stages: Record<string, [number, number]> = {};
      for (const k of ['processed', 'crm_attempt', 'delivered', 'crm_to_done']) {
        // Undelivered rows have null stamps (Number(null) would count them as 0 ms).
        const d = dist(
          st
            .map((row) => row[k])
            .filter((v) => v !== null && v !== undefined)
            .map(Number)
            .filter(Number.isFinite),
        );
        stages[k] = [d.p50, d.p99];
      }
      const lat = ids.filter((id) => received.has(id)).map((id) => received.get(id)! - sent.get(id)!);
      out.push({
        rate,
        seconds: o.seconds,
        accepted: res.ok,
        delivered: lat.length,
        intake: dist(intakeLat),
        endToEnd: dist(lat),
        stages,
        cpuSecondsPerService: Object.fromEntries(
          Object.entries(cpu1).map(([n, c]) => [n, c - cpu0[n as keyof typeof cpu0]!]),
        ),
        windowS,
        machineBusyPct: (100 * (jiffies1.busy - jiffies0.busy)) / Math.max(1, jiffies1.total - jiffies0.total),
      });
      await sleep(1000);
    }
    await o.inspect?.(sql);
    const rejected = crm.state.rejections.slice(0, 3).map((r) => `${r.status} ${r.reason} ${r.errorMsg}`);
    return {
      enterprises: ENTERPRISES,
      outgoing: o.outgoing ?? false,
      rates: out,
      rssMb: rss.stop(),
      errors: [...svc.errors.slice(0, 5), ...rejected],
    };
  } finally {
    agent.destroy();
    await svc.stop();
    await crm.close();
    await sql.end();
    await db.drop();
  }
}
