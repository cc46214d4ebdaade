// What RetailCRM knows about a phone: the customer's display name and the responsible manager's
// extension, from GET /api/v5/telephony/manager?details=1 of THAT enterprise's own account. Shared by
// getcustomerdata (hosts, for every incoming call) and make-call (the name for the manager's phone).
// Answers are cached per (enterprise, phone); failures are not (the next call asks again).
import type { FastifyInstance } from 'fastify';
import { customerNameOf, extensionOfManager } from './customer-data.ts';

export interface CustomerInfo {
  /** Sanitised as getcustomerdata's Name ('' when unknown). */
  name: string;
  /** Our extension of the responsible manager, or null. */
  extension: string | null;
}

export type CustomerLookup = (enterprise: string, phone: string) => Promise<CustomerInfo>;

/** A cached lookup. @throws whatever the settings read or RetailCRM throw (callers fail open). */
export function createCustomerLookup(
  app: FastifyInstance,
  opts: { cacheMs: number; cacheMax?: number },
): CustomerLookup {
  const cache = new Map<string, { at: number } & CustomerInfo>();
  return async (enterprise, phone) => {
    const key = `${enterprise}|${phone}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < opts.cacheMs) return hit;
    const s = await app.rcrmEnterprises.retailCrmSettings(enterprise);
    // No journal per lookup: this runs for every incoming call; callers log failures.
    const client = app.rcrmClients.clientFor(s.origin, s.apiKey, async () => undefined);
    const r = (await client.responsibleManager(phone, { details: true })) as { manager?: unknown; customer?: unknown };
    const value = {
      at: Date.now(),
      name: customerNameOf(r.customer),
      extension: extensionOfManager(r.manager, s.userExtensions),
    };
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > (opts.cacheMax ?? 50_000)) cache.delete(cache.keys().next().value!);
    return value;
  };
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
