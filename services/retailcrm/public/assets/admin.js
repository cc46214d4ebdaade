// The admin page: four sections over the JSON API under /retailcrm-admin/api. No framework: the
// page is small, and a build step for it would cost more than it saves.
const API = '/retailcrm-admin/api';
const $ = (sel, root = document) => root.querySelector(sel);
let csrf = '';
let state = null;

const fmtTime = (iso) => new Date(iso).toLocaleString('ru-RU', { dateStyle: 'short', timeStyle: 'medium' });
const esc = (s) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const KINDS = {
  'call.event': 'Событие звонка',
  'calls.upload': 'История звонков',
  'module.edit': 'Регистрация модуля',
  'module.get': 'Чтение модуля',
  credentials: 'Проверка ключа',
  users: 'Список менеджеров',
  'task.create': 'Задача: создание',
  'task.edit': 'Задача: изменение',
  'telephony.manager': 'Ответственный менеджер',
};

async function api(method, path, body) {
  const res = await fetch(API + path, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'x-csrf-token': csrf } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    location.reload();
    throw new Error(data.message || 'Сессия истекла');
  }
  if (!res.ok) throw Object.assign(new Error(data.message || `Ошибка ${res.status}`), { data, code: data.code });
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
  if (!['connection', 'managers', 'calls', 'journal'].includes(name)) name = 'connection';
  for (const s of document.querySelectorAll('[data-section]')) s.hidden = s.dataset.section !== name;
  for (const a of document.querySelectorAll('[data-tab]'))
    a.setAttribute('aria-selected', String(a.dataset.tab === name));
  if (name === 'managers') loadManagers();
  if (name === 'journal') loadJournal();
  if (name === 'calls') loadCalls();
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
  keyHint();
  const badge = $('#badge');
  badge.textContent = !state.connection.configured
    ? 'Не настроено'
    : state.connection.enabled
      ? 'Включено'
      : 'Выключено';
  badge.className = `badge ${state.connection.configured ? (state.connection.enabled ? 'on' : 'off') : ''}`;
  $('#module-state').textContent = state.module.registered
    ? `Модуль «${state.module.code}» зарегистрирован ${fmtTime(state.module.registeredAt)}`
    : 'Модуль в RetailCRM ещё не зарегистрирован';
  const out = (el, v, cls) => {
    el.textContent = v ? `${fmtTime(v.at)} — ${KINDS[v.kind] ?? v.kind}${v.detail ? `: ${v.detail}` : ''}` : '—';
    el.className = v ? cls : 'muted';
  };
  showDrift();
  out($('#last-success'), state.lastSuccess, 'ok');
  out($('#last-error'), state.lastError, 'err');
  if (fillForm) {
    const t = $('#tasks-form');
    t.enabled.checked = state.missedCallTasks.enabled;
    t.fallbackUserId.value = state.missedCallTasks.fallbackUserId ?? '';
    t.dueMinutes.value = state.missedCallTasks.dueMinutes;
    $('#customers-form').enabled.checked = state.createCustomers === true;
  }
}

// ---------- mapping drift ----------
// What RetailCRM's call/event answers said it lacks (notExistCodes / notExistUsers), on the Connection
// and Managers sections until the mapping is saved again.
function showDrift() {
  const items = state.mappingDrift ?? [];
  const html = items.length
    ? `<strong>RetailCRM не знает, кому показывать звонки</strong><ul>${items
        .map(
          (d) =>
            `<li data-drift="${esc(d.kind)}:${esc(d.value)}">${
              d.kind === 'code'
                ? `внутренний номер ${esc(d.value)} не сопоставлен в RetailCRM`
                : `пользователь RetailCRM #${esc(d.value)} не найден в RetailCRM`
            } <small class="muted">(звонков: ${d.seen}, последний ${esc(fmtTime(d.lastSeenAt))})</small></li>`,
        )
        .join('')}</ul>Сопоставьте номера менеджерам в разделе «Менеджеры» и сохраните.`
    : '';
  for (const id of ['#drift', '#managers-drift']) {
    const box = $(id);
    box.innerHTML = html;
    box.hidden = !items.length;
  }
}

/** What a feature switch refused for missing API key scopes shows: the scopes and where to add them. */
function scopesRefusal(missing) {
  return `<strong>Не включено: API-ключу не хватает прав</strong><ul>${missing.map((m) => `<li><code>${esc(m.scope)}</code> — ${esc(m.title)}</li>`).join('')}</ul>Добавьте их ключу в RetailCRM («Настройки → Интеграция → Ключи доступа к API») и включите ещё раз.`;
}

// ---------- customer creation ----------
// Switching on is refused (422) when the key lacks customer_write: the page lists what is missing.
$('#customers-form').addEventListener('submit', (e) => {
  e.preventDefault();
  busy($('#save-customers'), async () => {
    const f = e.currentTarget;
    const box = $('#customers-result');
    box.hidden = true;
    try {
      const r = await api('PUT', '/create-customers', { enabled: f.enabled.checked });
      result(
        box,
        'ok',
        r.createCustomers ? 'Сохранено: клиенты для незнакомых номеров создаются.' : 'Сохранено: клиенты не создаются.',
      );
      await loadState();
    } catch (err) {
      const missing = err.data?.missing ?? [];
      if (missing.length) {
        f.enabled.checked = false;
        result(box, 'err', scopesRefusal(missing));
      } else result(box, 'err', esc(err.message));
    }
  });
});

// ---------- missed-call tasks ----------
// Switching on is refused (422) when the key lacks task scopes: the page lists what is missing.
$('#tasks-form').addEventListener('submit', (e) => {
  e.preventDefault();
  busy($('#save-tasks'), async () => {
    const f = e.currentTarget;
    const box = $('#tasks-result');
    box.hidden = true;
    const num = (v) => (v.trim() === '' ? '' : Number(v));
    try {
      const r = await api('PUT', '/missed-call-tasks', {
        enabled: f.enabled.checked,
        fallbackUserId: num(f.fallbackUserId.value),
        dueMinutes: Number(f.dueMinutes.value),
      });
      result(
        box,
        'ok',
        r.missedCallTasks.enabled
          ? 'Сохранено: задачи по пропущенным звонкам создаются.'
          : 'Сохранено: задачи не создаются.',
      );
      await loadState();
    } catch (err) {
      const missing = err.data?.missing ?? [];
      if (missing.length) {
        f.enabled.checked = false;
        result(box, 'err', scopesRefusal(missing));
      } else result(box, 'err', esc(err.message));
    }
  });
});

// The stored key is only sent to the address it was saved for (the server refuses otherwise): when the
// admin types another address, the key field says it must be typed again.
const sameAddress = (a, b) =>
  Boolean(a && b) && a.trim().toLowerCase().replace(/\/+$/, '') === b.trim().toLowerCase().replace(/\/+$/, '');
function keyHint() {
  const f = $('#connection-form');
  const masked = state.connection.apiKeyMasked;
  const moved = Boolean(masked) && !sameAddress(f.domain.value, state.connection.domain ?? '') && !f.apiKey.value;
  f.apiKey.placeholder = moved
    ? 'Введите API-ключ для нового адреса'
    : masked
      ? `Сохранён: ${masked} — оставьте пустым, чтобы не менять`
      : 'Ключ из «Настройки → Интеграция → Ключи доступа к API»';
  const hint = $('#key-hint');
  hint.textContent = moved
    ? 'Адрес изменился: введите API-ключ заново. Сохранённый ключ на другой адрес не отправляется.'
    : masked
      ? 'Ключ хранится зашифрованным и не показывается целиком.'
      : '';
  hint.className = moved ? 'warn-text' : 'muted';
}
$('#connection-form').addEventListener('input', (e) => {
  if (e.target.name === 'domain' || e.target.name === 'apiKey') keyHint();
});

$('#check').addEventListener('click', (e) =>
  busy(e.currentTarget, async () => {
    const f = $('#connection-form');
    const box = $('#check-result');
    box.hidden = true;
    try {
      const r = await api('POST', '/connection/check', { domain: f.domain.value, apiKey: f.apiKey.value || undefined });
      if (r.ok) result(box, 'ok', esc(r.message));
      else if (r.missing.length)
        result(
          box,
          'err',
          `<strong>Ключ не подходит: не хватает прав</strong><ul>${r.missing.map((m) => `<li><code>${esc(m.scope)}</code> — ${esc(m.title)}</li>`).join('')}</ul>Добавьте их ключу в RetailCRM («Настройки → Интеграция → Ключи доступа к API») и проверьте ещё раз.`,
        );
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
      const r = await api('PUT', '/connection', {
        domain: f.domain.value,
        apiKey: f.apiKey.value || undefined,
        enabled: f.enabled.checked,
      });
      // Saved: the key is stored, so it leaves the form before anything is shown (loadState masks it).
      f.apiKey.value = '';
      if (r.registration.ok) result(box, 'ok', `Настройки сохранены. ${esc(r.registration.message)}`);
      else result(box, 'err', `Настройки сохранены, но регистрация не прошла: ${esc(r.registration.message)}`);
    } catch (err) {
      result(box, 'err', esc(err.message));
    }
    await loadState();
  });
});

$('#delete').addEventListener('click', (e) => {
  if (
    !confirm(
      'Удалить интеграцию? Модуль в RetailCRM будет выключен, настройки подключения и соответствия менеджеров удалены, все ссылки доступа отозваны.',
    )
  )
    return;
  busy(e.currentTarget, () => removeIntegration(false));
});

// only=here: after a failed switch-off the admin may remove the integration here and switch the
// module off in RetailCRM by hand.
async function removeIntegration(hereOnly) {
  const box = $('#check-result');
  box.hidden = true;
  try {
    const r = await api('DELETE', `/connection${hereOnly ? '?only=here' : ''}`);
    document.body.innerHTML = `<main class="card denied-card" data-deleted="${esc(r.crm.outcome)}"><img src="/retailcrm-admin/assets/logo.svg" alt="" width="48" height="48"><h1>Интеграция удалена</h1><p class="lead ${r.crm.ok ? '' : 'warn-text'}">${esc(r.crm.message)}</p><p class="muted">Настройки подключения и соответствия менеджеров удалены, доступ по прежним ссылкам закрыт. Чтобы подключить снова, попросите у оператора телефонии новую ссылку.</p></main>`;
    document.body.className = 'denied';
  } catch (err) {
    if (err.code !== 'RCRM_ADMIN_MODULE_OFF_FAILED') return toast(err.message, true);
    result(
      box,
      'err',
      `<strong>Интеграция не удалена.</strong> ${esc(err.message)}<br>Пока модуль в RetailCRM включён, RetailCRM продолжит обращаться к телефонии.
      <div class="actions"><button type="button" class="secondary" data-delete="retry">Повторить</button>
      <button type="button" class="danger" data-delete="here">Удалить только здесь</button></div>`,
    );
  }
}
$('#check-result').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-delete]');
  if (!b) return;
  if (
    b.dataset.delete === 'here' &&
    !confirm('Удалить интеграцию только здесь? Модуль в RetailCRM останется включённым — отключите его там вручную.')
  )
    return;
  busy(b, () => removeIntegration(b.dataset.delete === 'here'));
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
      // Only the operator's directory may be given (the server refuses others); an extension mapped
      // before it existed stays offered to its holder only.
      const offered = mgr.extensions.filter((e) => e.name !== null || current === e.extension);
      const options = ['<option value="">Без номера</option>']
        .concat(
          offered.map((e) => {
            const owner = holder[e.extension];
            const busyBy = owner && owner !== id ? mgr.managers.find((x) => String(x.id) === owner) : null;
            const note = busyBy ? ` · сейчас у: ${busyBy.name}` : '';
            return `<option value="${esc(e.extension)}"${current === e.extension ? ' selected' : ''}>${esc(extLabel(e) + note)}</option>`;
          }),
        )
        .join('');
      const search = [
        m.name,
        m.email ?? '',
        current ?? '',
        mgr.extensions.find((e) => e.extension === current)?.name ?? '',
      ]
        .join(' ')
        .toLowerCase();
      return `<tr data-user="${id}" data-search="${esc(search)}" class="${changes.has(id) ? 'changed' : ''}"><td class="who">${esc(m.name)}<small>${esc(m.email ?? `ID ${m.id}`)}</small></td>
        <td><span class="dot ${STATUS[m.status] ? `st-${m.status}` : ''}" title="${m.online ? 'в сети' : 'не в сети'}"></span>${esc(STATUS[m.status] ?? '—')}${m.online ? '' : ' <small>не в сети</small>'}${m.statusSince ? `<small>с ${esc(new Date(m.statusSince).toLocaleTimeString('ru-RU', { hour: '2-digit', minute: '2-digit' }))}</small>` : ''}</td>
        <td><select aria-label="Номер для ${esc(m.name)}" data-user="${id}">${options}</select></td></tr>`;
    })
    .join('')}</tbody></table><p id="managers-empty" class="empty muted" hidden>Никого не нашли: измените запрос.</p>`;
  $('#save-managers').disabled = changes.size === 0;
  $('#managers-dirty').textContent = changes.size ? `Изменено: ${changes.size}` : '';
  applyManagersFilter();
}

// The filter only hides rows: edits in hidden rows are kept and saved with the rest.
function applyManagersFilter() {
  const words = $('#managers-filter').value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const rows = document.querySelectorAll('table.managers tbody tr[data-user]');
  let shown = 0;
  for (const tr of rows) {
    const hit = words.every((w) => tr.dataset.search.includes(w));
    tr.hidden = !hit;
    if (hit) shown++;
  }
  $('#managers-count').textContent = rows.length
    ? words.length
      ? `Найдено: ${shown} из ${rows.length}`
      : `Менеджеров: ${rows.length}`
    : '';
  const empty = $('#managers-empty');
  if (empty) empty.hidden = shown > 0 || !rows.length;
}
$('#managers-filter').addEventListener('input', applyManagersFilter);

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
  $('#managers-result').hidden = true;
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
      const r = await api('PUT', '/managers', {
        changes: [...changes].map(([userId, extension]) => ({ userId, extension })),
        names,
      });
      const lost = r.lost
        .map(
          (l) =>
            `<li>Номер ${esc(l.extension)} снят с менеджера «${esc(l.name)}» и отдан «${esc(l.takenByName)}».</li>`,
        )
        .join('');
      result(
        box,
        r.push.ok ? 'ok' : 'warn',
        `Соответствия сохранены. ${esc(r.push.message)}${lost ? `<ul>${lost}</ul>` : ''}`,
      );
      mgr.mapping = r.mapping;
      changes.clear();
      renderManagers();
      await loadState(false);
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
        // An answered request can still be a failure (a key without scopes): say so next to its 200.
        const failedCode =
          x.statusCode === null ? 'ошибка' : x.statusCode < 400 ? `${x.statusCode} · ошибка` : x.statusCode;
        const st = x.ok
          ? `<span class="pill ok">${x.statusCode ?? 'OK'}</span>`
          : `<span class="pill err">${failedCode}</span>`;
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
$('#prev').addEventListener('click', () => {
  if (page > 1) {
    page--;
    loadJournal();
  }
});
$('#next').addEventListener('click', () => {
  if (page < pages) {
    page++;
    loadJournal();
  }
});

// ---------- calls ----------
// The enterprise's customer calls (GET /calls): times come from the server in the enterprise's zone,
// the summary covers the whole period whatever the filter, the list is paged on the server.
let callsPage = 1;
let callsPages = 1;
const RESULTS = { answered: 'разговор', 'no answer': 'без ответа', busy: 'занято', failed: 'не удался' };
const TASKS = { creating: 'создаётся', open: 'открыта', closed: 'закрыта', lost: 'не подтверждена' };

/** 390 → '6 мин 30 с', 4000 → '1 ч 6 мин'. */
function fmtWait(sec) {
  if (sec === null || sec === undefined) return '—';
  if (sec < 60) return `${sec} с`;
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return h ? `${h} ч${m ? ` ${m} мин` : ''}` : `${m} мин${s ? ` ${s} с` : ''}`;
}
const fmtDuration = (sec) => (sec === null ? '—' : `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`);
const fmtManager = (m) =>
  !m ? '—' : m.extension ? `${m.name ? `${m.name} · ` : ''}${m.extension}` : `мобильный ${m.name}`;

function callOutcome(x) {
  if (x.status !== 'ended') return '<span class="pill">идёт</span>';
  if (!x.missed) return esc(RESULTS[x.result] ?? x.result ?? '—');
  const task = x.task
    ? `<small>задача${x.task.id ? ` #${esc(x.task.id)}` : ''} ${esc(TASKS[x.task.status] ?? x.task.status)}</small>`
    : '';
  return `<span class="pill err">пропущен</span>${task}`;
}

function callbackCell(x) {
  if (!x.missed) return '';
  if (!x.callback) return '<span class="pill warn">ждёт звонка</span>';
  const how = x.callback.direction === 'out' ? 'мы позвонили' : 'клиент дозвонился';
  return `<span class="pill ok">через ${esc(fmtWait(x.callback.afterSec))}</span><small>${esc(x.callback.local)}, ${how}</small>`;
}

async function loadCalls() {
  const f = $('#calls-filter');
  const q = new URLSearchParams({ filter: f.filter.value, page: String(callsPage) });
  for (const k of ['from', 'to']) if (f[k].value) q.set(k, f[k].value);
  const rows = $('#calls-rows');
  try {
    const r = await api('GET', `/calls?${q}`);
    f.from.value = r.query.from;
    f.to.value = r.query.to;
    $('#calls-zone').textContent = `время: ${r.timezone}`;
    callsPages = Math.max(1, Math.ceil(r.total / r.pageSize));
    $('#calls-info').textContent = `Страница ${r.page} из ${callsPages} · звонков: ${r.total}`;
    $('#calls-prev').disabled = callsPage <= 1;
    $('#calls-next').disabled = callsPage >= callsPages;
    const c = r.counts;
    $('#calls-summary').innerHTML = [
      ['Звонков клиентов', c.all, ''],
      ['Пропущено', c.missed, c.missed ? 'err' : ''],
      ['Перезвонили', c.calledBack, 'ok'],
      ['Ждут звонка', c.open, c.open ? 'warn' : ''],
      ['Медиана до перезвона', fmtWait(c.medianSec), ''],
    ]
      .map(([t, v, cls]) => `<div class="tile ${cls}"><span>${esc(t)}</span><strong>${esc(v)}</strong></div>`)
      .join('');
    const none = (n) => `<tr><td colspan="${n}" class="empty">Звонков нет</td></tr>`;
    $('#calls-days').innerHTML = r.days.length
      ? r.days
          .map(
            (d) =>
              `<tr data-day="${esc(d.day)}"><td>${esc(d.day.split('-').reverse().join('.'))}</td><td>${d.calls}</td><td>${d.missed}</td><td>${d.calledBack}</td><td>${d.open}</td><td>${esc(fmtWait(d.medianSec))}</td></tr>`,
          )
          .join('')
      : none(6);
    $('#calls-managers').innerHTML = r.managers.length
      ? r.managers
          .map(
            (m) =>
              `<tr><td>${esc(fmtManager(m.manager))}</td><td>${m.missed}</td><td>${m.calledBack}</td><td>${m.open}</td><td>${esc(fmtWait(m.medianSec))}</td></tr>`,
          )
          .join('')
      : '<tr><td colspan="5" class="empty">Пропущенных нет</td></tr>';
    rows.dataset.shown = `${r.query.filter}:${r.query.from}:${r.query.to}:${r.page}`;
    if (!r.rows.length) {
      rows.innerHTML = '<tr><td colspan="9" class="empty">Звонков нет</td></tr>';
      return;
    }
    rows.innerHTML = r.rows
      .map(
        (x) => `<tr data-call="${esc(x.callId)}" class="${x.missed ? (x.callback ? 'called-back' : 'open') : ''}">
          <td class="when">${esc(x.local)}</td>
          <td title="${x.direction === 'out' ? 'исходящий' : 'входящий'}">${x.direction === 'out' ? '↗' : '↙'}</td>
          <td>${esc(x.phone || '—')}</td><td>${esc(x.customer ?? '')}</td><td>${esc(fmtManager(x.manager))}</td>
          <td class="outcome">${callOutcome(x)}</td><td>${x.missed ? '—' : fmtDuration(x.durationSec)}</td>
          <td class="callback">${callbackCell(x)}</td>
          <td>${x.recordUrl ? `<a href="${esc(x.recordUrl)}" target="_blank" rel="noopener noreferrer">▶ запись</a>` : ''}</td></tr>`,
      )
      .join('');
  } catch (err) {
    rows.innerHTML = `<tr><td colspan="9" class="empty">${esc(err.message)}</td></tr>`;
  }
}

$('#calls-filter').addEventListener('submit', (e) => {
  e.preventDefault();
  callsPage = 1;
  loadCalls();
});
$('#calls-filter').filter.addEventListener('change', () => {
  callsPage = 1;
  loadCalls();
});
$('#calls-prev').addEventListener('click', () => {
  if (callsPage > 1) {
    callsPage--;
    loadCalls();
  }
});
$('#calls-next').addEventListener('click', () => {
  if (callsPage < callsPages) {
    callsPage++;
    loadCalls();
  }
});

// ---------- start ----------
try {
  await loadState();
  showTab(location.hash.slice(1));
  document.body.dataset.ready = '1';
} catch (err) {
  toast(err.message, true);
}
