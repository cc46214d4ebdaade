// Before an admin switches on a feature that needs more of the API key than the integration itself
// (missed-call tasks, customer creation), RetailCRM is asked which scopes the stored key has: a missing
// scope is refused on the page, not discovered at the first call that needs it.
import type { FastifyInstance } from 'fastify';
import type { CredentialsResponse } from '@fleet/retailcrm-client';
import { crmFailure, journalExchanges, usableConnection } from '@fleet/retailcrm-admin';

/**
 * The scopes `lacking` finds missing from the enterprise's stored key (GET /api/credentials, journalled
 * as 'credentials'). @throws the admin API's errors: no usable connection (4xx), RetailCRM failing or
 * refusing (crmFailure).
 */
export async function missingScopesOfKey<S extends string>(
  app: FastifyInstance,
  enterprise: string,
  lacking: (res: CredentialsResponse) => S[],
): Promise<S[]> {
  const ctx = app.adminCtx;
  const conn = await usableConnection(ctx, enterprise);
  const client = ctx.clientFor(
    conn.domain,
    conn.apiKey,
    journalExchanges(app.sql, enterprise, 'credentials', conn.apiKey),
  );
  try {
    return lacking(await client.credentials());
  } catch (err) {
    throw crmFailure(err);
  }
}
