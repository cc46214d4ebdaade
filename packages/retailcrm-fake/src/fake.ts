// A strict fake of RetailCRM's telephony contract (shared/domain/retailcrm.md) and of the task and customer
// methods issue 14 uses, for tests and the demo.
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { FakeContext } from './context.ts';
import { guard, reject, type FakeApiKey, type FakeFaults } from './guard.ts';
import { moduleRoutes } from './routes/modules.ts';
import { telephonyRoutes } from './routes/telephony.ts';
import { credentialPath, userRoutes } from './routes/users.ts';
import { createState, type FakeState, type FakeUser, type StoredCustomer } from './state.ts';
import { crmDateTime } from './crm-time.ts';
import { seedCustomers, type FakeCustomerSeed } from './customers.ts';
import { samePhone } from './phone-match.ts';
import { customerRoutes } from './routes/customers.ts';
import { taskRoutes } from './routes/tasks.ts';
import { changeStatus, click, type CallbackResult, type ClickOptions } from './callbacks.ts';

export interface RetailCrmFakeOptions {
  apiKeys: FakeApiKey[];
  users?: FakeUser[];
  /** Modules registered before the first request, by code. */
  modules?: Record<string, Record<string, unknown>>;
  /** Defaults: telephony 40, general 10 (per key, any 1 s window). */
  rateLimitPerSecond?: { telephony?: number; general?: number };
  faults?: FakeFaults;
  /** Client phone → RetailCRM user id of the responsible manager (telephony/manager). */
  managerByPhone?: Record<string, number>;
  /**
   * Client phone → the customer telephony/manager returns with details=1, answered exactly as given
   * (plus `id` and `phones`). Prefer `customers` for RetailCRM-shaped customers.
   */
  customerByPhone?: Record<string, Record<string, unknown>>;
  /** Customers the account already has (found by phone in any format; tasks may name them by id). */
  customers?: FakeCustomerSeed[];
  /** Store codes the key may use (default ['main']); customers/create without `site` goes to the first. */
  sites?: string[];
  /** The account's time zone for createdAt / completedAt (default 'Europe/Minsk'). */
  timeZone?: string;
  /** Fastify request logging (default off). */
  logger?: boolean;
}

export interface RetailCrmFake {
  app: FastifyInstance;
  /** Listens on 127.0.0.1:`port` (0 = any free port); resolves with the base URL, e.g. http://127.0.0.1:40123. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
  /** Live state: what was accepted and rejected. Replaced by reset(). */
  readonly state: FakeState;
  /** Replaces the fault settings (counters such as fail503Next included). */
  setFaults(faults: FakeFaults): void;
  reset(): void;
  /** RetailCRM's click-to-call callback to the registered module's makeCallUrl (with its clientId). */
  click(o: ClickOptions): Promise<CallbackResult>;
  /** RetailCRM's status callback to changeUserStatusUrl. */
  changeStatus(o: Parameters<typeof changeStatus>[1]): Promise<CallbackResult>;
  /** A manager completes a task in RetailCRM's UI (not through the API). Throws on an unknown id. */
  completeTask(id: number, commentary?: string): void;
  /** A manager deletes a task in RetailCRM's UI: the API answers 404 for it from now on. */
  deleteTask(id: number): void;
  /** Customers whose phones match `phone` in any format (+375…, 8 0…, spaces, dashes), oldest first. */
  customersWithPhone(phone: string): StoredCustomer[];
}

/** Creates the fake (not listening). */
export function createRetailCrmFake(opts: RetailCrmFakeOptions): RetailCrmFake {
  const ctx: FakeContext = {
    state: createState(opts.modules),
    keys: opts.apiKeys.map((k, i) => ({
      key: k.key,
      label: k.label ?? `key${i}`,
      scopes: k.scopes,
      withoutScopesField: k.withoutScopesField,
    })),
    limits: { telephony: opts.rateLimitPerSecond?.telephony ?? 40, general: opts.rateLimitPerSecond?.general ?? 10 },
    faults: { ...opts.faults },
    windows: new Map(),
    epoch: 0,
    users: opts.users,
    managerByPhone: opts.managerByPhone ?? {},
    timeZone: opts.timeZone ?? 'Europe/Minsk',
    lastTaskId: 0,
    sites: opts.sites ?? ['main'],
    seenExternalIds: new Set(),
    methods: [],
  };
  seedCustomers(ctx.state, ctx.sites[0], opts.customers, opts.customerByPhone);
  const app = Fastify({ logger: opts.logger ?? false });
  app.register(formbody);
  // RetailCRM reads only form fields: a JSON (or any other) body is an empty form.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, {}));

  app.addHook('preHandler', async (req, reply) => {
    const answered = await guard(ctx, req, reply);
    if (answered) return answered;
  });
  // hangAfterNext: the handler ran (the state changed), the answer is held back.
  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.crmHangAfter) await new Promise((r) => setTimeout(r, ctx.faults.hangMs ?? 10_000));
    return payload;
  });
  // GET /api/credentials lists the methods a key may call: collected from the routes themselves.
  app.addHook('onRoute', (route) => {
    const scope = route.config?.crm?.scope;
    if (scope) ctx.methods.push({ path: credentialPath(route.url), scope });
  });
  telephonyRoutes(app, ctx);
  moduleRoutes(app, ctx);
  userRoutes(app, ctx);
  taskRoutes(app, ctx);
  customerRoutes(app, ctx);
  app.get('/api/api-versions', (_req, reply) => reply.send({ success: true, versions: ['3.0', '4.0', '5.0'] }));
  app.get('/_fake/state', (_req, reply) => reply.send(ctx.state));
  app.post('/_fake/reset', (_req, reply) => {
    reset();
    return reply.send({ success: true });
  });
  app.setNotFoundHandler((req, reply) => reject(ctx, req, reply, 404, 'unknown_method', 'API method not found'));

  function reset(): void {
    ctx.epoch += 1;
    ctx.state = createState(opts.modules);
    seedCustomers(ctx.state, ctx.sites[0], opts.customers, opts.customerByPhone);
    ctx.lastTaskId = 0;
    ctx.windows.clear();
    ctx.seenExternalIds.clear();
    ctx.faults = { ...opts.faults };
  }

  return {
    app,
    async listen(port = 0) {
      return app.listen({ port, host: '127.0.0.1' });
    },
    close: () => app.close(),
    get state() {
      return ctx.state;
    },
    setFaults(faults) {
      ctx.faults = { ...faults };
    },
    reset,
    click: (o) => click(ctx.state, o),
    changeStatus: (o) => changeStatus(ctx.state, o),
    completeTask(id, commentary) {
      const task = ctx.state.tasks.find((t) => t.task.id === id)?.task;
      if (!task) throw new Error(`no task ${id}`);
      task.complete = true;
      task.completedAt = crmDateTime(Date.now(), ctx.timeZone);
      if (commentary !== undefined) task.commentary = commentary;
    },
    deleteTask(id) {
      const i = ctx.state.tasks.findIndex((t) => t.task.id === id);
      if (i < 0) throw new Error(`no task ${id}`);
      ctx.state.tasks.splice(i, 1);
    },
    customersWithPhone: (phone) =>
      ctx.state.customers.filter((c) => (c.customer.phones ?? []).some((p) => samePhone(p.number, phone))),
  };
}
