// Tier 2: reads an enterprise's RetailCRM settings (a fresh read per request: the CLI may have
// changed them a moment ago, and one indexed select costs less than a cache's invalidation). The
// mapped mobiles of its extension directory ride in the same select: no extra round trip, and no
// cache to invalidate when the operator runs `fleet extension add --mobile`.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { decryptSecret } from '@fleet/secrets';
import { EnterpriseNotFoundError } from '../errors.ts';
import { settingsOf, type EnterpriseRow, type RetailCrmSettings } from '../domain/settings.ts';

declare module 'fastify' {
  interface FastifyInstance {
    rcrmEnterprises: {
      /** @throws EnterpriseNotFoundError and the settingsOf errors (all 422). */
      retailCrmSettings(enterprise: string): Promise<RetailCrmSettings>;
    };
  }
}

export const enterprisesPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('rcrmEnterprises', {
      async retailCrmSettings(enterprise: string) {
        const rows = await app.sql<EnterpriseRow[]>`
          select number, active, timezone, integrations_config->'retailcrm' as retailcrm,
                 (select jsonb_object_agg(d.mobile, d.extension) from extension_directory d
                  where d.enterprise = e.number and d.mobile is not null) as mobiles
          from enterprises e where number = ${enterprise}`;
        const row = rows[0];
        if (!row) throw new EnterpriseNotFoundError(enterprise);
        return settingsOf(row, (stored) => decryptSecret(app.rcrmConfig.SECRETS_KEY, stored, enterprise));
      },
    });
  },
  { name: 'retailcrm-enterprises', dependencies: ['retailcrm-core'] },
);
