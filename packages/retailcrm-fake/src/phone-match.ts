// How the fake finds a customer or a responsible manager by phone: RetailCRM stores numbers as typed
// (+375 29 123-45-67, 8 029 1234567, 80291234567, 7 916 …), and telephony/manager finds the customer
// whatever the format of the number asked for (issue 14: "match on the national significant number").
// Belarus (+375, trunk prefix 8 0) and Russia/Kazakhstan (+7, trunk prefix 8) are the fleet's countries;
// any other number is compared on all its digits.

/** The national significant number: '+375 (29) 123-45-67', '8 029 123 45 67', '80291234567' → '291234567'. */
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
