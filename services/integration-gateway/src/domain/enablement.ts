// Which integrations an enterprise has switched on, decided from its row alone (pure). New
// integrations add a rule here; everything else (cache, dispatch) iterates INTEGRATIONS.

/** Integrations the gateway can deliver to. */
export const INTEGRATIONS = ['retailcrm'] as const;
export type Integration = (typeof INTEGRATIONS)[number];

/** `integration → enabled` for one enterprise, e.g. `{ retailcrm: true }`. */
export type Enablement = Record<Integration, boolean>;

/** The columns of `enterprises` the gateway reads. */
export interface EnterpriseRow {
  number: string;
  active: boolean;
  integrations_config: Record<string, unknown>;
}

const present = (v: unknown): boolean => typeof v === 'string' && v.trim().length > 0;

/** Per integration: is its section of integrations_config complete and switched on? */
const RULES: Record<Integration, (section: Record<string, unknown>) => boolean> = {
  // RetailCRM needs its account domain and an API key to do anything (sql/001_enterprises.sql).
  retailcrm: (s) => s.enabled === true && present(s.domain) && present(s.api_key),
};

/** All integrations off: unknown enterprises and enterprises without integrations (a normal answer). */
export function noIntegrations(): Enablement {
  return Object.fromEntries(INTEGRATIONS.map((i) => [i, false])) as Enablement;
}

/** Enablement of an enterprise row: an integration is on when the enterprise is active and its rule holds. */
export function enablementOf(row: Pick<EnterpriseRow, 'active' | 'integrations_config'>): Enablement {
  const out = noIntegrations();
  if (!row.active) return out;
  const config = row.integrations_config ?? {};
  for (const i of INTEGRATIONS) {
    const section = config[i];
    out[i] = typeof section === 'object' && section !== null && RULES[i](section as Record<string, unknown>);
  }
  return out;
}

/** The integrations switched on, in INTEGRATIONS order. */
export function enabledIntegrations(e: Enablement): Integration[] {
  return INTEGRATIONS.filter((i) => e[i]);
}
