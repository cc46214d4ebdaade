// The value generators the fuzz requests are made of, from the shared seeded PRNG. Our own
// generators rather than fast-check: the cases here are HTTP requests (raw bytes, methods, headers,
// content types), not values to shrink, and a run must be replayable from one printed number (FUZZ_SEED).

import type { Rng } from '../support/rng.ts';

export { createRng, type Rng } from '../support/rng.ts';

/** The seed of this run: FUZZ_SEED to replay a failure, else a fresh one (always printed). */
export function runSeed(): number {
  const given = process.env.FUZZ_SEED;
  return given ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
}

// Digits a naive `\d` or Number() may accept and a dialplan must never see.
const UNICODE_DIGITS = [
  '٣٧٥٢٩١٢٣٤٥٦٧',
  '３７５２９１２３４５６７',
  '۳۷۵۲۹',
  '३७५२९१२३४५',
  '𝟑𝟕𝟓𝟐𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕',
  '¹²³',
  '①②③',
];
const NASTY = [
  '',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202e151',
  '\ufeff',
  '😀'.repeat(40),
  "'; drop table calls; --",
  '$(reboot)',
  '`id`',
  '151;reboot',
  '151\nreboot',
  '../../etc/passwd',
  '%00',
  '%zz',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${jndi:ldap://x}',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  '+375 (29) 123-45-67',
  '8 029 1234567',
  '375291234567',
  '151',
  '9'.repeat(40),
  '__proto__',
  'constructor',
];

/** A string a field may get: control characters, unicode digits, injections, huge ones. */
export function nastyString(rng: Rng): string {
  switch (rng.int(0, 5)) {
    case 0:
      return rng.pick(UNICODE_DIGITS);
    case 1:
      return 'x'.repeat(rng.pick([513, 2049, 70_000]));
    case 2: {
      let s = '';
      for (let i = rng.int(1, 40); i > 0; i--) s += String.fromCharCode(rng.int(0, 0xffff));
      return s;
    }
    default:
      return rng.pick(NASTY);
  }
}

/** A value of a random JSON type (the wrong one for most fields). */
export function wrongValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, 9)) {
    case 0:
      return rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 151, 375291234567]);
    case 1:
      return rng.chance(0.5);
    case 2:
      return null;
    case 3:
      return depth > 2 ? [] : Array.from({ length: rng.int(0, 4) }, () => wrongValue(rng, depth + 1));
    case 4:
      return depth > 2 ? {} : { [rng.pick(['a', '__proto__', 'constructor', 'x'])]: wrongValue(rng, depth + 1) };
    case 5:
      return protoObject(rng);
    default:
      return nastyString(rng);
  }
}

/** An object whose own keys are `__proto__` / `constructor` / `prototype` (as JSON.parse makes them). */
export function protoObject(rng: Rng): Record<string, unknown> {
  return JSON.parse(
    rng.pick([
      '{"__proto__":{"isAdmin":true,"status":"ok"}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"__proto__":null}',
      '{"prototype":{"x":1},"__proto__":[]}',
    ]),
  ) as Record<string, unknown>;
}

/** JSON text nested `depth` levels deep. */
export function deepJson(rng: Rng, depth: number): string {
  const array = rng.chance(0.5);
  return array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Bytes that are not UTF-8: lone continuation bytes, overlong forms, truncated sequences, surrogates. */
export function invalidUtf8(rng: Rng): Buffer {
  return Buffer.from(
    rng.pick([
      [0xff, 0xfe],
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0x80],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x98],
      [0x00],
    ]),
  );
}
