// Pure validation of the request fields, as strict as RetailCRM (shared/domain/retailcrm.md).
export type FieldErrors = Record<string, string>;

export const CALL_EVENT_TYPES = ['in', 'out', 'hangup'] as const;
export const HANGUP_STATUSES = ['answered', 'busy', 'cancel', 'failed', 'no answered'] as const;
export const UPLOAD_TYPES = ['in', 'out'] as const;
export const UPLOAD_RESULTS = ['answered', 'busy', 'failed', 'no answer', 'not allowed', 'unknown'] as const;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `Y-m-d H:i:s` and a real calendar date-time. */
export function isCrmDate(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const m = DATE_RE.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isUint = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const oneOf = (list: readonly string[], v: unknown): boolean => typeof v === 'string' && list.includes(v);

function checkAbsoluteUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Field `event` of telephony/call/event. */
export function validateCallEvent(e: unknown): FieldErrors {
  const errors: FieldErrors = {};
  if (!isObj(e)) return { event: 'must be an object' };
  if (!isNonBlank(e.phone)) errors.phone = 'This value should not be blank.';
  if (!oneOf(CALL_EVENT_TYPES, e.type))
    errors.type = `The value you selected is not a valid choice (${CALL_EVENT_TYPES.join(', ')}).`;
  if (e.hangupStatus !== undefined && !oneOf(HANGUP_STATUSES, e.hangupStatus)) {
    errors.hangupStatus = `The value you selected is not a valid choice (${HANGUP_STATUSES.join(', ')}).`;
  }
  if (
    e.codes !== undefined &&
    !(Array.isArray(e.codes) && e.codes.every((c) => typeof c === 'string' || typeof c === 'number'))
  ) {
    errors.codes = 'must be an array of strings';
  }
  if (
    e.userIds !== undefined &&
    !(Array.isArray(e.userIds) && e.userIds.every((u) => isUint(u) || /^\d+$/.test(String(u))))
  ) {
    errors.userIds = 'must be an array of integers';
  }
  const codes = Array.isArray(e.codes) ? e.codes.filter((c) => String(c) !== '') : [];
  const userIds = Array.isArray(e.userIds) ? e.userIds : [];
  if (codes.length === 0 && userIds.length === 0) errors.codes = 'One of "codes" or "userIds" must be non-empty.';
  for (const f of ['callExternalId', 'externalPhone', 'site'] as const) {
    if (e[f] !== undefined && typeof e[f] !== 'string') errors[f] = 'must be a string';
  }
  return errors;
}

/** One call of telephony/calls/upload; error keys are prefixed `calls[i].`. */
export function validateUploadCall(c: unknown, i: number): FieldErrors {
  const p = `calls[${i}]`;
  if (!isObj(c)) return { [p]: 'must be an object' };
  const errors: FieldErrors = {};
  if (!isCrmDate(c.date)) errors[`${p}.date`] = 'This value is not a valid datetime (Y-m-d H:i:s).';
  if (!oneOf(UPLOAD_TYPES, c.type))
    errors[`${p}.type`] = `The value you selected is not a valid choice (${UPLOAD_TYPES.join(', ')}).`;
  if (!isNonBlank(c.phone)) errors[`${p}.phone`] = 'This value should not be blank.';
  if (c.result !== undefined && !oneOf(UPLOAD_RESULTS, c.result)) {
    errors[`${p}.result`] = `The value you selected is not a valid choice (${UPLOAD_RESULTS.join(', ')}).`;
  }
  for (const f of ['duration', 'durationWaiting'] as const) {
    if (c[f] !== undefined && !isUint(c[f])) errors[`${p}.${f}`] = 'must be a non-negative integer';
  }
  if (c.userId !== undefined && !isUint(c.userId)) errors[`${p}.userId`] = 'must be an integer';
  if (c.recordUrl !== undefined && !checkAbsoluteUrl(c.recordUrl))
    errors[`${p}.recordUrl`] = 'This value is not a valid URL.';
  for (const f of ['code', 'externalId', 'externalPhone', 'site'] as const) {
    if (c[f] !== undefined && typeof c[f] !== 'string') errors[`${p}.${f}`] = 'must be a string';
  }
  return errors;
}

/** Telephony keys RetailCRM reads only under integrations.telephony. */
export const TELEPHONY_KEYS = [
  'makeCallUrl',
  'changeUserStatusUrl',
  'allowEdit',
  'inputEventSupported',
  'outputEventSupported',
  'hangupEventSupported',
  'additionalCodes',
  'externalPhones',
];

/** Field `integrationModule` of integration-modules/{code}/edit. `creating`: no module under this code yet. */
export function validateModule(m: unknown, pathCode: string, creating: boolean): FieldErrors {
  if (!isObj(m)) return { integrationModule: 'must be an object' };
  const errors: FieldErrors = {};
  if (m.code !== pathCode) errors.code = 'The code must match the code in the URL.';
  if (
    m.integrationCode !== undefined &&
    !(isNonBlank(m.integrationCode) && typeof m.code === 'string' && m.code.startsWith(m.integrationCode))
  ) {
    errors.integrationCode = '"code" must start with "integrationCode".';
  }
  if (!isNonBlank(m.baseUrl)) errors.baseUrl = 'This value should not be blank.';
  if (m.logo !== undefined || creating) {
    if (!checkAbsoluteUrl(m.logo) || !new URL(String(m.logo)).pathname.toLowerCase().endsWith('.svg')) {
      errors.logo = 'The logo must be a URL of an SVG file.';
    }
  }
  if (creating && !isNonBlank(m.name)) errors.name = 'This value should not be blank.';
  if (m.actions !== undefined)
    errors.actions = 'Unknown action keys (allowed keys are validated; do not send actions).';
  if (m.accountUrl !== undefined && !checkAbsoluteUrl(m.accountUrl))
    errors.accountUrl = 'This value is not a valid URL.';
  const tel = isObj(m.integrations) ? m.integrations.telephony : undefined;
  if (tel !== undefined) {
    if (!isObj(tel)) errors['integrations.telephony'] = 'must be an object';
    else {
      for (const f of ['makeCallUrl', 'changeUserStatusUrl'] as const) {
        if (tel[f] !== undefined && !checkAbsoluteUrl(tel[f]))
          errors[`integrations.telephony.${f}`] = 'This value is not a valid URL.';
      }
      if (tel.additionalCodes !== undefined) {
        if (!Array.isArray(tel.additionalCodes)) errors['integrations.telephony.additionalCodes'] = 'must be an array';
        else
          tel.additionalCodes.forEach((ac, i) => {
            if (!isObj(ac) || !/^\d+$/.test(String(ac.userId)) || !isNonBlank(String(ac.code ?? ''))) {
              errors[`integrations.telephony.additionalCodes[${i}]`] = 'must be {userId, code}';
            }
          });
      }
    }
  }
  return errors;
}
