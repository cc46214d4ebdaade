// POST tasks/create, POST tasks/{id}/edit, GET tasks, GET tasks/{id} (issue 14: missed-call tasks).
// Shapes from api-client-php (Tasks\Task, TasksCreateRequest: `task` JSON + optional `site` form field,
// TaskFilter) and api-client-go's tests (create → 201 {success, id}; edit → 200 {success}).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonField, reject } from '../guard.ts';
import type { FakeContext } from '../context.ts';
import { crmDateTime } from '../crm-time.ts';
import { customerByRef } from '../customers.ts';
import { paginate, parseListQuery } from '../list-query.ts';
import { samePhone } from '../phone-match.ts';
import type { CrmTask, StoredTask } from '../state.ts';
import type { FieldErrors } from '../validate.ts';
import { TASK_FIELDS, TASK_INVALID, validateTask } from '../validate-entities.ts';

const TASK_FILTERS = {
  ids: 'array',
  performers: 'array',
  creators: 'array',
  status: 'scalar',
  text: 'scalar',
  customer: 'scalar',
  orderNumber: 'scalar',
  dateFrom: 'scalar',
  dateTo: 'scalar',
  createdAtFrom: 'scalar',
  createdAtTo: 'scalar',
  completedAtFrom: 'scalar',
  completedAtTo: 'scalar',
} as const;
const INVALID_INPUT = 'Errors in the input parameters';

export function taskRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.post('/api/v5/tasks/create', { config: { crm: { bucket: 'general', scope: 'task_write' } } }, (req, reply) => {
    const fields = jsonField(ctx, req, reply, 'task');
    if (fields === undefined) return reply;
    const site = siteOf(ctx, req, reply);
    if (site === null) return reply;
    const errors = { ...validateTask(fields, true), ...references(ctx, fields as Record<string, unknown>) };
    if (Object.keys(errors).length) return reject(ctx, req, reply, 400, 'validation', TASK_INVALID, errors);
    const t = fields as Record<string, unknown>;
    recordIgnored(ctx, '/api/v5/tasks/create', t);
    const now = Date.now();
    const task: CrmTask = {
      id: ++ctx.lastTaskId,
      text: String(t.text),
      createdAt: crmDateTime(now, ctx.timeZone),
      complete: false,
      performer: t.performerId as number,
      performerType: 'user',
    };
    apply(ctx, task, t, now);
    ctx.state.tasks.push({ receivedAt: now, key: req.crmKey!, ...(site ? { site } : {}), task });
    return reply.code(201).send({ success: true, id: task.id });
  });

  app.post<{ Params: { id: string } }>(
    '/api/v5/tasks/:id/edit',
    { config: { crm: { bucket: 'general', scope: 'task_write' } } },
    (req, reply) => {
      const stored = taskOf(ctx, req.params.id);
      const fields = jsonField(ctx, req, reply, 'task');
      if (fields === undefined) return reply;
      if (siteOf(ctx, req, reply) === null) return reply;
      if (!stored) return reject(ctx, req, reply, 404, 'not_found', 'Not found');
      const errors = { ...validateTask(fields, false), ...references(ctx, fields as Record<string, unknown>) };
      if (Object.keys(errors).length) return reject(ctx, req, reply, 400, 'validation', TASK_INVALID, errors);
      const t = fields as Record<string, unknown>;
      recordIgnored(ctx, '/api/v5/tasks/{id}/edit', t);
      ctx.state.taskEdits.push({ receivedAt: Date.now(), key: req.crmKey!, id: stored.task.id, task: t });
      apply(ctx, stored.task, t, Date.now());
      return reply.code(200).send({ success: true });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v5/tasks/:id',
    { config: { crm: { bucket: 'general', scope: 'task_read' } } },
    (req, reply) => {
      const stored = taskOf(ctx, req.params.id);
      if (!stored) return reject(ctx, req, reply, 404, 'not_found', 'Not found');
      return reply.send({ success: true, task: stored.task });
    },
  );

  app.get('/api/v5/tasks', { config: { crm: { bucket: 'general', scope: 'task_read' } } }, (req, reply) => {
    const q = parseListQuery(req.query as Record<string, unknown>, TASK_FILTERS);
    if ('errors' in q) return reject(ctx, req, reply, 400, 'validation', INVALID_INPUT, q.errors);
    const errors = checkFilter(q.filter);
    if (Object.keys(errors).length) return reject(ctx, req, reply, 400, 'validation', INVALID_INPUT, errors);
    // Oldest first (the order of the real list is not documented (?): callers must not depend on it).
    const tasks = ctx.state.tasks.map((s) => s.task).filter((t) => matches(ctx, t, q.filter));
    const { pagination, page } = paginate(tasks, q);
    return reply.send({ success: true, pagination, tasks: page });
  });
}

function taskOf(ctx: FakeContext, id: string): StoredTask | undefined {
  return /^\d+$/.test(id) ? ctx.state.tasks.find((s) => s.task.id === Number(id)) : undefined;
}

/** The optional `site` form field: undefined when absent, null when refused (answered). */
function siteOf(ctx: FakeContext, req: FastifyRequest, reply: FastifyReply): string | undefined | null {
  const site = ((req.body ?? {}) as Record<string, unknown>).site;
  if (site === undefined || site === '') return undefined;
  if (typeof site === 'string' && ctx.sites.includes(site)) return site;
  // Wording unconfirmed (?): a store code the key cannot use.
  reject(ctx, req, reply, 400, 'validation', INVALID_INPUT, { site: `Site "${String(site)}" not found.` });
  return null;
}

/** The performer must be a user of the account, the customer one of its customers (wording unconfirmed (?)). */
function references(ctx: FakeContext, t: Record<string, unknown>): FieldErrors {
  const errors: FieldErrors = {};
  if (typeof t.performerId === 'number' && ctx.users && !ctx.users.some((u) => u.id === t.performerId))
    errors.performerId = 'User not found.';
  const c = t.customer as Record<string, unknown> | undefined;
  if (c && typeof c === 'object' && (c.id !== undefined || c.externalId !== undefined) && !customerByRef(ctx.state, c))
    errors.customer = 'Customer not found.';
  return errors;
}

function recordIgnored(ctx: FakeContext, path: string, t: Record<string, unknown>): void {
  const fields = Object.keys(t).filter((k) => !(TASK_FIELDS as readonly string[]).includes(k) && k !== 'id');
  if (fields.length) ctx.state.ignoredFields.push({ path, fields });
}

/** Applies the (valid) fields of a create or an edit to `task`. */
function apply(ctx: FakeContext, task: CrmTask, t: Record<string, unknown>, now: number): void {
  if (t.text !== undefined) task.text = String(t.text);
  if (t.performerId !== undefined) task.performer = t.performerId as number;
  for (const f of ['commentary', 'datetime', 'phone', 'phoneSite'] as const) {
    if (t[f] !== undefined) task[f] = t[f] as string;
  }
  if (t.order !== undefined) task.order = t.order as Record<string, unknown>;
  if (t.customer !== undefined) {
    const c = customerByRef(ctx.state, t.customer as Record<string, unknown>)!.customer;
    task.customer = {
      type: 'customer',
      id: c.id,
      ...(c.externalId ? { externalId: c.externalId } : {}),
      ...(typeof c.site === 'string' ? { site: c.site } : {}),
    };
  }
  if (t.complete === true && !task.complete) {
    task.complete = true;
    task.completedAt = crmDateTime(now, ctx.timeZone);
  } else if (t.complete === false && task.complete) {
    task.complete = false;
    delete task.completedAt;
  }
}

const DATE_FILTER_RE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;
const ID_RE = /^\d+$/;

function checkFilter(f: Record<string, string | string[]>): FieldErrors {
  const errors: FieldErrors = {};
  if (f.status !== undefined && f.status !== 'performing' && f.status !== 'completed')
    errors.status = 'The value you selected is not a valid choice (performing, completed).';
  for (const k of ['ids', 'performers', 'creators'] as const) {
    if (f[k] && !(f[k] as string[]).every((v) => ID_RE.test(v))) errors[k] = 'This value should be of type integer.';
  }
  for (const k of ['dateFrom', 'dateTo', 'createdAtFrom', 'createdAtTo', 'completedAtFrom', 'completedAtTo']) {
    if (f[k] !== undefined && !DATE_FILTER_RE.test(String(f[k]))) errors[k] = 'This value is not a valid datetime.';
  }
  return errors;
}

function inRange(value: string | undefined, from: unknown, to: unknown): boolean {
  if (from === undefined && to === undefined) return true;
  if (value === undefined) return false;
  const upper = typeof to === 'string' && to.length === 10 ? `${to} 23:59:59` : to;
  return (from === undefined || value >= String(from)) && (upper === undefined || value <= String(upper));
}

function matches(ctx: FakeContext, t: CrmTask, f: Record<string, string | string[]>): boolean {
  const ints = (k: string) => (f[k] as string[] | undefined)?.map(Number);
  if (ints('ids') && !ints('ids')!.includes(t.id)) return false;
  if (ints('performers') && !ints('performers')!.includes(t.performer)) return false;
  if (ints('creators')) return false; // tasks created through the API have no creator user
  if (f.status === 'performing' && t.complete) return false;
  if (f.status === 'completed' && !t.complete) return false;
  if (f.text !== undefined && !t.text.toLowerCase().includes(String(f.text).toLowerCase())) return false;
  if (f.orderNumber !== undefined && t.order?.number !== f.orderNumber) return false;
  if (f.customer !== undefined) {
    const c = t.customer && customerByRef(ctx.state, { id: t.customer.id })?.customer;
    const needle = String(f.customer).toLowerCase();
    const names = c ? [c.firstName, c.lastName, c.patronymic, c.email].filter((x) => typeof x === 'string') : [];
    const hit =
      names.some((n) => String(n).toLowerCase().includes(needle)) ||
      (c?.phones ?? []).some((p) => samePhone(p.number, needle));
    if (!hit) return false;
  }
  return (
    inRange(t.datetime, f.dateFrom, f.dateTo) &&
    inRange(t.createdAt, f.createdAtFrom, f.createdAtTo) &&
    inRange(t.completedAt, f.completedAtFrom, f.completedAtTo)
  );
}
