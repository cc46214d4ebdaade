// Builds every service's app without a database and writes its OpenAPI document to
// openapi/<service>.json (`pnpm openapi`). test/ops/openapi.test.ts regenerates them and compares
// with the committed files, so an API change shows up as a diff in review.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Sql } from '@fleet/db';
import { buildApp as buildIntake } from '../services/call-intake/src/app.ts';
import { loadCallIntakeConfig } from '../services/call-intake/src/config.ts';
import { buildApp as buildGateway } from '../services/integration-gateway/src/app.ts';
import { loadGatewayConfig } from '../services/integration-gateway/src/config.ts';
import { buildApp as buildRetailCrm } from '../services/retailcrm/src/app.ts';
import { loadRetailCrmConfig } from '../services/retailcrm/src/config.ts';
import { buildApp as buildAsterisk } from '../services/asterisk/src/app.ts';
import { loadAsteriskConfig } from '../services/asterisk/src/config.ts';

export const SERVICES = ['call-intake', 'integration-gateway', 'retailcrm', 'asterisk'] as const;
export type ServiceName = (typeof SERVICES)[number];
export const documentPath = (service: ServiceName) => resolve(import.meta.dirname, `${service}.json`);

/**
 * A stand-in pool for building apps without PostgreSQL: LISTEN registrations (call-intake's token
 * directory subscribes while it registers) succeed and never fire; any query rejects. The apps are built with
 * their workers off, so `ready()` starts nothing that would query.
 */
function offlineSql(): Sql {
  const refuse = () => Promise.reject(new Error('offline: no database while generating OpenAPI documents'));
  const fn = () => refuse();
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'listen') return async () => ({ unlisten: async () => {}, state: {} });
      if (prop === 'end' || prop === 'close') return async () => {};
      if (prop === 'begin' || prop === 'unsafe' || prop === 'reserve' || prop === 'file') return () => refuse();
      return undefined; // not a thenable, not a Fastify getter/setter decorator
    },
  }) as unknown as Sql;
}

const ENV = { DATABASE_URL: 'postgres://offline/none', NODE_ENV: 'test', LOG_LEVEL: 'silent', WORKERS: 'false' };

type App = Awaited<ReturnType<typeof buildIntake>>;

const builders: Record<ServiceName, (sql: Sql) => Promise<App>> = {
  'call-intake': (sql) => buildIntake({ sql, config: loadCallIntakeConfig(ENV) }),
  'integration-gateway': (sql) =>
    buildGateway({ sql, config: loadGatewayConfig(ENV), logger: false, cacheBackground: false }),
  retailcrm: (sql) => buildRetailCrm({ sql, config: loadRetailCrmConfig(ENV), logger: false }),
  asterisk: (sql) => buildAsterisk({ sql, config: loadAsteriskConfig(ENV), logger: false }),
};

/** The OpenAPI document of one service as committed (2-space JSON, trailing newline). */
export async function openapiDocument(service: ServiceName): Promise<string> {
  const app = await builders[service](offlineSql());
  try {
    await app.ready(); // @fastify/swagger builds the document on ready
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const service of SERVICES) {
    writeFileSync(documentPath(service), await openapiDocument(service));
    console.log(`openapi/${service}.json`);
  }
}
