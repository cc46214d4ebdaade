// Coded errors of the admin page's API (prefix RCRM_ADMIN_). The page shows `message` as it is, so
// messages are Russian sentences for the admin; tests branch on `code`.
import createError from '@fastify/error';

/** 401: no session (cookie missing, expired, or the integration was deleted). */
export const NoSessionError = createError(
  'RCRM_ADMIN_NO_SESSION',
  'Сессия истекла или доступ отозван. Откройте страницу заново из RetailCRM.',
  401,
);
/** 422: the connection is not set up enough for the action (%s says what is missing). */
export const NotConnectedError = createError('RCRM_ADMIN_NOT_CONNECTED', 'Подключение не настроено: %s', 422);
/** 400: a form value is wrong (%s names it). */
export const BadInputError = createError('RCRM_ADMIN_BAD_INPUT', '%s', 400);
/** 409: two managers were given one extension in one save. */
export const ExtensionConflictError = createError('RCRM_ADMIN_EXTENSION_CONFLICT', '%s', 409);
/** 502: RetailCRM refused or failed; %s is its answer. */
export const CrmFailedError = createError('RCRM_ADMIN_CRM_FAILED', 'RetailCRM: %s', 502);
/**
 * 422: RetailCRM answered and refused (the stored API key, a scope, the module's data): the admin's
 * configuration is what must change, so a 4xx with RetailCRM's reason, not a 502 (fuzz seed 522704659:
 * a key saved by chance and refused by RetailCRM made the managers tab answer 502).
 */
export const CrmRefusedError = createError('RCRM_ADMIN_CRM_REFUSED', 'RetailCRM: %s', 422);
/** 400: the RetailCRM address changed and no new API key was typed: the stored key is only ever sent
 *  to the address it was saved for (else anyone with a session could send it to their own host). */
export const KeyRequiredError = createError(
  'RCRM_ADMIN_KEY_REQUIRED',
  'Адрес RetailCRM изменился: введите API-ключ для нового адреса. Сохранённый ключ отправляется только на тот адрес, для которого его ввели.',
  400,
);
/** 400: an extension that is not in the enterprise's directory (`fleet extension add`); %s names it. */
export const UnknownExtensionError = createError('RCRM_ADMIN_UNKNOWN_EXTENSION', '%s', 400);
/** 502: deleting needs the module switched off at RetailCRM first and that failed (%s: why); nothing was removed. */
export const ModuleOffFailedError = createError(
  'RCRM_ADMIN_MODULE_OFF_FAILED',
  'Модуль в RetailCRM выключить не удалось: %s',
  502,
);
/**
 * 422: missed-call tasks cannot be switched on: the API key lacks task scopes (%s lists them, with what
 * each is for); `missing` in the body names them. Nothing is stored.
 */
export const TaskScopesMissingError = createError(
  'RCRM_ADMIN_TASK_SCOPES_MISSING',
  'Задачи по пропущенным звонкам не включены: API-ключу не хватает прав %s. Добавьте их ключу в RetailCRM («Настройки → Интеграция → Ключи доступа к API»).',
  422,
);

/**
 * Switching customer creation on with a key that lacks customer_write (issue 14): the page lists it; nothing
 * is stored.
 */
export const CustomerScopesMissingError = createError(
  'RCRM_ADMIN_CUSTOMER_SCOPES_MISSING',
  'Создание клиентов не включено: API-ключу не хватает прав %s. Добавьте их ключу в RetailCRM («Настройки → Интеграция → Ключи доступа к API»).',
  422,
);
