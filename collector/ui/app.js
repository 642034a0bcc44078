// Vigil collector UI. Every string that comes from an alert is attacker
// text: it is only ever placed with textContent or as an attribute value
// set through the DOM, never parsed as HTML.
'use strict';

const MAX_ROWS = 500;
const FIELDS = ['q', 'function', 'category', 'severity', 'source', 'request', 'since'];
const state = { filters: {}, group: null, groupLabel: '', next: null, selected: null,
  rows: new Map(), loading: 0, pending: [] };

function $(id) { return document.getElementById(id); }

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function sevClass(num, text) {
  const t = (text || '').toLowerCase();
  if (t === 'critical' || t === 'fatal' || num >= 21) return 'fatal';
  if (t === 'high' || t === 'error' || num >= 17) return 'error';
  if (t === 'medium' || t === 'warn' || t === 'warning' || num >= 13) return 'warn';
  if (t === 'low' || t === 'info' || num >= 9) return 'info';
  return 'debug';
}

function fmtTime(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// Filters live in the location hash, so a view (a request id, a function)
// can be linked to.
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  state.filters = {};
  for (const k of FIELDS) if (p.get(k)) state.filters[k] = p.get(k);
  state.group = p.get('group') || null;
  state.groupLabel = p.get('glabel') || '';
  const form = $('filters');
  for (const k of FIELDS) form.elements[k].value = state.filters[k] || '';
}

function writeHash(filters, group, glabel) {
  const p = new URLSearchParams();
  for (const k of FIELDS) if (filters[k]) p.set(k, filters[k]);
  if (group) { p.set('group', group); p.set('glabel', glabel || ''); }
  const h = '#' + p.toString();
  if (location.hash !== h) location.hash = h; else refresh();
}

function query(extra) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filters)) p.set(k, v);
  if (state.group) p.set('group', state.group);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  return p.toString();
}

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

function cell(tr, cls, text) {
  const td = el('td', cls, text);
  tr.appendChild(td);
  return td;
}

function requestLink(id) {
  const a = el('a', 'req', id);
  a.href = '#request=' + encodeURIComponent(id);
  a.addEventListener('click', (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    writeHash({ request: id }, null);
  });
  return a;
}

function alertRow(a, fresh) {
  const sev = sevClass(a.severityNumber, a.severityText);
  const tr = el('tr', `row-${sev}` + (fresh ? ' fresh' : ''));
  tr.dataset.id = String(a.id);
  cell(tr, 'time', fmtTime(a.time));
  const sc = cell(tr, 'sev-cell');
  sc.appendChild(el('span', `sev sev-${sev}`, a.severityText || String(a.severityNumber || '')));
  cell(tr, 'function', a.function);
  cell(tr, 'category', a.category || a.kind || 'event');
  cell(tr, 'rule', a.rule);
  cell(tr, 'path', a.fieldPath);
  cell(tr, 'excerpt', a.excerpt !== null ? a.excerpt : a.body);
  const rc = cell(tr, 'request');
  if (a.requestId) rc.appendChild(requestLink(a.requestId));
  tr.addEventListener('click', () => showDetail(a, tr));
  state.rows.set(String(a.id), a);
  return tr;
}

function detailRow(tbody, key, value) {
  const tr = el('tr');
  tr.appendChild(el('th', null, key));
  const td = el('td');
  if (key === 'requestId' || key === 'faas.invocation_id') {
    if (value) td.appendChild(requestLink(String(value)));
  } else if (value !== null && typeof value === 'object') {
    td.textContent = JSON.stringify(value, null, 1);
  } else {
    td.textContent = value === null || value === undefined ? '' : String(value);
  }
  tr.appendChild(td);
  tbody.appendChild(tr);
}

function detailSection(tbody, title) {
  const tr = el('tr', 'section');
  const th = el('th', null, title);
  th.colSpan = 2;
  tr.appendChild(th);
  tbody.appendChild(tr);
}

function showDetail(a, tr) {
  if (state.selected) state.selected.classList.remove('selected');
  state.selected = tr;
  if (tr) tr.classList.add('selected');
  const tbody = $('detail-body').tBodies[0];
  tbody.replaceChildren();
  for (const k of ['id', 'alertId', 'time', 'severityText', 'severityNumber', 'kind',
    'category', 'rule', 'action', 'source', 'fieldPath', 'excerpt', 'requestId', 'function',
    'service', 'body', 'timeUnixNano', 'receivedUnixNano']) detailRow(tbody, k, a[k]);
  detailSection(tbody, 'Attributes');
  for (const [k, v] of Object.entries(a.attributes || {})) detailRow(tbody, k, v);
  detailSection(tbody, 'Resource');
  for (const [k, v] of Object.entries(a.resource || {})) detailRow(tbody, k, v);
  $('detail').hidden = false;
  document.querySelector('main').classList.add('with-detail');
}

function hideDetail() {
  $('detail').hidden = true;
  document.querySelector('main').classList.remove('with-detail');
  if (state.selected) state.selected.classList.remove('selected');
  state.selected = null;
}

function sparkline(counts) {
  const NS = 'http://www.w3.org/2000/svg';
  const w = 120, h = 22, max = Math.max(1, ...counts);
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const bg = document.createElementNS(NS, 'rect');
  bg.setAttribute('width', String(w));
  bg.setAttribute('height', String(h));
  svg.appendChild(bg);
  const step = counts.length > 1 ? w / (counts.length - 1) : w;
  const pts = counts.map((c, i) =>
    `${(i * step).toFixed(1)},${(h - 2 - (Number(c) / max) * (h - 4)).toFixed(1)}`);
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', pts.join(' '));
  svg.appendChild(line);
  const title = document.createElementNS(NS, 'title');
  title.textContent = counts.join(' ');
  svg.appendChild(title);
  return svg;
}

function renderGroups(groups) {
  const tbody = $('groups').tBodies[0];
  tbody.replaceChildren();
  for (const g of groups) {
    const sev = sevClass(g.severityNumber, g.severityText);
    const tr = el('tr', `row-${sev}`);
    tr.dataset.group = String(g.id);
    cell(tr, 'count sev-cell', g.count);
    cell(tr, 'spark-cell').appendChild(sparkline(g.spark || []));
    cell(tr, 'rule', g.rule || g.category || g.kind || 'event');
    cell(tr, 'function', g.function);
    cell(tr, 'path', g.fieldPath);
    cell(tr, 'time', fmtTime(g.lastSeen));
    tr.addEventListener('click', () => {
      const label = [g.rule, g.function, g.fieldPath].filter(Boolean).join(' · ');
      writeHash(state.filters, String(g.id), label);
    });
    tbody.appendChild(tr);
  }
}

function renderAlerts(alerts, append) {
  const tbody = $('alerts').tBodies[0];
  if (!append) { tbody.replaceChildren(); state.rows.clear(); }
  const frag = document.createDocumentFragment();
  for (const a of alerts) frag.appendChild(alertRow(a, false));
  tbody.appendChild(frag);
  $('empty').hidden = tbody.rows.length > 0;
  $('more').hidden = !state.next;
}

function renderTotals(s) {
  const t = $('totals');
  t.textContent = `${s.alerts} stored · ${s.groups} groups`;
  const fill = (id, obj) => {
    const dl = $(id);
    dl.replaceChildren();
    for (const k of Object.keys(obj || {})) if (k) {
      const o = document.createElement('option');
      o.value = k;
      dl.appendChild(o);
    }
  };
  fill('functions', s.byFunction);
  fill('categories', s.byCategory);
}

async function loadAlerts(append) {
  const extra = { limit: '100' };
  if (append && state.next) extra.before = state.next;
  // Live alerts that arrive while the list loads are held, then added if
  // the loaded list does not already hold them.
  if (!append) state.loading++;
  let r;
  try {
    r = await getJSON('/api/alerts?' + query(extra));
  } finally {
    if (!append) state.loading--;
  }
  state.next = r.next;
  renderAlerts(r.alerts, append);
  if (!append && !state.loading) {
    const top = r.alerts.length ? r.alerts[0].id : 0;
    const held = state.pending.filter((a) => a.id > top);
    state.pending = [];
    for (const a of held) onLiveAlert(a);
  }
  // A text search looks back a window at a time; say so on the button.
  $('more').textContent = r.searchedDownTo ? 'Search further back' : 'Older alerts';
  if (!append) performance.mark('vigil-alerts-rendered');
}

async function loadGroups() {
  const p = new URLSearchParams();
  for (const k of ['function', 'category', 'severity']) if (state.filters[k]) p.set(k, state.filters[k]);
  const r = await getJSON('/api/groups?' + p.toString());
  renderGroups(r.groups);
}

async function loadStats() {
  renderTotals(await getJSON('/api/stats'));
}

async function refresh() {
  readHash();
  $('group-filter').textContent = state.group ? `group: ${state.groupLabel}` : '';
  hideDetail();
  await Promise.all([loadAlerts(false), loadGroups(), loadStats()]).catch((e) => {
    $('totals').textContent = 'cannot reach the collector: ' + e.message;
  });
}

// Does a live alert belong in the current view? The server's filters are
// exact matches, except q (substring) and since (time).
function matches(a) {
  const f = state.filters;
  if (state.group && String(a.groupId) !== state.group) return false;
  if (f.function && a.function !== f.function) return false;
  if (f.category && a.category !== f.category) return false;
  if (f.source && a.source !== f.source) return false;
  if (f.request && a.requestId !== f.request) return false;
  if (f.severity && (a.severityText || '').toLowerCase() !== f.severity.toLowerCase() &&
      sevClass(a.severityNumber, '') !== f.severity.toLowerCase()) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const hay = [a.body, a.excerpt, a.fieldPath, a.rule, a.function, a.requestId, a.category,
      a.alertId].map((x) => (x || '').toLowerCase());
    if (!hay.some((x) => x.includes(q))) return false;
  }
  return true;
}

// While the tab is in the background, its title counts the alerts that
// arrived, so a glance at the tab bar says something happened.
let unseen = 0;
function noteUnseen() {
  if (!document.hidden) return;
  unseen++;
  document.title = `(${unseen}) Vigil alerts`;
}
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) { unseen = 0; document.title = 'Vigil alerts'; }
});

let groupTimer = null;
function onLiveAlert(a) {
  if (state.loading) {
    if (state.pending.length < MAX_ROWS) state.pending.push(a);
    return;
  }
  if (matches(a)) {
    const tbody = $('alerts').tBodies[0];
    tbody.insertBefore(alertRow(a, true), tbody.firstChild);
    while (tbody.rows.length > MAX_ROWS) {
      const last = tbody.lastChild;
      state.rows.delete(last.dataset.id);
      last.remove();
      state.next = state.next || last.dataset.id;
    }
    $('empty').hidden = true;
    noteUnseen();
  }
  // Group counts and sparklines: refetch at most once a second.
  if (!groupTimer) {
    groupTimer = setTimeout(() => {
      groupTimer = null;
      loadGroups().catch(() => {});
      loadStats().catch(() => {});
    }, 1000);
  }
}

function connect() {
  const live = $('live');
  const es = new EventSource('/api/stream');
  es.addEventListener('open', () => { live.textContent = 'live'; live.className = 'live on'; });
  es.addEventListener('error', () => { live.textContent = 'reconnecting'; live.className = 'live off'; });
  es.addEventListener('alert', (ev) => {
    try { onLiveAlert(JSON.parse(ev.data)); } catch (e) { /* a bad event is skipped */ }
  });
  es.addEventListener('lagged', () => refresh());
}

function init() {
  const form = $('filters');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = {};
    for (const k of FIELDS) if (form.elements[k].value) f[k] = form.elements[k].value.trim();
    writeHash(f, state.group, state.groupLabel);
  });
  $('clear').addEventListener('click', () => writeHash({}, null));
  $('more').addEventListener('click', () => loadAlerts(true).catch(() => {}));
  $('close').addEventListener('click', hideDetail);
  window.addEventListener('hashchange', refresh);
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') hideDetail(); });
  refresh();
  connect();
}

document.addEventListener('DOMContentLoaded', init);
