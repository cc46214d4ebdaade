// What the admin operations need, independent of Fastify: the service builds it from its config and
// clients, `fleet retailcrm register` from the environment.
import type { Sql } from '@fleet/db';
import type { CrmExchange, RetailCrmClient } from '@fleet/retailcrm-client';

export interface AdminContext {
  sql: Sql;
  /** AES-256-GCM key of the API keys at rest. */
  secretsKey: Buffer;
  /** HS256 key of the admin links. */
  jwtSecret: string;
  /** Origin RetailCRM and browsers reach the service at, without a trailing slash. */
  publicBaseUrl: string;
  moduleCode: string;
  moduleName: string;
  linkTtlDays: number;
  /** A client for one account; `onExchange` receives every attempt (key-free) for the journal. */
  clientFor(origin: string, apiKey: string, onExchange: (x: CrmExchange) => Promise<void>): RetailCrmClient;
}
