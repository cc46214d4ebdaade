// Registering the telephony module (POST integration-modules/{code}/edit): the page's "Сохранить и
// зарегистрировать", every mapping change (to push the full additionalCodes) and
// `fleet retailcrm register`. Each attempt lands in integration_logs with RetailCRM's answer.
import { isRetailCrmError, type AdditionalCode } from '@fleet/retailcrm-client';
import type { AdminContext } from './context.ts';
import { CrmFailedError, CrmRefusedError, NotConnectedError } from './errors.ts';
import { journalExchanges } from './journal-write.ts';
import { currentModuleLink, issueLink, linkUrl, revokeLinks, signLink, type LinkRow } from './links.ts';
import { additionalCodesOf, buildModule } from './module.ts';
import { mergeRetailcrmConfig, readConnection, type StoredConnection } from './store.ts';

export interface RegistrationResult {
  active: boolean;
  additionalCodes: AdditionalCode[];
  /** User ids RetailCRM does not know (info.notExistUsersIds). */
  notExistUsersIds: number[];
  /** Older links revoked by this registration. */
  revokedLinks: number;
}

export interface RegisterOptions {
  /** 'register' issues a new accountUrl link and revokes the older ones once RetailCRM accepted it;
   *  'push' re-sends the module with the current link (a mapping change). Default 'register'. */
  mode?: 'register' | 'push';
  /** Override the stored switch (delete: false). */
  active?: boolean;
}

/** The connection, or NotConnectedError saying what is missing. */
export async function usableConnection(
  ctx: AdminContext,
  enterprise: string,
): Promise<StoredConnection & { domain: string; apiKey: string }> {
  const conn = await readConnection(ctx.sql, ctx.secretsKey, enterprise);
  if (!conn) throw new NotConnectedError(`предприятие ${enterprise} не найдено`);
  if (conn.apiKeyUnreadable)
    throw new NotConnectedError('API-ключ не расшифровывается текущим SECRETS_KEY, введите его заново');
  if (!conn.domain) throw new NotConnectedError('не указан адрес RetailCRM');
  if (!conn.apiKey) throw new NotConnectedError('не указан API-ключ');
  return conn as StoredConnection & { domain: string; apiKey: string };
}

/** Registers (or re-sends) the module for `enterprise`. @throws NotConnectedError, CrmFailedError */
export async function registerModule(
  ctx: AdminContext,
  enterprise: string,
  opts: RegisterOptions = {},
): Promise<RegistrationResult> {
  const conn = await usableConnection(ctx, enterprise);
  const clientId = conn.clientId ?? (await mergeRetailcrmConfig(ctx.sql, enterprise, {}))!.clientId;
  const existing = opts.mode === 'push' ? await currentModuleLink(ctx.sql, enterprise) : undefined;
  const fresh = existing ? undefined : await issueLink(ctx.sql, ctx.jwtSecret, enterprise, 'module', ctx.linkTtlDays);
  const link: LinkRow = existing ?? fresh!;
  const active = opts.active ?? conn.enabled;
  const module = buildModule({
    code: ctx.moduleCode,
    name: ctx.moduleName,
    active,
    publicBaseUrl: ctx.publicBaseUrl,
    clientId,
    accountUrl: linkUrl(ctx.publicBaseUrl, signLink(ctx.jwtSecret, link)),
    userExtensions: conn.userExtensions,
  });
  const client = ctx.clientFor(
    conn.domain,
    conn.apiKey,
    journalExchanges(ctx.sql, enterprise, 'module.edit', conn.apiKey),
  );
  let info: { notExistUsersIds?: number[] } | undefined;
  try {
    const res = await client.editIntegrationModule(ctx.moduleCode, module);
    info = res.info;
  } catch (err) {
    if (!fresh) throw crmFailure(err);
    // Issue 15.4: a timeout (or a reset connection, a 5xx) does not say RetailCRM did not apply the
    // edit; deleting the new link then left the module's "go to account" button on a dead link. The
    // module is read back: holding our link means the registration happened; the new link is dropped
    // only when RetailCRM is known not to hold it (its answer refused the edit, and the read-back
    // agrees). Otherwise both links stay usable until a later registration settles it.
    const held = await holdsAccountUrl(ctx, conn, enterprise, module.accountUrl!);
    if (held !== 'yes') {
      if (held === 'no' && refusedForSure(err))
        await ctx.sql`delete from retailcrm_admin_links where jti = ${fresh.jti}`;
      throw crmFailure(err);
    }
  }
  // Older links stop working; admins already in keep their sessions (links.ts revokeLinks).
  const revokedLinks = fresh
    ? await revokeLinks(ctx.sql, enterprise, 're-registered', { jti: fresh.jti, endSessions: false })
    : 0;
  return {
    active,
    additionalCodes: additionalCodesOf(conn.userExtensions),
    notExistUsersIds: info?.notExistUsersIds ?? [],
    revokedLinks,
  };
}

/** Whether RetailCRM's module now carries `accountUrl` ('unknown' when it cannot be read). */
async function holdsAccountUrl(
  ctx: AdminContext,
  conn: { domain: string; apiKey: string },
  enterprise: string,
  accountUrl: string,
): Promise<'yes' | 'no' | 'unknown'> {
  const client = ctx.clientFor(
    conn.domain,
    conn.apiKey,
    journalExchanges(ctx.sql, enterprise, 'module.get', conn.apiKey),
  );
  try {
    const res = await client.getIntegrationModule(ctx.moduleCode);
    return res.integrationModule?.accountUrl === accountUrl ? 'yes' : 'no';
  } catch {
    return 'unknown';
  }
}

/**
 * RetailCRM answered and refused, or the request never left: the edit was not applied. A timeout, a
 * reset connection, a 5xx or a garbled 2xx may have been applied.
 */
function refusedForSure(err: unknown): boolean {
  if (!isRetailCrmError(err)) return false;
  if (
    ['RCRM_REJECTED', 'RCRM_UNAUTHORIZED', 'RCRM_INVALID_REQUEST', 'RCRM_NOT_SENT', 'RCRM_RATE_LIMITED'].includes(
      err.code,
    )
  )
    return true;
  return err.code === 'RCRM_HTTP_ERROR' && err.status !== undefined && err.status < 500;
}

/**
 * A RetailCRM failure as the page shows it: RetailCRM's own errorMsg and field errors when it sent them.
 * CrmFailedError (502) when RetailCRM may answer later, CrmRefusedError (422) when it refused for good.
 */
export function crmFailure(err: unknown): Error {
  if (!isRetailCrmError(err)) return err as Error;
  const fields =
    err.errors && typeof err.errors === 'object'
      ? Object.entries(err.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`)
      : [];
  const text = [err.errorMsg ?? err.message, ...fields].join('; ');
  // RetailCRM unreachable or failing: 502, try again later. RetailCRM refused: 422, fix the configuration.
  const Failure = err.transient ? CrmFailedError : CrmRefusedError;
  return Object.assign(new Failure(text), { details: { crmCode: err.code, crmStatus: err.status ?? null } });
}
