// `fleet retailcrm admin-link` and `fleet retailcrm register`: the operator's way into the admin page
// before the module exists in RetailCRM, and the page's register button for scripts. Both read the
// RetailCRM service's own configuration (PUBLIC_BASE_URL, JWT_SECRET, SECRETS_KEY, module code…)
// through its config loader (@fleet/retailcrm-admin/config), so the CLI can never sign or register differently from the service.
import { Agent } from 'undici';
import { createRateLimiter, createRetailCrmClient } from '@fleet/retailcrm-client';
import { issueLink, linkUrl, registerModule, type AdminContext } from '@fleet/retailcrm-admin';
import { loadRetailCrmConfig } from '@fleet/retailcrm-admin/config';
import type { Sql } from '@fleet/db';
import { defineCommand } from '../command.ts';
import { notFoundError } from '../errors.ts';
import * as v from '../validate.ts';

/**
 * The service's config from the CLI's environment. Without DATABASE_URL the CLI works on the local
 * embedded database (development), where the generated dev secrets of `pnpm start` apply.
 */
export function serviceConfig(env: Record<string, string | undefined>) {
  const local = !env.DATABASE_URL;
  return loadRetailCrmConfig({
    ...env,
    DATABASE_URL: env.DATABASE_URL || 'postgres://embedded/fleet',
    ...(local && !env.FLEET_DEV && env.NODE_ENV !== 'test' ? { FLEET_DEV: '1' } : {}),
  });
}

async function requireEnterprise(sql: Sql, enterprise: string): Promise<void> {
  const [row] = await sql`select 1 from enterprises where number = ${enterprise}`;
  if (!row) throw notFoundError(`enterprise ${enterprise} not found`);
}

export const retailcrmAdminLink = defineCommand({
  group: 'retailcrm',
  name: 'admin-link',
  summary: "print a link to the enterprise's RetailCRM admin page (PUBLIC_BASE_URL; valid ADMIN_LINK_TTL_DAYS)",
  usage: 'fleet retailcrm admin-link --enterprise <n>',
  options: { enterprise: { type: 'string' } },
  parse: (o) => ({ enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise') }),
  async run({ enterprise }, { sql, out, env }) {
    const c = serviceConfig(env);
    await requireEnterprise(sql, enterprise);
    const link = await issueLink(sql, c.JWT_SECRET, enterprise, 'operator', c.ADMIN_LINK_TTL_DAYS);
    out(linkUrl(c.PUBLIC_BASE_URL, link.token));
    out(`valid until ${link.expiresAt.toISOString()} (revoked when the integration is registered again or deleted)`);
  },
});

export const retailcrmRegister = defineCommand({
  group: 'retailcrm',
  name: 'register',
  summary: 'register (or update) the telephony module in RetailCRM, as the admin page does',
  usage: 'fleet retailcrm register --enterprise <n>',
  options: { enterprise: { type: 'string' } },
  parse: (o) => ({ enterprise: v.enterpriseNumber(v.required(o, 'enterprise'), 'enterprise') }),
  async run({ enterprise }, { sql, out, env }) {
    const c = serviceConfig(env);
    await requireEnterprise(sql, enterprise);
    const dispatcher = new Agent({ connections: 2 });
    const limiter = createRateLimiter({
      telephonyPerSecond: c.RETAILCRM_RATE_TELEPHONY,
      generalPerSecond: c.RETAILCRM_RATE_GENERAL,
    });
    const ctx: AdminContext = {
      sql,
      secretsKey: c.SECRETS_KEY,
      jwtSecret: c.JWT_SECRET,
      publicBaseUrl: c.PUBLIC_BASE_URL,
      moduleCode: c.RETAILCRM_MODULE_CODE,
      moduleName: c.RETAILCRM_MODULE_NAME,
      linkTtlDays: c.ADMIN_LINK_TTL_DAYS,
      clientFor: (origin, apiKey, onExchange) =>
        createRetailCrmClient({
          domain: origin,
          apiKey,
          dispatcher,
          limiter,
          timeoutMs: c.RETAILCRM_TIMEOUT_MS,
          retry: { retries: c.RETAILCRM_RETRIES },
          onExchange,
        }),
    };
    try {
      const r = await registerModule(ctx, enterprise);
      out(
        `module ${c.RETAILCRM_MODULE_CODE} registered for enterprise ${enterprise}: ${r.active ? 'active' : 'inactive'}, ` +
          `${r.additionalCodes.length} manager extension(s), ${r.revokedLinks} older link(s) revoked`,
      );
      if (r.notExistUsersIds.length)
        out(`RetailCRM does not know user(s) ${r.notExistUsersIds.join(', ')}: fleet retailcrm unmap them`);
      // Not connected / RetailCRM refused: runFleet prints the message and exits 1.
    } finally {
      await dispatcher.close();
    }
  },
});
