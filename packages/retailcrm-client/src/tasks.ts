// Tasks and customers (issue 14: a task per missed call, closed by the callback; a customer for an
// unknown caller). Request shapes from api-client-php (TasksCreateRequest: `task` JSON + `site` form
// field; TaskFilter), answers from api-client-go's tests (create → 201 {success, id}, edit → {success}).
import { RetailCrmError } from './errors.ts';
import { send, type TransportOptions } from './transport.ts';
import type {
  CreateResponse,
  CrmSuccess,
  NewCustomer,
  NewTask,
  TaskPatch,
  TaskResponse,
  TasksQuery,
  TasksResponse,
  TelephonyManagerResponse,
} from './types.ts';

const TASK_DATE_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/;

function invalid(message: string): Promise<never> {
  return Promise.reject(new RetailCrmError({ code: 'RCRM_INVALID_REQUEST', transient: false, message }));
}

const isId = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Our own preconditions of a task (RetailCRM would refuse them anyway, after a rate-limit slot). */
function taskProblem(task: Partial<NewTask> & { complete?: boolean }, creating: boolean): string | undefined {
  if ((creating || task.text !== undefined) && !(typeof task.text === 'string' && task.text.trim()))
    return 'task text is required';
  if ((creating || task.performerId !== undefined) && !isId(task.performerId))
    return 'task performerId must be a RetailCRM user id';
  if (task.datetime !== undefined && !TASK_DATE_RE.test(task.datetime))
    return `task datetime must be 'Y-m-d H:i', got ${task.datetime}`;
  return undefined;
}

export function createTask(t: TransportOptions, task: NewTask, o: { site?: string } = {}): Promise<CreateResponse> {
  const problem = taskProblem(task, true);
  if (problem) return invalid(problem);
  // No idempotency key: a repeat after an unknown outcome would create a second task.
  return send(t, {
    method: 'POST',
    path: '/api/v5/tasks/create',
    bucket: 'general',
    fields: { task, site: o.site },
    repeatable: false,
  });
}

export function editTask(t: TransportOptions, id: number, patch: TaskPatch, o: { site?: string } = {}) {
  if (!isId(id)) return invalid(`task id must be a positive integer, got ${id}`);
  const problem = taskProblem(patch, false);
  if (problem) return invalid(problem);
  // Repeatable: an edit sets fields (complete, commentary), so a repeat leaves the same task.
  return send<CrmSuccess>(t, {
    method: 'POST',
    path: `/api/v5/tasks/${id}/edit`,
    bucket: 'general',
    fields: { task: patch, site: o.site },
  });
}

export function getTask(t: TransportOptions, id: number): Promise<TaskResponse> {
  if (!isId(id)) return invalid(`task id must be a positive integer, got ${id}`);
  return send(t, { method: 'GET', path: `/api/v5/tasks/${id}`, bucket: 'general' });
}

export function listTasks(t: TransportOptions, q: TasksQuery = {}): Promise<TasksResponse> {
  const query: Array<[string, string]> = [];
  if (q.page !== undefined) query.push(['page', String(q.page)]);
  if (q.limit !== undefined) query.push(['limit', String(q.limit)]);
  for (const [k, v] of Object.entries(q.filter ?? {})) {
    if (v === undefined) continue;
    // Arrays as repeated `filter[k][]=v` (api-client-go's TasksTasks test: filter[creators][]=123).
    if (Array.isArray(v)) for (const x of v) query.push([`filter[${k}][]`, String(x)]);
    else query.push([`filter[${k}]`, String(v)]);
  }
  return send(t, { method: 'GET', path: '/api/v5/tasks', bucket: 'general', query });
}

export function createCustomer(
  t: TransportOptions,
  customer: NewCustomer,
  o: { site?: string } = {},
): Promise<CreateResponse> {
  if (customer.phones?.some((p) => !p.number?.trim())) return invalid('every customer phone needs a number');
  // Not repeatable: RetailCRM does not de-duplicate customers (only a repeated externalId is refused).
  return send(t, {
    method: 'POST',
    path: '/api/v5/customers/create',
    bucket: 'general',
    fields: { customer, site: o.site },
    repeatable: false,
  });
}

export function telephonyManager(
  t: TransportOptions,
  phone: string,
  o: { details?: boolean; ignoreStatus?: boolean } = {},
): Promise<TelephonyManagerResponse> {
  if (!phone.trim()) return invalid('phone is required');
  return send(t, {
    method: 'GET',
    path: '/api/v5/telephony/manager',
    bucket: 'telephony',
    query: { phone, details: o.details ? '1' : '0', ignoreStatus: o.ignoreStatus ? '1' : '0' },
  });
}
