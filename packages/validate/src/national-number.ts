// One subscriber, many spellings: RetailCRM stores numbers as typed (+375 29 123-45-67, 8 029 1234567,
// 80291234567, 7 916 …) and hosts send them as dialled, so the fleet compares client numbers on the
// national significant number (issue 14). Belarus (+375, trunk prefix 8 0) and Russia/Kazakhstan (+7,
// trunk prefix 8) are the fleet's countries; any other number is compared on all its digits. Pure, and
// free of libphonenumber (the RetailCRM fake imports it too).

/**
 * The national significant number, digits only: '+375 (29) 123-45-67', '8 029 123 45 67', '80291234567',
 * '00375291234567' → '291234567'; '+7 916 123-45-67', '8 916 1234567' → '9161234567'; other numbers → all
 * their digits; '' for none.
 */
export function nationalNumber(phone: string): string {
  let d = phone.replace(/\D/g, '');
  if (d.startsWith('00')) d = d.slice(2);
  if (d.length === 12 && d.startsWith('375')) return d.slice(3);
  if (d.length === 11 && d.startsWith('80')) return d.slice(2);
  if (d.length === 10 && d.startsWith('0')) return d.slice(1);
  if (d.length === 11 && (d.startsWith('7') || d.startsWith('8'))) return d.slice(1);
  return d;
}

/** Same subscriber: equal national significant numbers of at least 6 digits (short codes never match). */
export function samePhone(a: string, b: string): boolean {
  const x = nationalNumber(a);
  return x.length >= 6 && x === nationalNumber(b);
}

/**
 * The number in international format for RetailCRM (`customers/create` stores phones as given, and a
 * customer's card should dial from anywhere): '375291234567', '80291234567', '8 029 123-45-67' →
 * '+375291234567'; '89161234567', '7 916 123 45 67' → '+79161234567'; another number of 10 or more digits
 * → '+' and its digits (assumed international already); '' when the number is shorter (an extension, a
 * short code: not a customer's number). The same country rules as nationalNumber.
 */
export function internationalNumber(phone: string): string {
  let d = phone.replace(/\D/g, '');
  if (d.startsWith('00')) d = d.slice(2);
  if (d.length === 12 && d.startsWith('375')) return `+${d}`;
  if (d.length === 11 && d.startsWith('80')) return `+375${d.slice(2)}`;
  if (d.length === 10 && d.startsWith('0')) return `+375${d.slice(1)}`;
  if (d.length === 11 && (d.startsWith('7') || d.startsWith('8'))) return `+7${d.slice(1)}`;
  return d.length >= 10 ? `+${d}` : '';
}
