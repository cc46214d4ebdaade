// Measurement 4: a configuration change committed in PostgreSQL → both gateway instances answer
// GET /integrations/:enterprise with the new state. Two gateway processes on one database; the
// change is an UPDATE of enterprises.integrations_config (the trigger NOTIFYs, each gateway evicts);
// the time runs from just before the UPDATE is sent until both answer the new value (each polled
// every ~1 ms on a keep-alive connection).
import { createSql, createTestDatabase } from '@fleet/db';
import { Agent, request } from 'node:http';
import { freePort } from '../e2e/harness.ts';
import { dist, now, rssSampler, Services, sleep, type Dist } from './lib.ts';

export interface ConfigResult {
  changes: number;
  bothGateways: Dist;
  rssMb: Record<string, number>;
}

const get = (agent: Agent, port: number, path: string) =>
  new Promise<string>((resolve, reject) => {
    request({ agent, host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });

export async function benchConfig(o: { changes: number }): Promise<ConfigResult> {
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 2 });
  const ENTERPRISES = 20;
  for (let i = 0; i < ENTERPRISES; i++) {
    const rc = {
      enabled: false,
      domain: 'https://bench.retailcrm.ru',
      api_key: 'k',
      client_id: `c${i}`,
      user_extensions: {},
    };
    await sql`insert into enterprises (number, name, host_token, integrations_config) values (${String(50000 + i)}, ${'cfg ' + i}, ${'cfg-token-' + i}, ${sql.json({ retailcrm: rc })})`;
  }
  const svc = new Services();
  const ports = [await freePort(), await freePort()];
  const pids: Record<string, number> = {};
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    for (const [k, port] of ports.entries()) {
      pids[`gateway-${k + 1}`] = await svc.start({
        name: `gateway-${k + 1}`,
        entry: 'services/integration-gateway/src/server.ts',
        healthUrl: `http://127.0.0.1:${port}/health`,
        env: {
          DATABASE_URL: db.url,
          GATEWAY_PORT: String(port),
          LOG_LEVEL: 'warn',
          RETAILCRM_URL: 'http://127.0.0.1:9',
        },
      });
    }
    const rss = rssSampler(pids);
    const answer = async (port: number, e: string) =>
      (JSON.parse(await get(agent, port, `/integrations/${e}`)) as { retailcrm: boolean }).retailcrm;
    // Warm both caches.
    for (let i = 0; i < ENTERPRISES; i++) for (const p of ports) await answer(p, String(50000 + i));
    const state = new Map<string, boolean>();
    const lat: number[] = [];
    for (let c = 0; c < o.changes; c++) {
      const e = String(50000 + (c % ENTERPRISES));
      const next = !(state.get(e) ?? false);
      state.set(e, next);
      const t0 = now();
      const done = sql`update enterprises set integrations_config = jsonb_set(integrations_config, '{retailcrm,enabled}', ${sql.json(next)}) where number = ${e}`;
      const seen = ports.map(async (p) => {
        for (;;) {
          if ((await answer(p, e)) === next) return now();
          await sleep(1);
        }
      });
      await done;
      const times = await Promise.all(seen);
      lat.push(Math.max(...times) - t0);
      await sleep(20);
    }
    return { changes: o.changes, bothGateways: dist(lat), rssMb: rss.stop() };
  } finally {
    agent.destroy();
    await svc.stop();
    await sql.end();
    await db.drop();
  }
}
