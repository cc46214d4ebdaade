// Arrange helpers for the admin page tests: an operator link, a logged-in cookie jar over app.inject.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Sql } from '@fleet/db';
import { issueLink, linkUrl } from '../src/admin/links.ts';

export async function operatorLink(sql: Sql, app: FastifyInstance, enterprise: string): Promise<{ url: string; token: string; jti: string }> {
  const c = app.rcrmConfig;
  const link = await issueLink(sql, c.JWT_SECRET, enterprise, 'operator', c.ADMIN_LINK_TTL_DAYS);
  return { url: linkUrl(c.PUBLIC_BASE_URL, link.token), token: link.token, jti: link.jti };
}

/** A tiny cookie jar over inject: what a browser would carry between requests. */
export function browser(app: FastifyInstance) {
  const jar = new Map<string, string>();
  let csrf = '';
  const remember = (res: LightMyRequestResponse) => {
    for (const c of res.cookies) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    jar,
    async open(path: string, method: 'GET' | 'POST' = 'GET', form?: Record<string, string>) {
      return remember(
        await app.inject({
          method,
          url: path,
          headers: { cookie: cookie(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          payload: form ? new URLSearchParams(form).toString() : undefined,
        }),
      );
    },
    async api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, opts: { csrf?: string } = {}) {
      const res = remember(
        await app.inject({
          method,
          url: `/retailcrm-admin/api${path}`,
          headers: { cookie: cookie(), 'x-csrf-token': opts.csrf ?? csrf },
          ...(body === undefined ? {} : { payload: body as object }),
        }),
      );
      if (path === '/state' && res.statusCode === 200) csrf = res.json().csrfToken;
      return res;
    },
  };
}
