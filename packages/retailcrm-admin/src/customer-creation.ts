// Customer creation for unknown numbers (issue 14): integrations_config.retailcrm.create_customers, a
// boolean written by the admin page and `fleet retailcrm customers`, read by the call-event route
// (services/retailcrm customers/step.ts). Off by default; merged into the section like every other write.
import type { Sql } from '@fleet/db';
import { mergeRetailcrmConfig } from './store.ts';

/** The stored value read defensively: only a stored `true` is on. Pure. */
export function readCreateCustomers(value: unknown): boolean {
  return value === true;
}

/** Stores the switch (other keys untouched). Resolves false when the enterprise does not exist. */
export async function saveCreateCustomers(sql: Sql, enterprise: string, enabled: boolean): Promise<boolean> {
  return (await mergeRetailcrmConfig(sql, enterprise, { create_customers: enabled })) !== undefined;
}
