// Measurement 8: per-event cost of the gateway with 1, 100 and 10 000 enterprises in its enablement
// cache. A gateway process per size (its start-up full reload fills the cache), then autocannon
// POSTs /dispatch/call-event spread evenly over all the enterprises. The enterprises have no
// integration switched on, so the path measured is the one that depends on the cache (schema check,
// cache lookup, answer): the forward that follows for an enabled integration costs the same whatever
// the cache holds. Reported: req/s, latency, CPU ms per event of
// the gateway process (from /proc), its RSS, and the cache's own counters.
import autocannon from 'autocannon';
import { createSql, createTestDatabase } from '@fleet/db';
import { freePort } from '../e2e/harness.ts';
import { cpuSeconds, rssMb, Services } from './lib.ts';

export interface GrowthRow {
  enterprises: number;
  cacheEntries: number;
  rps: number;
  p50: number;
  p99: number;
  cpuUsPerEvent: number;
  rssMb: number;
  hitRate: number;
}

export async function benchGrowth(o: { sizes: number[]; seconds: number }): Promise<GrowthRow[]> {
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 2 });
  const svc = new Services();
  const rows: GrowthRow[] = [];
  let have = 0;
  try {
    for (const size of o.sizes) {
      const add = Array.from({ length: size - have }, (_, k) => ({
        number: String(100000 + have + k),
        name: `g${have + k}`,
        host_token: `g-token-${have + k}`,
      }));
      for (let i = 0; i < add.length; i += 1000) await sql`insert into enterprises ${sql(add.slice(i, i + 1000))}`;
      have = size;
      const port = await freePort();
      const name = `gateway-${size}`;
      const pid = await svc.start({
        name,
        entry: 'services/integration-gateway/src/server.ts',
        healthUrl: `http://127.0.0.1:${port}/health`,
        env: {
          DATABASE_URL: db.url,
          GATEWAY_PORT: String(port),
          LOG_LEVEL: 'warn',
          RETAILCRM_URL: 'http://127.0.0.1:9',
        },
      });
      let n = 0;
      const body = () => {
        const e = n++ % size;
        return JSON.stringify({
          enterprise: String(100000 + e),
          callId: `1700000000.${n}`,
          event_type: 'dial',
          dedup_key: `d-${n}`,
          record_url: null,
          origin: 'live',
          new_extensions: ['151'],
          call: {
            callId: `1700000000.${n}`,
            kind: 'customer',
            direction: 'in',
            phone: '375440000001',
            trunk: '0001363',
            ringing: ['151'],
            status: 'ringing',
            answered: false,
            answeredBy: null,
            result: null,
            startedAt: 1_700_000_000_000,
            durationSec: null,
            waitSec: null,
          },
        });
      };
      const shoot = (seconds: number) =>
        autocannon({
          url: `http://127.0.0.1:${port}`,
          connections: 20,
          duration: seconds,
          requests: [
            {
              method: 'POST',
              path: '/dispatch/call-event',
              headers: { 'content-type': 'application/json' },
              setupRequest: (req) => ({ ...req, body: body() }),
            },
          ],
        });
      await shoot(1); // warm-up (JIT); every enterprise's entry is already cached by the start-up reload
      const before = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as Record<string, unknown>;
      const cpu0 = cpuSeconds(pid);
      const r = await shoot(o.seconds);
      const cpu = cpuSeconds(pid) - cpu0;
      const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as Record<string, unknown>;
      const cache = (s: Record<string, unknown>) =>
        (s.cache ?? s.enablement ?? {}) as { hits?: number; misses?: number; size?: number; entries?: number };
      const hits = (cache(stats).hits ?? 0) - (cache(before).hits ?? 0);
      const misses = (cache(stats).misses ?? 0) - (cache(before).misses ?? 0);
      if (r.non2xx) throw new Error(`${r.non2xx} non-2xx answers from the gateway`);
      rows.push({
        enterprises: size,
        cacheEntries: cache(stats).size ?? cache(stats).entries ?? NaN,
        rps: r.requests.total / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        cpuUsPerEvent: (cpu * 1e6) / r.requests.total,
        rssMb: rssMb(pid),
        hitRate: hits / Math.max(1, hits + misses),
      });
      await svc.supervisor.stopService(name);
    }
    return rows;
  } finally {
    await svc.stop();
    await sql.end();
    await db.drop();
  }
}
