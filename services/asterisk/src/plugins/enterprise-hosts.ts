// Tier 2: which enterprise a clientId belongs to, and its host. The row is found by the sha256 of the
// secret (an index lookup whose timing says nothing about the secret) and then compared in constant
// time, so that neither step leaks how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { HostTarget } from '@fleet/asterisk-host';

export interface EnterpriseHost {
  enterprise: string;
  active: boolean;
  /** Default region for parsing client numbers (enterprises.phone_region). */
  region: string;
  target: HostTarget;
  binary: string;
  originateContext: string;
  outboundContext: string;
  setNextcall: boolean;
}

interface Row {
  enterprise: string;
  active: boolean;
  phone_region: string;
  host: string;
  port: number;
  username: string;
  key_file: string;
  host_key: string;
  asterisk_path: string;
  originate_context: string;
  outbound_context: string;
  set_nextcall: boolean;
  originate_secret: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    enterpriseHosts: {
      /** The enterprise whose originate secret is `clientId`, or null. */
      bySecret(clientId: string): Promise<EnterpriseHost | null>;
    };
  }
}

export const enterpriseHostsPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('enterpriseHosts', {
      async bySecret(clientId: string) {
        if (!/^[0-9a-f]{32,128}$/.test(clientId)) return null;
        const given = Buffer.from(clientId, 'hex');
        const digest = createHash('sha256').update(given).digest();
        const [row] = await app.sql<Row[]>`
          select h.*, e.active, e.phone_region
          from asterisk_hosts h join enterprises e on e.number = h.enterprise
          where sha256(decode(h.originate_secret, 'hex')) = ${digest}`;
        if (!row) return null;
        const stored = Buffer.from(row.originate_secret, 'hex');
        if (stored.length !== given.length || !timingSafeEqual(stored, given)) return null;
        return {
          enterprise: row.enterprise,
          active: row.active,
          region: row.phone_region,
          target: {
            host: row.host,
            port: row.port,
            username: row.username,
            keyFile: row.key_file,
            hostKey: row.host_key,
          },
          binary: row.asterisk_path,
          originateContext: row.originate_context,
          outboundContext: row.outbound_context,
          setNextcall: row.set_nextcall,
        };
      },
    });
  },
  { name: 'asterisk-enterprise-hosts', dependencies: ['asterisk-core'] },
);
