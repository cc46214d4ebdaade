// Measurement 5 (and services/asterisk's RSS for 7): RetailCRM's make-call callback → `channel
// originate` started on the host, over a warm SSH connection. The strict RetailCRM fake clicks (in
// this process); retailcrm and asterisk run as their own processes; the host is a real sshd with the
// asterisk stand-in of services/asterisk/test, which stamps each invocation (epoch ns, same clock).
import { createSql, createTestDatabase } from '@fleet/db';
import { createRetailCrmFake } from '@fleet/retailcrm-fake';
import { freePort } from '../e2e/harness.ts';
import { hostRow, insertHost, SECRET } from '../../services/asterisk/test/fixtures.ts';
import { startTestHost, sshdAvailable } from '../support/sshd.ts';
import { dist, now, rssSampler, Services, type Dist } from './lib.ts';

export interface ClickResult {
  clicks: number;
  toHost: Dist;
  toReply: Dist;
  rssMb: Record<string, number>;
}

const CRM_KEY = 'crm-key-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const CLIENT_ID = 'c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6';

export async function benchClick(o: { clicks: number }): Promise<ClickResult> {
  if (!sshdAvailable()) throw new Error('sshd is needed for measurement 5 (apt-get install openssh-server)');
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 2 });
  const host = await startTestHost();
  const fake = createRetailCrmFake({ apiKeys: [{ key: CRM_KEY }], users: [{ id: 18, active: true }] });
  const crmUrl = await fake.listen();
  const svc = new Services();
  try {
    const rc = {
      enabled: true,
      domain: crmUrl,
      api_key: CRM_KEY,
      client_id: CLIENT_ID,
      user_extensions: { '18': '151' },
    };
    await sql`insert into enterprises (number, name, host_token, phone_region, integrations_config)
              values ('367', 'Acme', 'host-token-367', 'BY', ${sql.json({ retailcrm: rc })})`;
    await insertHost(sql, '367', SECRET, hostRow(host));
    const asteriskPort = await freePort();
    const retailcrmPort = await freePort();
    const pids: Record<string, number> = {};
    pids.asterisk = await svc.start({
      name: 'asterisk',
      entry: 'services/asterisk/src/server.ts',
      healthUrl: `http://127.0.0.1:${asteriskPort}/health`,
      env: {
        DATABASE_URL: db.url,
        ASTERISK_PORT: String(asteriskPort),
        LOG_LEVEL: 'warn',
        ASTERISK_CONFIRM_LATER_MS: '1000',
        ASTERISK_CONFIRM_POLL_MS: '50',
      },
    });
    const retailcrmUrl = `http://127.0.0.1:${retailcrmPort}`;
    pids.retailcrm = await svc.start({
      name: 'retailcrm',
      entry: 'services/retailcrm/src/server.ts',
      healthUrl: `${retailcrmUrl}/health`,
      env: {
        DATABASE_URL: db.url,
        RETAILCRM_PORT: String(retailcrmPort),
        ASTERISK_URL: `http://127.0.0.1:${asteriskPort}`,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
      },
    });
    // What `fleet retailcrm register` puts at RetailCRM: the callbacks and the manager ↔ extension code.
    fake.state.modules['fleet-telephony'] = {
      code: 'fleet-telephony',
      clientId: CLIENT_ID,
      active: true,
      baseUrl: retailcrmUrl,
      integrations: {
        telephony: {
          makeCallUrl: `${retailcrmUrl}/retailcrm/make-call`,
          changeUserStatusUrl: `${retailcrmUrl}/retailcrm/status`,
          additionalCodes: [{ userId: 18, code: '151' }],
        },
      },
    };
    const rss = rssSampler(pids);
    // Warm-up: the first clicks open the SSH connection and warm the JIT.
    for (let i = 0; i < 5; i++) await fake.click({ userId: 18, phone: `+37544900000${i}` });
    const toHost: number[] = [];
    const toReply: number[] = [];
    for (let i = 0; i < o.clicks; i++) {
      await host.clearCalls();
      // A new number each time: repeated clicks on one number within 5 s are folded by design.
      const phone = `+37544${String(1000000 + i).padStart(7, '0')}`;
      const t0 = now();
      const res = await fake.click({ userId: 18, phone });
      const t1 = now();
      if (res.status !== 200) throw new Error(`click ${i}: ${res.status} ${res.body}`);
      const calls = await host.calls();
      const times = await host.times();
      const at = calls.findIndex((c) => c[1]!.startsWith('channel originate'));
      if (at < 0) throw new Error(`click ${i}: no originate on the host`);
      toHost.push(times[at]! - t0);
      toReply.push(t1 - t0);
    }
    return { clicks: o.clicks, toHost: dist(toHost), toReply: dist(toReply), rssMb: rss.stop() };
  } finally {
    await svc.stop();
    await fake.close();
    await host.dispose();
    await sql.end();
    await db.drop();
  }
}
