// make-call's failure answer toward RetailCRM (issue 15.3): RetailCRM shows it to the manager and keeps
// it on its servers, so it carries a code and a plain Russian reason, never hostnames, IPs, ports,
// users, paths or key material. The thrown error keeps the full detail (its message) for our log and
// the integration journal.
import { STATUS_CODES } from 'node:http';

export const MANAGER_TEXTS = {
  disabled: 'интеграция с RetailCRM для этой компании отключена',
  badUser: 'неизвестный менеджер',
  badExtension: 'внутренний номер не подходит для звонка',
  noExtension: (userId: string | undefined) =>
    userId
      ? `у пользователя ${userId} не указан внутренний номер, обратитесь к администратору`
      : 'не указан внутренний номер',
  badPhone: 'номер клиента не подходит для звонка',
  noHost: (enterprise: string) =>
    `телефонная станция компании ${enterprise} не подключена, обратитесь к администратору`,
  serviceDown: 'сервис звонков недоступен, попробуйте через минуту',
  generic: 'внутренняя ошибка сервиса звонков',
} as const;

/** A failure on make-call's way: a coded error, the manager's text, and the asterisk service's code. */
export type Failure = Error & { statusCode?: number; code?: string; manager?: string; astCode?: string };

/** Attaches the manager's text to `err` (returned, to be thrown). */
export const forManager = <E extends Error>(err: E, manager: string): E & { manager: string } =>
  Object.assign(err, { manager });

export interface PublicFailure {
  status: number;
  /** What RetailCRM receives. */
  body: {
    success: false;
    statusCode: number;
    code: string;
    error: string | undefined;
    message: string;
    reason?: string;
  };
  /** The full detail (journal `error`, our log). */
  detail: string;
  /** A failure we know (a refusal, an unreachable host): not a defect. */
  expected: boolean;
}

export function publicFailure(e: Failure): PublicFailure {
  const expected = e.manager !== undefined;
  const status = e.statusCode && e.statusCode >= 400 ? e.statusCode : expected ? 502 : 500;
  const code = expected && e.code ? e.code : 'RCRM_INTERNAL';
  return {
    status,
    body: {
      success: false,
      statusCode: status,
      code,
      error: STATUS_CODES[status],
      message: `Не удалось начать звонок: ${e.manager ?? MANAGER_TEXTS.generic}`,
      ...(e.astCode ? { reason: e.astCode } : {}),
    },
    detail: `${e.code ?? 'ERROR'}${e.astCode ? ` (${e.astCode})` : ''}: ${e.message}`,
    expected,
  };
}
