// The fake account's customers: seeded by the test, created through customers/create, found by phone in
// any format (phone-match.ts) by telephony/manager and by tasks (customer.id / externalId).
import { samePhone } from './phone-match.ts';
import type { CrmCustomer, FakeState, StoredCustomer } from './state.ts';

/** A customer the account already has: any customer fields, at least its phones. */
export type FakeCustomerSeed = Partial<CrmCustomer> & {
  phones: Array<{ number: string }>;
  /** Fake-only: the id of the customer's last order (telephony/manager links.lastOrderLink). */
  lastOrderId?: number;
};

/**
 * Fills state.customers from the options; ids not given are numbered after the highest given one, a seed
 * without `site` belongs to `defaultSite`.
 */
export function seedCustomers(
  state: FakeState,
  defaultSite: string | undefined,
  seeds: FakeCustomerSeed[] = [],
  legacy: Record<string, Record<string, unknown>> = {},
): void {
  let next = Math.max(0, ...seeds.map((s) => s.id ?? 0), ...Object.values(legacy).map((c) => Number(c.id) || 0)) + 1;
  for (const { lastOrderId, ...seed } of structuredClone(seeds)) {
    const customer = { site: defaultSite, ...seed, id: seed.id ?? next++, phones: seed.phones } as CrmCustomer;
    state.customers.push({ source: 'seed', receivedAt: Date.now(), customer, lastOrderId });
  }
  for (const [phone, given] of Object.entries(structuredClone(legacy))) {
    const customer = { ...given, id: Number(given.id) || next++, phones: [{ number: phone }] } as CrmCustomer;
    state.customers.push({ source: 'legacy', receivedAt: Date.now(), customer });
  }
}

export function nextCustomerId(state: FakeState): number {
  return Math.max(0, ...state.customers.map((c) => c.customer.id)) + 1;
}

/** The first customer (oldest) with a phone matching `phone` in any format. */
export function customerByPhone(state: FakeState, phone: string): StoredCustomer | undefined {
  return state.customers.find((c) => (c.customer.phones ?? []).some((p) => samePhone(p.number, phone)));
}

/** A customer by RetailCRM id or by externalId (in `site` when given). */
export function customerByRef(state: FakeState, ref: { id?: unknown; externalId?: unknown; site?: unknown }) {
  return state.customers.find((c) =>
    ref.id !== undefined
      ? c.customer.id === ref.id
      : c.customer.externalId === ref.externalId && (ref.site === undefined || c.customer.site === ref.site),
  );
}

/**
 * The `customer` of a telephony/manager answer: api-client-php's Telephony\SerializedCustomer fields
 * (id, externalId, firstName, lastName, patronymic, email, phones). A `customerByPhone` (legacy) seed is
 * answered as given, with id and phones, so tests of odd names keep their exact objects.
 */
export function telephonyCustomer(stored: StoredCustomer): Record<string, unknown> {
  const c = stored.customer;
  if (stored.source === 'legacy') return { ...c };
  const out: Record<string, unknown> = {};
  for (const f of ['id', 'externalId', 'firstName', 'lastName', 'patronymic', 'email', 'phones'] as const) {
    if (c[f] !== undefined) out[f] = c[f];
  }
  return out;
}
