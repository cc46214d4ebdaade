// What "Проверить подключение" checks: the scopes the integration needs, read from GET /api/credentials.
// RetailCRM answers with the scope names in `scopes` and the callable methods in `credentials`
// (unversioned paths, api-client-php's ApiTest::testCredentials); older accounts send no `scopes`,
// so a scope is then granted when a method that needs it is listed. Pure.
import type { CredentialsResponse } from '@fleet/retailcrm-client';

/** Scopes the integration uses: popups and history, the responsible manager, the module, the users. */
export const REQUIRED_SCOPES = [
  'telephony_read',
  'telephony_write',
  'integration_read',
  'integration_write',
  'user_read',
] as const;
export type RequiredScope = (typeof REQUIRED_SCOPES)[number];

/** What each scope is for, in the admin's words. */
export const SCOPE_TITLES: Record<RequiredScope, string> = {
  telephony_read: 'чтение телефонии (ответственный менеджер)',
  telephony_write: 'запись телефонии (события звонков, история)',
  integration_read: 'чтение интеграционных модулей',
  integration_write: 'запись интеграционных модулей (регистрация)',
  user_read: 'чтение пользователей (список менеджеров)',
};

/** The methods we call, by the scope they need (as `credentials` lists them). */
const METHODS: Record<RequiredScope, string[]> = {
  telephony_read: ['/api/telephony/manager'],
  telephony_write: ['/api/telephony/call/event', '/api/telephony/calls/upload'],
  integration_read: ['/api/integration-modules/{code}'],
  integration_write: ['/api/integration-modules/{code}/edit'],
  user_read: ['/api/users'],
};

/** '/api/v5/integration-modules/{code}/edit' and '/api/integration-modules/{code}/edit' alike. */
const unversioned = (path: string) => path.replace(/^\/api\/v\d+\//, '/api/');

type Credentials = Pick<CredentialsResponse, 'credentials'> & { scopes?: unknown };

/** The `wanted` scopes the key lacks, in `wanted` order: by `scopes` when sent, else by the methods listed. */
function lacking<S extends string>(res: Credentials, wanted: readonly S[], methodsOf: Record<S, string[]>): S[] {
  const listed = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  if (Array.isArray(res.scopes)) {
    const granted = new Set(listed(res.scopes));
    return wanted.filter((s) => !granted.has(s));
  }
  const methods = new Set(listed(res.credentials).map(unversioned));
  return wanted.filter((s) => !methodsOf[s].every((m) => methods.has(m)));
}

/** The required scopes the key lacks, in REQUIRED_SCOPES order. */
export function missingScopes(res: Credentials): RequiredScope[] {
  return lacking(res, REQUIRED_SCOPES, METHODS);
}

/**
 * Scopes missed-call tasks need on top of the required ones (issue 14): checked when the admin switches
 * the feature on, not discovered at the first missed call.
 */
export const TASK_SCOPES = ['task_read', 'task_write'] as const;
export type TaskScope = (typeof TASK_SCOPES)[number];

export const TASK_SCOPE_TITLES: Record<TaskScope, string> = {
  task_read: 'чтение задач (закрыта ли задача менеджером)',
  task_write: 'запись задач (создание и закрытие задач по пропущенным звонкам)',
};

const TASK_METHODS: Record<TaskScope, string[]> = {
  task_read: ['/api/tasks/{id}'],
  task_write: ['/api/tasks/create', '/api/tasks/{id}/edit'],
};

/** The task scopes the key lacks, in TASK_SCOPES order. */
export function missingTaskScopes(res: Credentials): TaskScope[] {
  return lacking(res, TASK_SCOPES, TASK_METHODS);
}

/** Scopes customer creation needs (issue 14): checked when the admin switches it on. */
export const CUSTOMER_SCOPES = ['customer_write'] as const;
export type CustomerScope = (typeof CUSTOMER_SCOPES)[number];

export const CUSTOMER_SCOPE_TITLES: Record<CustomerScope, string> = {
  customer_write: 'запись клиентов (создание клиента для незнакомого номера)',
};

const CUSTOMER_METHODS: Record<CustomerScope, string[]> = {
  customer_write: ['/api/customers/create'],
};

/** The customer scopes the key lacks, in CUSTOMER_SCOPES order. */
export function missingCustomerScopes(res: Credentials): CustomerScope[] {
  return lacking(res, CUSTOMER_SCOPES, CUSTOMER_METHODS);
}
