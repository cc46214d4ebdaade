// What RetailCRM knows about a phone: the customer's display name and the responsible manager's
// extension, from GET /api/v5/telephony/manager?details=1 of THAT enterprise's own account. Shared by
// getcustomerdata (hosts, for every incoming call) and make-call (the name for the manager's phone).
// Answers are cached per (enterprise, phone); failures are not (the next call asks again). The
// Telegram cards' caller identity (routes/caller-identity.ts) reads the same entries: one request to
// RetailCRM per number and TTL whoever asks first, and concurrent askers share the request in flight.
import type { FastifyInstance } from 'fastify';
import { callerLinksOf, customerDisplayName, isKnownCustomer, type CallerLinks } from './caller-identity.ts';
import { customerNameOf, extensionOfManager } from './customer-data.ts';

export interface CustomerInfo {
  /** Sanitised as getcustomerdata's Name ('' when unknown). */
  name: string;
  /** Our extension of the responsible manager, or null. */
  extension: string | null;
  /** RetailCRM has a customer with this number. */
  known: boolean;
  /** The customer's name for people (caller-identity.ts; '' when unknown): not dialplan-safe. */
  displayName: string;
  /** RetailCRM's ready links (customer card, last order, new order, new customer), http(s) only. */
  links: CallerLinks;
}

export type CustomerLookup = ((enterprise: string, phone: string) => Promise<CustomerInfo>) & {
  /** The cached answer within its TTL, or undefined; never asks RetailCRM (the admin page's call list). */
  peek(enterprise: string, phone: string): CustomerInfo | undefined;
};

/** A cached lookup. @throws whatever the settings read or RetailCRM throw (callers fail open). */
export function createCustomerLookup(
  app: FastifyInstance,
  opts: { cacheMs: number; cacheMax?: number },
): CustomerLookup {
  const cache = new Map<string, { at: number } & CustomerInfo>();
  const inFlight = new Map<string, Promise<CustomerInfo>>();
  async function ask(key: string, enterprise: string, phone: string): Promise<CustomerInfo> {
    const s = await app.rcrmEnterprises.retailCrmSettings(enterprise);
    // No journal per lookup: this runs for every incoming call; callers log failures.
    const client = app.rcrmClients.clientFor(s.origin, s.apiKey, async () => undefined);
    const r = await client.telephonyManager(phone, { details: true });
    const displayName = customerDisplayName(r.customer);
    const value = {
      at: Date.now(),
      name: customerNameOf(r.customer),
      extension: extensionOfManager(r.manager, s.userExtensions),
      known: isKnownCustomer(r.customer) || displayName !== '',
      displayName,
      links: callerLinksOf(r.links),
    };
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > (opts.cacheMax ?? 50_000)) cache.delete(cache.keys().next().value!);
    return value;
  }
  const fresh = (key: string) => {
    const hit = cache.get(key);
    return hit && Date.now() - hit.at < opts.cacheMs ? hit : undefined;
  };
  const lookup = async (enterprise: string, phone: string) => {
    const key = `${enterprise}|${phone}`;
    const hit = fresh(key);
    if (hit) return hit;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const p = ask(key, enterprise, phone).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  };
  return Object.assign(lookup, { peek: (enterprise: string, phone: string) => fresh(`${enterprise}|${phone}`) });
}

/** `p`'s value, or `fallback` when `ms` pass first (`onLate`) or `p` fails (`onError`): failing open. */
export async function withinOr<T>(
  p: Promise<T>,
  ms: number,
  fallback: T,
  onError?: (err: unknown) => void,
  onLate?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>(
    (r) =>
      (timer = setTimeout(
        () => {
          onLate?.();
          r(fallback);
        },
        Math.max(0, ms),
      )),
  );
  const safe = p.catch((err: unknown) => {
    onError?.(err);
    return fallback;
  });
  return Promise.race([safe, late]).finally(() => clearTimeout(timer));
}
