// What may leave the service in the journal: never an API key, never a link token.
const JWT = /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}/g;
const TOKEN_PARAM = /([?&]token=)[^&"\s\\]+/g;

/** Removes `secrets` (the API key…) and anything that looks like a JWT or a token query parameter. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(TOKEN_PARAM, '$1[redacted]').replace(JWT, '[redacted-jwt]');
}

/** The same on a JSON value (through its text). */
export function redactJson<T>(value: T, secrets: readonly string[] = []): T {
  return JSON.parse(redact(JSON.stringify(value), secrets)) as T;
}

/** `abcd…wxyz` style mask for showing that a key is set without showing it. */
export function maskKey(key: string | undefined): string | null {
  if (!key) return null;
  return key.length <= 8 ? '••••••••' : `${key.slice(0, 4)}••••••••${key.slice(-4)}`;
}
