// Server-rendered pages: the admin page shell (public/index.html, read once) and "access denied".
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LinkRefusal } from '@fleet/retailcrm-admin';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

let shell: string | undefined;
/** The admin page (its script loads everything through the API). */
export const adminShell = () => (shell ??= readFileSync(`${PUBLIC_DIR}index.html`, 'utf8'));

export type DeniedReason = LinkRefusal | 'no_session' | 'deleted';

const REASONS: Record<DeniedReason, string> = {
  missing: 'В адресе нет ключа доступа.',
  invalid: 'Ссылка повреждена или подписана не нами.',
  expired: 'Срок действия ссылки истёк.',
  revoked: 'Ссылка больше не действует: интеграцию зарегистрировали заново или удалили.',
  wrong_account: 'Эта ссылка выдана для другого предприятия — не для аккаунта RetailCRM, из которого её открыли.',
  no_session: 'Вы не вошли или сессия истекла.',
  deleted: 'Интеграция удалена, доступ по прежним ссылкам закрыт.',
};

/**
 * The "access denied" page; never the admin page. Its reader is an enterprise admin, so the way back
 * is RetailCRM's button or the operator, never an operator's command line.
 */
export function deniedPage(reason: DeniedReason): string {
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Доступ запрещён — RetailCRM</title>
<link rel="stylesheet" href="/retailcrm-admin/assets/admin.css"></head>
<body class="denied"><main class="card denied-card" data-denied="${reason}">
<img src="/retailcrm-admin/assets/logo.svg" alt="" width="48" height="48">
<h1>Доступ запрещён</h1>
<p class="lead">${REASONS[reason]}</p>
<p class="muted">Откройте настройки заново из своего аккаунта RetailCRM: «Маркетплейс» → модуль телефонии →
«Перейти в личный кабинет». Если модуля там нет или ссылка не открывается, обратитесь к оператору
телефонии: он пришлёт новую ссылку.</p>
</main></body></html>`;
}
