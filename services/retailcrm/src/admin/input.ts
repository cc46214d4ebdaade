// The connection form's values as the admin API accepts them, with reasons in the admin's words.
import { checkCrmOrigin, type CrmOriginRefusal } from '@fleet/retailcrm-client';
import { BadInputError, KeyRequiredError } from '@fleet/retailcrm-admin';

const DOMAIN_REFUSALS: Record<CrmOriginRefusal, string> = {
  not_url: 'Адрес RetailCRM не похож на адрес сайта, пример: https://shop.retailcrm.ru',
  not_https: 'Адрес RetailCRM должен начинаться с https://, например https://shop.retailcrm.ru',
  has_path: 'Укажите только адрес аккаунта, без пути и параметров: например https://shop.retailcrm.ru',
  too_long: 'Адрес RetailCRM слишком длинный для имени сайта',
};

/** The account origin (@fleet/retailcrm-client's one rule). @throws BadInputError with the reason. */
export function parseDomain(v: unknown): string {
  if (typeof v !== 'string' || !v.trim())
    throw new BadInputError('Укажите адрес RetailCRM, например https://shop.retailcrm.ru');
  const r = checkCrmOrigin(v);
  if ('refused' in r) throw new BadInputError(DOMAIN_REFUSALS[r.refused]);
  return r.origin;
}

/** A typed API key, or undefined when the field was left empty (keep the stored one). */
export function parseKey(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !/^[\x21-\x7e]{8,200}$/.test(v.trim()))
    throw new BadInputError('API-ключ выглядит неверно: 8–200 символов без пробелов');
  return v.trim();
}

/** Whether two stored/typed addresses are the same account origin (an unparseable one never is). */
export function sameOrigin(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = checkCrmOrigin(a);
  const y = checkCrmOrigin(b);
  return 'origin' in x && 'origin' in y && x.origin === y.origin;
}

/**
 * The key to send to `domain`: the typed one, else the stored one, but only when `domain` is the
 * address it was stored for. Undefined when there is neither.
 * @throws KeyRequiredError when the address changed and no key was typed.
 */
export function keyFor(
  domain: string,
  typed: string | undefined,
  stored: { domain: string | undefined; apiKey: string | undefined },
): string | undefined {
  if (typed) return typed;
  if (!stored.apiKey) return undefined;
  if (!sameOrigin(domain, stored.domain)) throw new KeyRequiredError();
  return stored.apiKey;
}
