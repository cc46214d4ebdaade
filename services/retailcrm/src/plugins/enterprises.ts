// Tier 2: reads an enterprise's RetailCRM settings (a fresh read per request: the CLI may have
// changed them a moment ago, and one indexed select costs less than a cache's invalidation).
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
          select number, active, timezone, integrations_config->'retailcrm' as retailcrm
          from enterprises where number = ${enterprise}`;
        const row = rows[0];
        if (!row) throw new EnterpriseNotFoundError(enterprise);
        return settingsOf(row, (stored) => decryptSecret(app.rcrmConfig.SECRETS_KEY, stored, enterprise));
      },
    });
  },
  { name: 'retailcrm-enterprises', dependencies: ['retailcrm-core'] },
);
