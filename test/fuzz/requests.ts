// Turns one endpoint's valid request into a random bad one: wrong types, missing fields, huge strings,
// deep nesting, invalid UTF-8, oversized bodies, wrong content types, odd methods, query-string abuse,
// unicode digits, prototype-pollution keys. Pure given the Rng, so a seed replays a run.
import { deepJson, invalidUtf8, nastyString, protoObject, wrongValue, type Rng } from './prng.ts';

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** Which generator made it (printed with a failure). */
  kind: string;
}

export interface EndpointSpec {
  name: string;
  /** Methods the route serves. */
  methods: readonly string[];
  path(rng: Rng): string;
  /** A valid parameter set (may be valid only by the fields' shape, e.g. with a live secret). */
  valid(rng: Rng): Record<string, unknown>;
  /** How parameters travel: a JSON body (any Content-Type for host events), a form or query. */
  carrier: 'json' | 'form';
  /** Auth and other headers of a well-formed request. */
  headers(rng: Rng): Record<string, string>;
  /** The route's body limit, to go past it. */
  bodyLimit: number;
  /** Fields that hold digits (phone, code...): get unicode digits. */
  digitFields?: readonly string[];
}

const ODD_METHODS = ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH', 'GET', 'POST'];
const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'image/png',
  ';;;',
  'application/json;;;charset=',
  'application/vnd.api+json',
  '*/*',
  'application/octet-stream',
];
const KINDS = [
  'valid',
  'wrong-type',
  'missing',
  'proto-keys',
  'huge-string',
  'deep-nesting',
  'invalid-utf8',
  'oversized',
  'content-type',
  'odd-method',
  'query-abuse',
  'unicode-digits',
  'raw-junk',
  'header-abuse',
] as const;

const jsonType = { 'content-type': 'application/json' };

function serialize(
  spec: EndpointSpec,
  method: string,
  path: string,
  params: Record<string, unknown>,
): { url: string; payload?: string; headers: Record<string, string> } {
  if (spec.carrier === 'json') return { url: path, payload: JSON.stringify(params), headers: jsonType };
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) form.append(k, typeof x === 'string' ? x : JSON.stringify(x));
    else form.append(k, typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  }
  if (method === 'GET' || method === 'HEAD') return { url: `${path}?${form}`, headers: {} };
  return { url: path, payload: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

function someKeys(rng: Rng, o: Record<string, unknown>): string[] {
  const keys = Object.keys(o);
  return keys.filter(() => rng.chance(0.4)).concat(keys.length ? [rng.pick(keys)] : []);
}

/** Replaces `key` of `o`, or (half the time) a field somewhere inside it when it is an object. */
function setDeep(rng: Rng, o: Record<string, unknown>, key: string, value: unknown): void {
  const inner = o[key];
  if (inner && typeof inner === 'object' && rng.chance(0.5)) {
    const copy = (Array.isArray(inner) ? [...inner] : { ...inner }) as Record<string, unknown>;
    const keys = Object.keys(copy);
    if (keys.length) setDeep(rng, copy, rng.pick(keys), value);
    o[key] = copy;
    return;
  }
  o[key] = value;
}

/** One request of `spec`, valid or broken in one of the ways above. */
export function generate(rng: Rng, spec: EndpointSpec): FuzzRequest {
  const kind = rng.chance(0.06) ? 'valid' : rng.pick(KINDS.slice(1));
  const method = rng.pick(spec.methods);
  const path = spec.path(rng);
  const params = spec.valid(rng);
  const auth = spec.headers(rng);
  const done = (
    r: { url: string; payload?: string | Buffer; headers: Record<string, string> },
    m = method,
  ): FuzzRequest => ({
    method: m,
    url: r.url,
    headers: { ...auth, ...r.headers },
    ...(r.payload === undefined || m === 'GET' || m === 'HEAD' ? {} : { payload: r.payload }),
    kind,
  });
  switch (kind) {
    case 'valid':
      return done(serialize(spec, method, path, params));
    case 'wrong-type':
      for (const k of someKeys(rng, params)) setDeep(rng, params, k, wrongValue(rng));
      return done(serialize(spec, method, path, params));
    case 'missing':
      for (const k of someKeys(rng, params)) delete params[k];
      return done(serialize(spec, method, path, params));
    case 'proto-keys':
      return done(serialize(spec, method, path, { ...params, ...protoObject(rng) }));
    case 'huge-string': {
      const k = rng.pick(Object.keys(params));
      params[k] = 'x'.repeat(rng.pick([600, 5_000, 40_000, Math.max(1, spec.bodyLimit - 200)]));
      return done(serialize(spec, method, path, params));
    }
    case 'deep-nesting': {
      const text = deepJson(rng, rng.pick([64, 512, 4_000, 20_000]));
      const body = JSON.stringify({ ...params, nested: 0 }).replace('"nested":0', `"nested":${text}`);
      return done(
        { url: path, payload: spec.carrier === 'json' || rng.chance(0.5) ? body : text, headers: jsonType },
        method === 'GET' ? 'POST' : method,
      );
    }
    case 'invalid-utf8': {
      const text = JSON.stringify(params);
      const at = rng.int(0, text.length);
      const payload = Buffer.concat([Buffer.from(text.slice(0, at)), invalidUtf8(rng), Buffer.from(text.slice(at))]);
      return done(
        {
          url: path,
          payload,
          headers: rng.chance(0.5) ? jsonType : { 'content-type': 'application/x-www-form-urlencoded' },
        },
        method === 'GET' ? 'POST' : method,
      );
    }
    case 'oversized': {
      const size = spec.bodyLimit + rng.pick([1, 1024, spec.bodyLimit]);
      const k = rng.pick(Object.keys(params));
      params[k] = 'y'.repeat(size);
      const r = serialize(spec, 'POST', path, params);
      return done(r, method === 'GET' ? 'POST' : method);
    }
    case 'content-type': {
      const r = serialize(spec, 'POST', path, params);
      const payload = rng.chance(0.5)
        ? r.payload
        : new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
      return done(
        { url: path, payload, headers: { 'content-type': rng.pick(CONTENT_TYPES) } },
        method === 'GET' ? 'POST' : method,
      );
    }
    case 'odd-method': {
      const m = rng.pick(ODD_METHODS);
      return done(serialize(spec, m, path, params), m);
    }
    case 'query-abuse': {
      const abuse = rng.pick([
        'a=1&a=2&a=3',
        'clientId=x&clientId=y',
        'phone[]=1&phone[]=2',
        'code[a]=1',
        '__proto__[admin]=1',
        'constructor[prototype][x]=1',
        '%zz=%ff',
        'phone=%00',
        'page=-1&page=1e9',
        'token=' + 'a'.repeat(3000),
        `q=${'b'.repeat(rng.pick([100, 10_000, 60_000]))}`,
        'status=ok&status=error',
        'from=9999-99-99&to=0000-00-00',
        'from=2024-02-30',
        'callId=a&callId=b',
        'phone=a&phone=b',
        'enterprise=1&enterprise=2',
        '&&&==&=',
        'page=NaN',
        'userId=١٢',
        'code=١٥١&phone=٣٧٥٢٩١٢٣٤٥٦٧',
      ]);
      const r = serialize(spec, method, path, params);
      return done({ ...r, url: `${r.url}${r.url.includes('?') ? '&' : '?'}${abuse}` });
    }
    case 'unicode-digits': {
      for (const f of spec.digitFields ?? Object.keys(params))
        params[f] = rng.pick(['٣٧٥٢٩١٢٣٤٥٦٧', '３７５２９１２３４５６７', '١٥١', '１５１', '𝟏𝟓𝟏', '۱۵۱']);
      return done(serialize(spec, method, path, params));
    }
    case 'raw-junk': {
      const text = JSON.stringify(params);
      const payload = rng.pick<string | Buffer>([
        '',
        ' ',
        'null',
        '[]',
        '"text"',
        '123',
        'true',
        '{',
        text.slice(0, Math.max(1, text.length >> 1)),
        text + text,
        Buffer.from(Array.from({ length: rng.int(1, 512) }, () => rng.int(0, 255))),
        '\ufeff' + text,
        `${text}\u0000`,
      ]);
      return done({ url: path, payload, headers: rng.chance(0.7) ? jsonType : {} }, method === 'GET' ? 'POST' : method);
    }
    default: {
      // header-abuse: auth headers duplicated, quoted, huge, with control characters; a wrong host/accept.
      const r = serialize(spec, method, path, params);
      const headers: Record<string, string> = { ...r.headers };
      const name = rng.pick([
        ...Object.keys(auth),
        'token',
        'cookie',
        'x-csrf-token',
        'x-telegram-bot-api-secret-token',
        'x-forwarded-for',
        'x-real-ip',
      ]);
      headers[name] = rng.pick([
        `"${auth[name] ?? 'x'}"`,
        'z'.repeat(rng.pick([200, 8_000])),
        nastyString(rng).replace(/[^\t\x20-\x7e\x80-\xff]/g, '?'),
        '',
        '10.0.0.1, 127.0.0.1',
      ]);
      if (rng.chance(0.3)) headers.accept = 'application/xml';
      return {
        method,
        url: r.url,
        headers: { ...auth, ...headers },
        ...(r.payload !== undefined && method !== 'GET' ? { payload: r.payload } : {}),
        kind,
      };
    }
  }
}

/** The params of a generated request, for the generator-side checks (e.g. "would this originate?"). */
export function paramsOf(req: FuzzRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const q = req.url.split('?')[1];
  if (q) for (const [k, v] of new URLSearchParams(q)) out[k] = v;
  if (typeof req.payload === 'string') {
    const text = req.payload.replace(/^\uFEFF/, '');
    try {
      Object.assign(out, JSON.parse(text));
    } catch {
      for (const [k, v] of new URLSearchParams(text)) out[k] = v;
    }
  }
  return out;
}
