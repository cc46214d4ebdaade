// "Удалить интеграцию", first half: switch the module off at RetailCRM. Asked of RetailCRM itself
// (GET integration-modules/{code}), not of our link table: a module whose link expired or was never
// recorded is still active there. The caller removes the config only after this succeeded, or when
// the admin explicitly chose "remove here only".
import { isRetailCrmError } from '@fleet/retailcrm-client';
import {
  type AdminContext,
  NotConnectedError,
  journalExchanges,
  crmFailure,
  registerModule,
  readConnection,
} from '@fleet/retailcrm-admin';

/** What happened at RetailCRM: switched off, no such module there, or no connection to ask with. */
export type ModuleOffOutcome = 'off' | 'absent' | 'not_connected';

/**
 * Switches the module off at RetailCRM (active: false, the rest as registered).
 * @throws NotConnectedError (the stored key cannot be read), CrmFailedError (RetailCRM refused or is
 * unreachable): the module may still be active, so nothing must be removed.
 */
export async function switchModuleOff(ctx: AdminContext, enterprise: string): Promise<ModuleOffOutcome> {
  const conn = await readConnection(ctx.sql, ctx.secretsKey, enterprise);
  if (conn?.apiKeyUnreadable)
    throw new NotConnectedError('API-ключ не расшифровывается текущим SECRETS_KEY, RetailCRM не спросить');
  if (!conn?.domain || !conn.apiKey) return 'not_connected';
  const client = ctx.clientFor(
    conn.domain,
    conn.apiKey,
    journalExchanges(ctx.sql, enterprise, 'module.get', conn.apiKey, (x) => ({
      ok: x.ok || moduleMissing(x.status, errorMsgOf(x.response)),
    })),
  );
  try {
    await client.getIntegrationModule(ctx.moduleCode);
  } catch (err) {
    if (isRetailCrmError(err) && err.code === 'RCRM_REJECTED' && moduleMissing(err.status, err.errorMsg))
      return 'absent';
    throw crmFailure(err);
  }
  await registerModule(ctx, enterprise, { mode: 'push', active: false });
  return 'off';
}

/**
 * RetailCRM's 404 for a module code it does not have. Its 404 for a path it does not serve ("API
 * method not found": the address is not a RetailCRM API) is a failure, not an absent module.
 */
function moduleMissing(status: number | undefined, errorMsg: string | undefined): boolean {
  return status === 404 && errorMsg !== undefined && !/method not found/i.test(errorMsg);
}

function errorMsgOf(body: string | undefined): string | undefined {
  try {
    const v = JSON.parse(body ?? '') as { success?: unknown; errorMsg?: unknown };
    return v.success === false && typeof v.errorMsg === 'string' ? v.errorMsg : undefined;
  } catch {
    return undefined;
  }
}
