// Validation of the task and customer entities (tasks/create, tasks/{id}/edit, customers/create), as
// strict as RetailCRM: api-client-php's Tasks\Task and Customers models say which fields exist and their
// formats; api-client-go's fixtures the error shape ({"errorMsg":"Task is not loaded","errors":
// {"performerId":"This value should not be blank."}}).
import type { FieldErrors } from './validate.ts';

/** errorMsg of a refused task (api-client-go's TestClient_TaskChange_Fail fixture). */
export const TASK_INVALID = 'Task is not loaded';
/** errorMsg of a refused customer, by analogy with tasks and orders (?). */
export const CUSTOMER_INVALID = 'Customer is not loaded';

const BLANK = 'This value should not be blank.';
const TASK_DATE_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;

/** The task `datetime` format: `Y-m-d H:i` (minutes, no seconds) and a real calendar date-time. */
export function isTaskDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = TASK_DATE_RE.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Fields of the `task` object RetailCRM reads; anything else is ignored (and recorded by the fake). */
export const TASK_FIELDS = [
  'text',
  'commentary',
  'datetime',
  'performerId',
  'complete',
  'customer',
  'order',
  'phone',
  'phoneSite',
] as const;

/**
 * Field `task` of tasks/create (`creating`: `text` and `performerId` required) or tasks/{id}/edit (every
 * field optional, a present one must still be valid). Whether the performer and customer exist is the
 * caller's check: it knows the account.
 */
export function validateTask(t: unknown, creating: boolean): FieldErrors {
  if (!isObj(t)) return { task: 'must be an object' };
  const errors: FieldErrors = {};
  if (creating || t.text !== undefined) {
    if (!isNonBlank(t.text)) errors.text = BLANK;
  }
  if (creating || t.performerId !== undefined) {
    if (t.performerId === undefined || t.performerId === null || t.performerId === '') errors.performerId = BLANK;
    else if (!isId(t.performerId)) errors.performerId = 'This value should be of type integer.';
  }
  if (t.datetime !== undefined && !isTaskDate(t.datetime))
    errors.datetime = 'This value is not a valid datetime (Y-m-d H:i).';
  if (t.complete !== undefined && typeof t.complete !== 'boolean')
    errors.complete = 'This value should be of type bool.';
  for (const f of ['commentary', 'phone', 'phoneSite'] as const) {
    if (t[f] !== undefined && typeof t[f] !== 'string') errors[f] = 'This value should be of type string.';
  }
  if (t.customer !== undefined) {
    const c = t.customer;
    if (!isObj(c) || (!isId(c.id) && !isNonBlank(c.externalId)))
      errors.customer = 'The customer must be given by "id" or "externalId".';
  }
  if (t.order !== undefined && !isObj(t.order)) errors.order = 'must be an object';
  return errors;
}

/** Fields of customers/create's `customer` the fake reads or keeps; RetailCRM knows many more (kept as sent). */
export function validateCustomer(c: unknown): FieldErrors {
  if (!isObj(c)) return { customer: 'must be an object' };
  const errors: FieldErrors = {};
  if (c.phones !== undefined) {
    if (!Array.isArray(c.phones)) errors.phones = 'This value should be of type array.';
    else
      c.phones.forEach((p, i) => {
        if (!isObj(p) || !isNonBlank(p.number)) errors[`phones[${i}].number`] = BLANK;
      });
  }
  for (const f of ['externalId', 'firstName', 'lastName', 'patronymic', 'email'] as const) {
    if (c[f] !== undefined && typeof c[f] !== 'string') errors[f] = 'This value should be of type string.';
  }
  if (c.email !== undefined && typeof c.email === 'string' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c.email))
    errors.email = 'This value is not a valid email address.';
  if (c.managerId !== undefined && !isId(c.managerId)) errors.managerId = 'This value should be of type integer.';
  return errors;
}
