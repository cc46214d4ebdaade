// What a manager is told when a click-to-call fails (issue 15.3): a plain Russian reason per error
// code, with nothing about the host. The reply's `message` keeps the full detail (user@host:port,
// paths, key fingerprints) for our logs, the originate record and the integration journal; callers
// that answer third parties (retailcrm's make-call toward RetailCRM, call-intake's Telegram button)
// pass on `code` and `manager_reason` only.

/** By services/asterisk's error codes (src/errors.ts, @fleet/asterisk-host's HostErrorCode). */
const REASONS: Record<string, string> = {
  AST_INVALID_REQUEST: 'номер не подходит для звонка',
  AST_UNAUTHORIZED: 'телефония компании настроена не до конца, обратитесь к администратору',
  AST_FORBIDDEN_ORIGIN: 'телефония компании настроена не до конца, обратитесь к администратору',
  AST_ENTERPRISE_INACTIVE: 'телефония компании отключена',
  AST_HOST_NOT_CONFIGURED: 'телефонная станция компании не подключена, обратитесь к администратору',
  AST_HOST_UNREACHABLE: 'телефонная станция не отвечает',
  AST_HOST_CONNECT_TIMEOUT: 'телефонная станция не отвечает',
  AST_HOST_CIRCUIT_OPEN: 'телефонная станция не отвечает, попробуйте через минуту',
  AST_HOST_COMMAND_TIMEOUT: 'телефонная станция не ответила вовремя; звонок, возможно, всё же начнётся',
  AST_REQUEST_DEADLINE: 'телефонная станция не ответила вовремя, попробуйте ещё раз',
  AST_HOST_BUSY: 'телефонная станция занята, попробуйте ещё раз',
  AST_HOST_AUTH_FAILED: 'нет доступа к телефонной станции, обратитесь к администратору',
  AST_HOST_KEY_MISMATCH: 'нет доступа к телефонной станции, обратитесь к администратору',
  AST_HOST_KEY_INVALID: 'нет доступа к телефонной станции, обратитесь к администратору',
  AST_HOST_KEY_FILE: 'нет доступа к телефонной станции, обратитесь к администратору',
  AST_ASTERISK_UNAVAILABLE: 'телефонная станция не работает',
  AST_ORIGINATE_REFUSED: 'телефонная станция отказалась начать звонок',
  AST_NEXTCALL_FAILED: 'телефонная станция отказалась начать звонок',
  AST_EXTENSION_BUSY: 'предыдущий звонок с этого внутреннего номера ещё начинается, попробуйте через несколько секунд',
};

/** The manager's reason for `code` (a generic one for codes not listed: never the error's message). */
export const managerReason = (code: string | undefined): string =>
  (code && REASONS[code]) || 'внутренняя ошибка сервиса звонков';
