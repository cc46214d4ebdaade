// The call model's originate seam filled from services/asterisk's records: a CRM-initiated outgoing
// call (scenario 1-2, manager 151 → 375440000001) is marked originatedBy our click when 151 asked for
// that number shortly before — and only then; its events arriving confirm the originate record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql, TestDatabase } from '@fleet/db';
import { originateLookup } from '../src/processor/originates.ts';
import { addEnterprise, intake, scenario, withDatabase } from './helpers.ts';

let db: TestDatabase;
let sql: Sql;
beforeAll(async () => {
  ({ db, sql } = await withDatabase());
  await addEnterprise(sql, '300', 'TOKEN-300');
  await addEnterprise(sql, '301', 'TOKEN-301');
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

async function run(token: string) {
  const app = await intake(sql, {});
  for (const e of scenario('1-2')) {
    const res = await app.inject({ method: 'POST', url: `/${e.event}`, payload: { ...e.body, Token: token } });
    expect(res.statusCode).toBe(200);
  }
  await app.processor.sweep();
  await app.processor.sweep();
  await app.close();
}

describe('originate seam', () => {
  it('our originate record marks the call and is confirmed by its events', async () => {
    await sql`insert into originates (correlation_id, enterprise, extension, phone, requested_by, status)
              values ('corr-300-1', '300', '151', '375440000001', 'crm:18', 'accepted')`;
    await run('TOKEN-300');
    const [call] = await sql<
      { summary: { originatedBy: unknown } }[]
    >`select summary from calls where enterprise = '300'`;
    expect(call!.summary.originatedBy).toEqual({
      originateId: 'corr-300-1',
      extension: '151',
      phone: '375440000001',
      requestedBy: 'crm:18',
    });
    const [rec] = await sql`select status, confirmed_at from originates where correlation_id = 'corr-300-1'`;
    expect(rec!.status).toBe('confirmed');
    expect(rec!.confirmed_at).not.toBeNull();
  });

  it("without a record (the host's ExternalInitiated flag alone) the call is not ours", async () => {
    await run('TOKEN-301');
    const [call] = await sql<
      { summary: { originatedBy: unknown } }[]
    >`select summary from calls where enterprise = '301'`;
    expect(call!.summary.originatedBy).toBeNull();
  });

  it('pure lookup: same extension, same number in any prefix style, within the window; newest wins', () => {
    const t = Date.UTC(2024, 0, 1, 10, 0, 0);
    const rec = (id: string, ext: string, phone: string, dt: number) => ({
      correlation_id: id,
      extension: ext,
      phone,
      requested_by: 'api',
      created_at: new Date(t + dt),
    });
    const look = originateLookup([
      rec('a', '151', '375440000001', 0),
      rec('b', '151', '375440000001', 10_000),
      rec('c', '152', '375440000001', 0),
    ]);
    expect(look({ extension: '151', phone: '+375 44 000-00-01', at: t + 12_000 })?.originateId).toBe('b');
    expect(look({ extension: '151', phone: '80440000001', at: t + 5_000 })?.originateId).toBe('a');
    expect(look({ extension: '153', phone: '375440000001', at: t + 5_000 })).toBeNull();
    expect(look({ extension: '151', phone: '375440000002', at: t + 5_000 })).toBeNull();
    expect(look({ extension: '151', phone: '375440000001', at: t + 10 * 60_000 })).toBeNull();
  });
});
