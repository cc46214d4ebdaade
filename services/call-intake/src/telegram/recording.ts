// The recording link on a call's final message: the enterprise's record_url_template and the rule of
// the CRM history record (recordUrlOf in @fleet/retailcrm-client: answered calls only), so RetailCRM and
// Telegram never show different links for one call. Only customer calls: the CRM never gets internal
// calls, so nothing says that their recordings exist at the template's address.
import type { CallSummary } from '@fleet/call-model';
import { recordUrlOf } from '@fleet/retailcrm-client/format'; // not the root: it loads the HTTP transport (p-retry, undici)
import type { CardStage } from '@fleet/telegram-render';

/**
 * The link for the card of `call` at `stage`, or null (not a final, not an answered customer call, no
 * template). A template that gives no absolute http(s) URL shows no link rather than failing the card:
 * the CLI refuses such templates and the CRM side reports them (ConfigInvalidError).
 */
export function recordingUrlOf(
  template: string | null,
  enterprise: string,
  stage: CardStage,
  call: CallSummary,
): string | null {
  if (stage !== 'final' || call.kind !== 'customer') return null;
  try {
    return recordUrlOf(template, enterprise, call) ?? null;
  } catch {
    return null;
  }
}
