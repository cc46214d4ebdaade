// The only place this service reads the environment (STYLE.md rule 2). The variables themselves are
// declared in @fleet/retailcrm-admin (src/config.ts), which the operator CLI loads too.
import { loadRetailCrmConfig as load, type RetailCrmConfig } from '@fleet/retailcrm-admin/config';

export type { RetailCrmConfig };

/**
 * Parses the service's variables from `env` (default `process.env`).
 * @throws ConfigError (code FLEET_CONFIG_INVALID) naming the first bad variable.
 */
export const loadRetailCrmConfig = (env: Record<string, string | undefined> = process.env): RetailCrmConfig =>
  load(env);
