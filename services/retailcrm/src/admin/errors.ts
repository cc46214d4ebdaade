// Coded errors of the admin page's API (prefix RCRM_ADMIN_). The page shows `message` as it is, so
// messages are Russian sentences for the admin; tests branch on `code`.
import createError from '@fastify/error';

/** 401: no session (cookie missing, expired, or the integration was deleted). */
export const NoSessionError = createError('RCRM_ADMIN_NO_SESSION', 'Сессия истекла или доступ отозван. Откройте страницу заново из RetailCRM.', 401);
/** 422: the connection is not set up enough for the action (%s says what is missing). */
export const NotConnectedError = createError('RCRM_ADMIN_NOT_CONNECTED', 'Подключение не настроено: %s', 422);
/** 400: a form value is wrong (%s names it). */
export const BadInputError = createError('RCRM_ADMIN_BAD_INPUT', '%s', 400);
/** 409: two managers were given one extension in one save. */
export const ExtensionConflictError = createError('RCRM_ADMIN_EXTENSION_CONFLICT', '%s', 409);
/** 502: RetailCRM refused or failed; %s is its answer. */
export const CrmFailedError = createError('RCRM_ADMIN_CRM_FAILED', 'RetailCRM: %s', 502);
