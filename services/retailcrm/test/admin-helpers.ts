// Arrange helpers for the admin page tests: an operator link, a logged-in cookie jar over app.inject,
// a world whose RetailCRM fake the test configures.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createSql, createTestDatabase, type Sql } from '@fleet/db';
import { createRetailCrmFake, type RetailCrmFakeOptions } from '@fleet/retailcrm-fake';
import { buildApp, loadRetailCrmConfig } from '../src/index.ts';
import { issueLink, linkUrl } from '@fleet/retailcrm-admin';
import { ENTERPRISE, insertEnterprise, KEY, type World } from './fixtures.ts';

export async function operatorLink(
  sql: Sql,
  app: FastifyInstance,
  enterprise: string,
): Promise<{ url: string; token: string; jti: string }> {
  const c = app.rcrmConfig;
  const link = await issueLink(sql, c.JWT_SECRET, enterprise, 'operator', c.ADMIN_LINK_TTL_DAYS);
  return { url: linkUrl(c.PUBLIC_BASE_URL, link.token), token: link.token, jti: link.jti };
}

/** A tiny cookie jar over inject: what a browser would carry between requests. */
export function browser(app: FastifyInstance) {
  const jar = new Map<string, string>();
  let csrf = '';
  const remember = (res: LightMyRequestResponse) => {
    for (const c of res.cookies) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    jar,
    async open(path: string, method: 'GET' | 'POST' = 'GET', form?: Record<string, string>) {
      return remember(
        await app.inject({
          method,
          url: path,
          headers: { cookie: cookie(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          payload: form ? new URLSearchParams(form).toString() : undefined,
        }),
      );
    },
    async api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, opts: { csrf?: string } = {}) {
      const res = remember(
        await app.inject({
          method,
          url: `/retailcrm-admin/api${path}`,
          headers: { cookie: cookie(), 'x-csrf-token': opts.csrf ?? csrf },
          ...(body === undefined ? {} : { payload: body as object }),
        }),
      );
      if (path === '/state' && res.statusCode === 200) csrf = res.json().csrfToken;
      return res;
    },
  };
}

/**
 * A world like fixtures.ts createWorld, with the fake's keys and users chosen by the test (paging,
 * weak keys) and enterprise 201 connected to it with `KEY`.
 */
export async function createAdminWorld(
  fake: Partial<RetailCrmFakeOptions> = {},
  env: Record<string, string> = {},
): Promise<World> {
  const db = await createTestDatabase();
  const sql = createSql(db.url, { max: 5 });
  const crm = createRetailCrmFake({
    apiKeys: [{ key: KEY }],
    users: [
      { id: 18, active: true },
      { id: 19, active: true },
    ],
    ...fake,
  });
  const baseUrl = await crm.listen();
  await insertEnterprise(sql, ENTERPRISE, {
    enabled: true,
    domain: baseUrl,
    api_key: KEY,
    client_id: 'client-id-secret-1',
  });
  const config = loadRetailCrmConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    RETAILCRM_RETRY_MIN_MS: '10',
    RETAILCRM_TIMEOUT_MS: '1000',
    ...env,
  });
  const app = await buildApp({ sql, config, logger: false });
  return {
    db,
    sql,
    fake: crm,
    baseUrl,
    app,
    async close() {
      await app.close();
      await crm.close();
      await sql.end();
      await db.drop();
    },
  };
}

/** A logged-in admin of `enterprise` (operator link exchanged, CSRF token read). */
export async function loggedIn(w: World, enterprise = ENTERPRISE) {
  const b = browser(w.app);
  const link = await operatorLink(w.sql, w.app, enterprise);
  const res = await b.open(new URL(link.url).pathname + new URL(link.url).search);
  if (res.statusCode !== 303) throw new Error(`link exchange answered ${res.statusCode}`);
  const state = await b.api('GET', '/state');
  if (state.statusCode !== 200) throw new Error(`state answered ${state.statusCode}`);
  return b;
}

/** integrations_config.retailcrm of an enterprise (null when the section is gone). */
export async function retailcrmSection(sql: Sql, enterprise = ENTERPRISE): Promise<Record<string, unknown> | null> {
  const [row] = await sql<
    { c: Record<string, unknown> | null }[]
  >`select integrations_config->'retailcrm' as c from enterprises where number = ${enterprise}`;
  return row!.c;
}
