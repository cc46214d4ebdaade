// Regression (fault suite, PostgreSQL restart): the CRM had performed a step but recording it done
// failed, so the step ran again when its lease expired — a second hangup event at RetailCRM, whose
// call/event has no idempotency key. The mark is now retried while the lease is held.
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSql, createTestDatabase, type Sql, type TestDatabase } from '@fleet/db';
import { RetailCrmError } from '@fleet/retailcrm-client';
import { integrationLogsPlugin } from '../src/plugins/integration-logs.ts';
import { stepsPlugin } from '../src/plugins/steps.ts';

let db: TestDatabase;
let sql: Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url);
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

/** `sql`, except that the first `failures` "done" updates reject as a dropped connection would. */
function flakyDone(real: Sql, failures: number): Sql {
  const wrapped = (first: unknown, ...rest: unknown[]) => {
    if (Array.isArray(first) && 'raw' in first && first.join('').includes("set status = 'done'") && failures-- > 0) {
      return Promise.reject(Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }));
    }
    return (real as unknown as (...a: unknown[]) => unknown)(first, ...rest);
  };
  return Object.assign(wrapped, real) as unknown as Sql;
}

it('records a performed step as done even when the first attempt to record it fails', async () => {
  const app = Fastify();
  await app.register(
    fp(
      async (a) => {
        a.decorate('sql', flakyDone(sql, 2));
        a.decorate('rcrmConfig', { RETAILCRM_STEP_LEASE_MS: 10_000 } as unknown as typeof a.rcrmConfig);
      },
      { name: 'retailcrm-core' },
    ),
  );
  await app.register(integrationLogsPlugin);
  await app.register(stepsPlugin);
  await app.ready();
  let performed = 0;
  const key = { enterprise: '1', callId: 'c-1', step: 'event:hangup' };
  // One step run as the client performs it: the attempt is journalled (claiming the step) before it is sent.
  const perform = async () => {
    const journal = app.rcrmLogs.journal({
      enterprise: '1',
      kind: 'call.event',
      callId: 'c-1',
      phone: '',
      apiKey: 'k',
      step: { name: key.step, leaseMs: 10_000, repeatable: false },
    });
    return app.rcrmSteps.run(
      key,
      journal,
      async () => {
        try {
          await journal.begin({
            attemptId: `a-${performed}`,
            method: 'POST',
            url: 'https://crm.example/api/v5/telephony/call/event',
            path: '/api/v5/telephony/call/event',
            request: {},
            attempt: 1,
          });
        } catch (err) {
          throw new RetailCrmError({ code: 'RCRM_NOT_SENT', transient: true, message: 'not sent', cause: err });
        }
        performed++;
      },
      { repeatable: false },
    );
  };
  expect(await perform()).toBe('done');
  expect(await perform()).toBe('already_done');
  expect(performed).toBe(1);
  const [row] = await sql`select status from retailcrm_call_steps where call_id = 'c-1'`;
  expect(row!.status).toBe('done');
  await app.close();
});
