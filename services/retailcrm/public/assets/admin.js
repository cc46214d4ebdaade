// The admin page: three sections over the JSON API under /retailcrm-admin/api. No framework: the
// page is small, and a build step for it would cost more than it saves.
const API = '/retailcrm-admin/api';
const $ = (sel, root = document) => root.querySelector(sel);
let csrf = '';
let state = null;

const fmtTime = (iso) => new Date(iso).toLocaleString('ru-RU', { dateStyle: 'short', timeStyle: 'medium' });
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const KINDS = { 'call.event': 'Событие звонка', 'calls.upload': 'История звонков', 'module.edit': 'Регистрация модуля', credentials: 'Проверка ключа', users: 'Список менеджеров' };

async function api(method, path, body) {
  const res = await fetch(API + path, {
    method,
    credentials: 'same-origin',
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(method !== 'GET' ? { 'x-csrf-token': csrf } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    location.reload();
    throw new Error(data.message || 'Сессия истекла');
  }
  if (!res.ok) throw Object.assign(new Error(data.message || `Ошибка ${res.status}`), { data });
  return data;
}

function toast(text, isError = false) {
  const t = $('#toast');
  t.textContent = text;
  t.className = isError ? 'toast err' : 'toast';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 5000);
}

function result(el, kind, html) {
  el.className = `result ${kind}`;
  el.innerHTML = html;
  el.hidden = false;
}

async function busy(button, fn) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = '…';
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

// ---------- tabs ----------
function showTab(name) {
  if (!['connection', 'managers', 'journal'].includes(name)) name = 'connection';
  for (const s of document.querySelectorAll('[data-section]')) s.hidden = s.dataset.section !== name;
  for (const a of document.querySelectorAll('[data-tab]')) a.setAttribute('aria-selected', String(a.dataset.tab === name));
  if (name === 'managers') loadManagers();
  if (name === 'journal') loadJournal();
}
window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));

// ---------- connection ----------
// fillForm: false keeps what the admin typed (after a check), true shows what is stored.
async function loadState(fillForm = true) {
  state = await api('GET', '/state');
  csrf = state.csrfToken;
  $('#enterprise').textContent = `${state.enterprise.name} · предприятие ${state.enterprise.number}`;
  const f = $('#connection-form');
  if (fillForm) {
    f.domain.value = state.connection.domain ?? '';
    f.apiKey.value = '';
    f.enabled.checked = state.connection.enabled;
  }
  f.apiKey.placeholder = state.connection.apiKeyMasked ? `Сохранён: ${state.connection.apiKeyMasked} — оставьте пустым, чтобы не менять` : 'Ключ из «Настройки → Интеграция → Ключи доступа к API»';
  $('#key-hint').textContent = state.connection.apiKeyMasked ? 'Ключ хранится зашифрованным и не показывается целиком.' : '';
  const badge = $('#badge');
  badge.textContent = !state.connection.configured ? 'Не настроено' : state.connection.enabled ? 'Включено' : 'Выключено';
  badge.className = `badge ${state.connection.configured ? (state.connection.enabled ? 'on' : 'off') : ''}`;
  $('#module-state').textContent = state.module.registered
    ? `Модуль «${state.module.code}» зарегистрирован ${fmtTime(state.module.registeredAt)}`
    : 'Модуль в RetailCRM ещё не зарегистрирован';
  const out = (el, v, cls) => {
    el.textContent = v ? `${fmtTime(v.at)} — ${KINDS[v.kind] ?? v.kind}${v.detail ? `: ${v.detail}` : ''}` : '—';
    el.className = v ? cls : 'muted';
  };
  out($('#last-success'), state.lastSuccess, 'ok');
  out($('#last-error'), state.lastError, 'err');
}

$('#check').addEventListener('click', (e) =>
  busy(e.currentTarget, async () => {
    const f = $('#connection-form');
    const box = $('#check-result');
    box.hidden = true;
    try {
      const r = await api('POST', '/connection/check', { domain: f.domain.value, apiKey: f.apiKey.value || undefined });
      if (r.ok) result(box, 'ok', esc(r.message));
      else if (r.missing.length) result(box, 'warn', `Ключу не хватает прав:<ul>${r.missing.map((m) => `<li><code>${esc(m.scope)}</code> — ${esc(m.title)}</li>`).join('')}</ul>Добавьте их ключу в RetailCRM и проверьте ещё раз.`);
      else result(box, 'err', esc(r.message));
    } catch (err) {
      result(box, 'err', esc(err.message));
    }
    await loadState(false);
  }),
);

$('#connection-form').addEventListener('submit', (e) => {
  e.preventDefault();
  busy($('#save'), async () => {
    const f = e.currentTarget;
    const box = $('#check-result');
    box.hidden = true;
    try {
      const r = await api('PUT', '/connection', { domain: f.domain.value, apiKey: f.apiKey.value || undefined, enabled: f.enabled.checked });
      if (r.registration.ok) result(box, 'ok', `Настройки сохранены. ${esc(r.registration.message)}`);
      else result(box, 'err', `Настройки сохранены, но регистрация не прошла: ${esc(r.registration.message)}`);
    } catch (err) {
      result(box, 'err', esc(err.message));
    }
    await loadState();
  });
});

$('#delete').addEventListener('click', (e) => {
  if (!confirm('Удалить интеграцию? Модуль в RetailCRM будет выключен, настройки подключения удалены, все ссылки доступа отозваны. Соответствия менеджеров сохранятся.')) return;
  busy(e.currentTarget, async () => {
    try {
      const r = await api('DELETE', '/connection');
      document.body.innerHTML = `<main class="card denied-card" data-deleted="1"><h1>Интеграция удалена</h1><p class="lead">${esc(r.crm.message)}</p><p class="muted">Доступ по прежним ссылкам закрыт. Чтобы подключить снова, попросите у оператора новую ссылку.</p></main>`;
      document.body.className = 'denied';
    } catch (err) {
      toast(err.message, true);
    }
  });
});

$('#logout').addEventListener('click', async () => {
  await fetch('/retailcrm-admin/logout', { method: 'POST', headers: { 'x-csrf-token': csrf } });
  location.reload();
});

// ---------- managers ----------
let mgr = null; // { managers, extensions, mapping }
const changes = new Map(); // userId → extension | null

function extLabel(e) {
  return e.name ? `${e.extension} — ${e.name}` : `${e.extension} (нет в справочнике)`;
}

function renderManagers() {
  const body = $('#managers-body');
  if (!mgr.managers.length) {
    body.innerHTML = '<p class="muted">В RetailCRM нет активных пользователей.</p>';
    return;
  }
  const holder = {};
  for (const [u, e] of Object.entries(mgr.mapping)) if (!changes.has(u)) holder[e] = u;
  for (const [u, e] of changes) if (e) holder[e] = u;
  const STATUS = { free: 'свободен', busy: 'занят', dinner: 'обед', break: 'перерыв' };
  body.innerHTML = `<table class="managers"><thead><tr><th>Менеджер</th><th>Статус</th><th style="width:45%">Внутренний номер</th></tr></thead><tbody>${mgr.managers
    .map((m) => {
      const id = String(m.id);
      const current = changes.has(id) ? changes.get(id) : (mgr.mapping[id] ?? null);
      const options = ['<option value="">Без номера</option>']
        .concat(
          mgr.extensions.map((e) => {
            const owner = holder[e.extension];
            const busyBy = owner && owner !== id ? mgr.managers.find((x) => String(x.id) === owner) : null;
            const note = busyBy ? ` · сейчас у: ${busyBy.name}` : '';
            return `<option value="${esc(e.extension)}"${current === e.extension ? ' selected' : ''}>${esc(extLabel(e) + note)}</option>`;
          }),
        )
        .join('');
      return `<tr data-user="${id}" class="${changes.has(id) ? 'changed' : ''}"><td class="who">${esc(m.name)}<small>${esc(m.email ?? `ID ${m.id}`)}</small></td>
        <td><span class="dot ${m.online ? 'online' : ''}"></span>${esc(STATUS[m.status] ?? '—')}${m.statusSince ? `<small>с ${esc(new Date(m.statusSince).toLocaleTimeString('ru-RU', { hour: '2-digit', minute: '2-digit' }))}</small>` : ''}</td>
        <td><select aria-label="Номер для ${esc(m.name)}" data-user="${id}">${options}</select></td></tr>`;
    })
    .join('')}</tbody></table>`;
  $('#save-managers').disabled = changes.size === 0;
  $('#managers-dirty').textContent = changes.size ? `Изменено: ${changes.size}` : '';
}

$('#managers-body').addEventListener('change', (e) => {
  const sel = e.target.closest('select[data-user]');
  if (!sel) return;
  const id = sel.dataset.user;
  const value = sel.value || null;
  if ((mgr.mapping[id] ?? null) === value) changes.delete(id);
  else changes.set(id, value);
  renderManagers();
});

async function loadManagers() {
  const body = $('#managers-body');
  body.innerHTML = '<p class="muted">Загрузка менеджеров из RetailCRM…</p>';
  try {
    mgr = await api('GET', '/managers');
    changes.clear();
    renderManagers();
  } catch (err) {
    body.innerHTML = `<div class="result err">${esc(err.message)}</div>`;
  }
}

$('#save-managers').addEventListener('click', (e) =>
  busy(e.currentTarget, async () => {
    const box = $('#managers-result');
    box.hidden = true;
    const names = Object.fromEntries(mgr.managers.map((m) => [String(m.id), m.name]));
    try {
      const r = await api('PUT', '/managers', { changes: [...changes].map(([userId, extension]) => ({ userId, extension })), names });
      const lost = r.lost.map((l) => `<li>Номер ${esc(l.extension)} снят с менеджера «${esc(l.name)}» и отдан «${esc(l.takenByName)}».</li>`).join('');
      result(box, r.push.ok ? 'ok' : 'warn', `Соответствия сохранены. ${esc(r.push.message)}${lost ? `<ul>${lost}</ul>` : ''}`);
      mgr.mapping = r.mapping;
      changes.clear();
      renderManagers();
    } catch (err) {
      result(box, 'err', esc(err.message));
    }
  }),
);

// ---------- journal ----------
let page = 1;
let pages = 1;

async function loadJournal() {
  const f = $('#journal-filter');
  const q = new URLSearchParams({ page: String(page) });
  for (const k of ['phone', 'callId', 'status', 'from', 'to']) if (f[k].value) q.set(k, f[k].value);
  const rows = $('#journal-rows');
  try {
    const r = await api('GET', `/journal?${q}`);
    pages = Math.max(1, Math.ceil(r.total / r.pageSize));
    $('#page-info').textContent = `Страница ${r.page} из ${pages} · записей: ${r.total}`;
    $('#prev').disabled = page <= 1;
    $('#next').disabled = page >= pages;
    if (!r.rows.length) {
      rows.innerHTML = '<tr><td colspan="6" class="empty">Записей нет</td></tr>';
      return;
    }
    rows.innerHTML = r.rows
      .map((x) => {
        const st = x.ok ? `<span class="pill ok">${x.statusCode ?? 'OK'}</span>` : `<span class="pill err">${x.statusCode ?? 'ошибка'}</span>`;
        return `<tr class="row" data-id="${esc(x.id)}" data-kind="${esc(x.kind)}"><td>${esc(fmtTime(x.at))}</td><td>${esc(KINDS[x.kind] ?? x.kind)}</td>
          <td>${esc(x.callId ?? '—')}</td><td>${esc(x.phone ?? '—')}</td><td class="st">${st}${x.latencyMs !== null ? ` <span class="muted">${x.latencyMs} мс</span>` : ''}</td><td class="muted">▸</td></tr>
          <tr class="details" hidden><td colspan="6"><div class="muted">${esc(x.method ?? '')} ${esc(x.url ?? '')}</div>
          ${x.error ? `<div class="result err">${esc(x.error)}</div>` : ''}
          <div>Запрос</div><pre>${esc(x.request ?? '—')}</pre><div>Ответ</div><pre>${esc(prettyJson(x.response) ?? '—')}</pre></td></tr>`;
      })
      .join('');
  } catch (err) {
    rows.innerHTML = `<tr><td colspan="6" class="empty">${esc(err.message)}</td></tr>`;
  }
}

function prettyJson(s) {
  if (!s) return s;
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}

$('#journal-rows').addEventListener('click', (e) => {
  const row = e.target.closest('tr.row');
  if (!row) return;
  const details = row.nextElementSibling;
  details.hidden = !details.hidden;
  row.lastElementChild.textContent = details.hidden ? '▸' : '▾';
});
$('#journal-filter').addEventListener('submit', (e) => {
  e.preventDefault();
  page = 1;
  loadJournal();
});
$('#prev').addEventListener('click', () => { if (page > 1) { page--; loadJournal(); } });
$('#next').addEventListener('click', () => { if (page < pages) { page++; loadJournal(); } });

// ---------- start ----------
try {
  await loadState();
  showTab(location.hash.slice(1));
  document.body.dataset.ready = '1';
} catch (err) {
  toast(err.message, true);
}
