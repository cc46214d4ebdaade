// What RetailCRM itself sends to an integration: the click-to-call callback to the module's
// makeCallUrl and the status callback to changeUserStatusUrl, carrying the module's clientId
// (shared/domain/retailcrm.md, "Callbacks RetailCRM makes to us"). Documented as GET (?), so the
// fake can send either GET with a query or POST with a form.
import type { FakeState } from './state.ts';

export interface ClickOptions {
  /** Module code (default: the only registered module). */
  module?: string;
  userId: number;
  /** The manager's extension; RetailCRM sends it when the user has one in additionalCodes (default: looked up there). */
  code?: string | null;
  /** Exactly as stored in the CRM: may contain +, spaces, brackets, dashes. */
  phone: string;
  externalPhone?: string;
  method?: 'GET' | 'POST';
}

export interface CallbackResult {
  status: number;
  body: string;
  url: string;
}

interface Telephony {
  makeCallUrl?: string;
  changeUserStatusUrl?: string;
  additionalCodes?: Array<{ userId: number; code: string }>;
}

function moduleOf(state: FakeState, code: string | undefined): { clientId: string; tel: Telephony } {
  const entries = Object.entries(state.modules);
  const found = code ? entries.find(([c]) => c === code) : entries.length === 1 ? entries[0] : undefined;
  if (!found)
    throw new Error(
      code ? `no module ${code} registered` : `expected exactly one registered module, found ${entries.length}`,
    );
  const m = found[1] as { clientId?: string; integrations?: { telephony?: Telephony } };
  if (!m.clientId) throw new Error(`module ${found[0]} has no clientId`);
  return { clientId: m.clientId, tel: m.integrations?.telephony ?? {} };
}

async function send(url: string, fields: Record<string, string>, method: 'GET' | 'POST'): Promise<CallbackResult> {
  const form = new URLSearchParams(fields).toString();
  const target = method === 'GET' ? `${url}${url.includes('?') ? '&' : '?'}${form}` : url;
  const res = await fetch(target, {
    method,
    ...(method === 'POST' ? { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.text(), url: target };
}

/** A manager clicks a phone number: RetailCRM calls makeCallUrl with clientId, code, phone, userId. */
export async function click(state: FakeState, o: ClickOptions): Promise<CallbackResult> {
  const { clientId, tel } = moduleOf(state, o.module);
  if (!tel.makeCallUrl) throw new Error('the module has no integrations.telephony.makeCallUrl');
  const code = o.code === undefined ? tel.additionalCodes?.find((a) => a.userId === o.userId)?.code : o.code;
  const fields: Record<string, string> = { clientId, userId: String(o.userId), phone: o.phone };
  if (code) fields.code = code;
  if (o.externalPhone) fields.externalPhone = o.externalPhone;
  return send(tel.makeCallUrl, fields, o.method ?? 'GET');
}

/** A manager changes status: RetailCRM calls changeUserStatusUrl with clientId, userId, code, status. */
export async function changeStatus(
  state: FakeState,
  o: { module?: string; userId: number; status: 'free' | 'busy' | 'dinner' | 'break'; method?: 'GET' | 'POST' },
): Promise<CallbackResult> {
  const { clientId, tel } = moduleOf(state, o.module);
  if (!tel.changeUserStatusUrl) throw new Error('the module has no integrations.telephony.changeUserStatusUrl');
  const code = tel.additionalCodes?.find((a) => a.userId === o.userId)?.code;
  return send(
    tel.changeUserStatusUrl,
    { clientId, userId: String(o.userId), status: o.status, ...(code ? { code } : {}) },
    o.method ?? 'POST',
  );
}
