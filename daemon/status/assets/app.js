// journeyd status page. It holds no data of its own: every figure comes from the admin API
// (/api/v1/...) with the session cookie, the same JSON any script reads with a token. Pages are
// built with DOM calls, never from HTML strings, so no value from a payload can become markup.
'use strict';

const REFRESH_MS = 10000;
let session = null;  // {role, csrf_token, ...} from /api/v1/session

// ---- small helpers ------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({credentials: 'same-origin'}, options || {}));
  if (response.status === 401) {
    // The session expired or the token was rotated: back to the sign-in form.
    window.location.assign('/?expired=1');
    throw new ApiError(401, 'signed out');
  }
  const type = response.headers.get('content-type') || '';
  const body = type.includes('application/json') ? await response.json() : await response.text();
  if (!response.ok) {
    const message = body && body.error ? body.error.message : ('HTTP ' + response.status);
    throw new ApiError(response.status, message);
  }
  return body;
}

function post(path, body) {
  return api(path, {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token},
    body: JSON.stringify(body || {}),
  });
}

const isAdmin = () => session && session.role === 'admin';

function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  let ago;
  if (s < 90) ago = s + ' s ago';
  else if (s < 5400) ago = Math.round(s / 60) + ' min ago';
  else if (s < 172800) ago = Math.round(s / 3600) + ' h ago';
  else if (s < 30 * 86400) ago = Math.round(s / 86400) + ' days ago';
  else ago = iso.slice(0, 10);
  return h('time', {datetime: iso, title: iso}, ago);
}

const num = (n) => (n === null || n === undefined) ? '—' : Number(n).toLocaleString('en-US');
const state = (s, reason, label) =>
  h('span', {class: 'state state-' + s, 'data-state': s, title: reason || ''}, label || s);
const td = (v, cls) => h('td', cls ? {class: cls} : {}, v);
const tdn = (v) => td(num(v), 'num');

function table(headers, rows, attrs) {
  return h('table', attrs || {},
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', x.startsWith('#') ? {class: 'num'} : {},
      x.replace(/^#/, ''))))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: headers.length, class: 'muted'}, 'None'))));
}

function link(href, text) { return h('a', {href, 'data-nav': true}, text); }

function notify(text, isError) {
  const n = document.getElementById('notice');
  n.textContent = text;
  n.className = isError ? 'error' : '';
  n.hidden = false;
}

// An admin action as a real POST form: the CSRF token travels as a hidden field and as the
// header of the request the page sends; `then` re-renders.
function actionForm(label, path, body, options) {
  const opts = options || {};
  const form = h('form', {class: 'inline', method: 'post', action: path,
    'data-action': opts.name || label.toLowerCase()},
    h('input', {type: 'hidden', name: 'csrf', value: session.csrf_token}),
    h('button', {type: 'submit', class: opts.danger ? 'danger' : null, disabled: !isAdmin(),
      title: isAdmin() ? null : 'needs the admin token'}, label));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (opts.confirm && !window.confirm(opts.confirm)) return;
    try {
      const result = await post(path, body);
      notify(opts.done ? opts.done(result) : label + ': done');
    } catch (e) {
      notify(label + ' failed: ' + e.message, true);
    }
    await render();
  });
  return form;
}

function sparkline(values) {
  const max = Math.max(1, ...values);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(values.length * 4));
  svg.setAttribute('height', '18');
  values.forEach((v, i) => {
    const r = document.createElementNS(ns, 'rect');
    const height = v === 0 ? 1 : Math.max(2, Math.round(16 * v / max));
    r.setAttribute('x', String(i * 4));
    r.setAttribute('y', String(18 - height));
    r.setAttribute('width', '3');
    r.setAttribute('height', String(height));
    svg.append(r);
  });
  svg.append(document.createElementNS(ns, 'title'));
  svg.lastChild.textContent = values.join(', ') + ' (per hour, oldest first)';
  return svg;
}

function rawPayloadButton(inboxId) {
  if (!inboxId) return null;
  const holder = h('div', {class: 'raw'});
  const button = h('button', {type: 'button', 'data-raw': inboxId, onclick: async () => {
    try {
      const e = await api('/api/v1/inbox/' + inboxId);
      holder.replaceChildren(
        h('p', {class: 'muted'}, e.source + ' · ' + (e.event_type || 'event') + ' · received ' +
          e.received_at + (e.masked ? ' · values masked (read-only token)' : '')),
        h('pre', {}, e.body_text));
    } catch (err) {
      holder.replaceChildren(h('p', {class: 'error'}, err.message));
    }
  }}, 'raw payload #' + inboxId);
  return h('div', {}, button, holder);
}

// ---- pages --------------------------------------------------------------------------------

function runText(run) {
  if (!run) return '—';
  return [run.status + ' (' + run.trigger + '), ', when(run.started_at), ': ' + num(run.records) +
    ' new, ' + num(run.errors) + ' errors'];
}

function sourcesTable(sources) {
  return table(['Source', 'Type', 'State', '#Received 1 h', '#Accepted 1 h', '#Refused 1 h',
    '#Received 24 h', '#Accepted 24 h', '#Refused 24 h', '#Signature failures (24 h / all)',
    'Last event', 'Last sync run'],
  sources.map((s) => h('tr', {'data-source': s.name},
    td(s.name), td(s.type), h('td', {}, state(s.state, s.reason), h('div', {class: 'reason'}, s.reason)),
    tdn(s.last_hour.received), tdn(s.last_hour.accepted),
    tdn(s.last_hour.rejected + s.last_hour.signature_failures),
    tdn(s.last_day.received), tdn(s.last_day.accepted),
    tdn(s.last_day.rejected + s.last_day.signature_failures),
    td(num(s.last_day.signature_failures) + ' / ' + num(s.total.signature_failures), 'num'),
    td(when(s.last_event_at)),
    td([runText(s.last_run), s.poll && s.poll.next_run ? ['; next ', when(s.poll.next_run)] : '']))),
  {id: 'sources'});
}

function targetsTable(targets) {
  return table(['Target', 'Type', 'State', '#Delivered', '#Pending', '#Retries', '#Dead letters',
    'Last error', '#Lag p99'],
  targets.map((t) => h('tr', {'data-target': t.name},
    td(t.name + (t.dry_run ? ' (preview)' : '')), td(t.type),
    h('td', {}, state(t.state, t.reason), h('div', {class: 'reason'}, t.reason)),
    tdn(t.delivered), tdn(t.pending),
    td(num(t.retries === undefined ? null : t.retries) + (t.paused ? ' (backing off)' : ''), 'num'),
    tdn(t.dead_letters),
    td(t.last_error ? [t.last_error, ' ', when(t.last_failure)] : '—'),
    td(t.lag_p99_ms === null || t.lag_p99_ms === undefined ? '—' : num(t.lag_p99_ms) + ' ms', 'num'))),
  {id: 'targets'});
}

async function overviewPage() {
  const s = await api('/api/v1/status');
  return [
    h('h1', {}, 'Overview'),
    h('div', {class: 'banner state-' + s.state, id: 'overall', 'data-state': s.state},
      state(s.state), ' ', h('span', {class: 'reason'}, s.reason)),
    h('div', {class: 'figures'},
      h('div', {class: 'figure', id: 'backlog'}, h('b', {}, num(s.ingest.backlog)), 'events waiting (',
        state(s.ingest.state, s.ingest.reason), ')'),
      h('a', {class: 'figure', href: '/issues', 'data-nav': true, id: 'quarantined'},
        h('b', {}, num(s.open_work.quarantined)), 'quarantined records'),
      h('a', {class: 'figure', href: '/issues', 'data-nav': true, id: 'reviews'},
        h('b', {}, num(s.open_work.reviews_open)), 'possible duplicates to review'),
      h('a', {class: 'figure', href: '/deliveries', 'data-nav': true, id: 'dead-letters'},
        h('b', {}, num(s.open_work.dead_letters)), 'dead letters')),
    h('h2', {}, 'Sources'), h('section', {}, sourcesTable(s.sources)),
    h('h2', {}, 'Targets'), h('section', {}, targetsTable(s.targets)),
    h('p', {class: 'muted'}, 'journeyd ' + s.version + ', started ', when(s.started_at)),
  ];
}

async function issuesPage() {
  const [summary, quarantine, reviews, issues] = await Promise.all([
    api('/api/v1/issues/summary'),
    api('/api/v1/quarantine?limit=50'),
    api('/api/v1/reviews?status=open&limit=50'),
    api('/api/v1/issues?limit=50'),
  ]);
  const groups = table(['Kind', 'Source', '#Total', '#Last hour', '#Last 24 h', 'Trend (24 h)', 'Latest'],
    summary.groups.map((g) => h('tr', {'data-kind': g.kind, 'data-source': g.source},
      td(g.kind), td(g.source), tdn(g.count), tdn(g.last_hour), tdn(g.last_day),
      td(sparkline(g.hourly)), td(when(g.latest_at)))), {id: 'issue-groups'});
  const rules = table(['Rule', '#Quarantined'], summary.quarantined_by_rule.map((r) =>
    h('tr', {'data-rule': r.rule}, td(r.rule), tdn(r.count))), {id: 'rules'});
  const entries = table(['#', 'Source', 'Rules', 'Reasons', 'Record', 'Actions'],
    quarantine.quarantine.map((q) => h('tr', {'data-quarantine': q.id},
      tdn(q.id), td([q.source, h('div', {class: 'muted'}, q.event_type), when(q.created_at)]),
      td(q.rules.join(', ')),
      td(h('ul', {}, q.reasons.map((r) => h('li', {}, r.message || r.rule)))),
      td([q.record ? h('details', {}, h('summary', {}, 'mapped record' +
        (isAdmin() ? '' : ' (masked)')), h('pre', {}, JSON.stringify(q.record, null, 2)))
        : h('span', {class: 'muted'}, 'mapping failed'), rawPayloadButton(q.inbox_id)]),
      td([actionForm('Release', '/api/v1/quarantine/' + q.id + '/release', {}, {name: 'release'}), ' ',
        actionForm('Discard', '/api/v1/quarantine/' + q.id + '/discard', {},
          {name: 'discard', danger: true, confirm: 'Discard quarantined record #' + q.id + '?'})]))),
    {id: 'quarantine'});
  const reviewRows = table(['#', 'Profiles', '#Probability', 'Why', 'Actions'],
    reviews.reviews.map((r) => h('tr', {'data-review': r.id},
      tdn(r.id), td([link('/profiles/' + r.profile_a, '#' + r.profile_a), ' and ',
        link('/profiles/' + r.profile_b, '#' + r.profile_b)]),
      td((r.probability * 100).toFixed(1) + ' %', 'num'), td(h('pre', {}, r.details)),
      td([actionForm('Merge', '/api/v1/reviews/' + r.id + '/accept', {}, {name: 'accept'}), ' ',
        actionForm('Keep apart', '/api/v1/reviews/' + r.id + '/reject', {}, {name: 'reject'})]))),
    {id: 'review-list'});
  const recent = table(['#', 'When', 'Kind', 'Source', 'Message', 'Payload'],
    issues.issues.map((i) => h('tr', {'data-issue': i.id}, tdn(i.id), td(when(i.created_at)),
      td(i.kind), td(i.source), td(i.message), td(rawPayloadButton(i.inbox_id)))), {id: 'recent-issues'});
  return [
    h('h1', {}, 'Data quality'),
    h('h2', {}, 'Issues by kind and source'), h('section', {}, groups),
    h('h2', {}, 'Quarantine (' + num(summary.quarantined) + ' waiting)'),
    h('section', {}, rules, h('p', {}, ''), entries,
      quarantine.next ? h('p', {class: 'muted'}, 'Showing the newest 50.') : null),
    h('h2', {id: 'reviews'}, 'Possible duplicates (' + num(summary.reviews_open) + ' open)'),
    h('section', {}, reviewRows),
    h('h2', {}, 'Recent issues'), h('section', {}, recent),
  ];
}

async function deliveriesPage() {
  const [status, dlq] = await Promise.all([api('/api/v1/status'), api('/api/v1/dlq?status=dead&limit=100')]);
  const requests = await Promise.all(status.targets.map((t) =>
    api('/api/v1/targets/' + encodeURIComponent(t.name) + '/requests?limit=20')));
  const letters = table(['#', 'Target', 'What', 'Profile', 'Error', '#Attempts', 'When', 'Actions'],
    dlq.dead_letters.map((d) => h('tr', {'data-dead-letter': d.id},
      tdn(d.id), td(d.target), td(d.kind + ' ' + d.key), td(link('/profiles/' + d.profile_id, '#' + d.profile_id)),
      td(d.message), tdn(d.attempts), td(when(d.created_at)),
      td([actionForm('Replay', '/api/v1/dlq/replay', {ids: [d.id]}, {name: 'replay',
        done: (r) => 'Replayed ' + r.replayed.length + ' dead letter(s)'}), ' ',
        actionForm('Discard', '/api/v1/dlq/discard', {ids: [d.id]}, {name: 'discard', danger: true,
          confirm: 'Discard dead letter #' + d.id + '?'})]))), {id: 'dead-letter-list'});
  const perTarget = status.targets.map((t, i) => [
    h('h3', {}, t.name), h('p', {class: 'muted'},
      num(t.requests) + ' requests, ' + num(t.failed_requests) + ' failed and retried; last success ', when(t.last_success),
      t.rate_per_second !== undefined ? '; pacing ' + Number(t.rate_per_second).toFixed(1) + ' requests/s' : ''),
    table(['When', 'Request', '#Items', 'Status', 'Message'], requests[i].requests.map((r) =>
      h('tr', {'data-request': r.id}, td(when(r.at)), td(r.method + ' ' + r.what), tdn(r.items),
        td(String(r.status)), td(r.message || ''))), {'data-requests-of': t.name}),
    t.dead_letters > 0
      ? actionForm('Replay all dead letters of ' + t.name, '/api/v1/dlq/replay', {target: t.name},
        {name: 'replay-target', done: (r) => 'Replayed ' + r.replayed.length + ' dead letter(s)'}) : null,
  ]);
  return [
    h('h1', {}, 'Deliveries'),
    h('section', {}, targetsTable(status.targets)),
    h('h2', {}, 'Dead letters (' + num(dlq.dead_letters.length) + (dlq.next ? '+' : '') + ')'),
    h('section', {}, letters),
    h('h2', {}, 'Recent requests'), h('section', {}, perTarget),
  ];
}

async function runsPage() {
  const runs = await api('/api/v1/runs?limit=100');
  return [
    h('h1', {}, 'Sync runs'),
    h('p', {class: 'muted'}, 'Every pull of records from a source: CSV imports (journeyd import) and ' +
      'scheduled or manual polls of source APIs.'),
    h('section', {}, table(['#', 'Source', 'Trigger', 'Status', 'Started', '#Seconds', '#Pages',
      '#New', '#Duplicates', '#Errors', 'Cursor before → after', 'Detail'],
    runs.runs.map((r) => h('tr', {'data-run': r.id, 'data-status': r.status}, tdn(r.id), td(r.source),
      td(r.trigger), td(state(r.status === 'succeeded' ? 'green' : r.status === 'failed' ? 'red' : 'amber',
        '', r.status)), td(when(r.started_at)),
      td(r.seconds === null ? '—' : Number(r.seconds).toFixed(1), 'num'), tdn(r.pages), tdn(r.records),
      tdn(r.duplicates), tdn(r.errors),
      td((r.cursor_before || '—') + ' → ' + (r.cursor_after || '—')), td(r.detail))), {id: 'runs'})),
    runs.next ? h('p', {class: 'muted'}, 'Showing the newest 100.') : null,
  ];
}

function searchForm(value) {
  const input = h('input', {type: 'search', name: 'q', value: value || '', placeholder: 'email, phone (+CC) or profile id',
    'aria-label': 'Find a profile'});
  const form = h('form', {id: 'profile-search', role: 'search'}, input, ' ', h('button', {type: 'submit'}, 'Find'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate('/profiles?q=' + encodeURIComponent(input.value.trim()));
  });
  return form;
}

async function profilesPage() {
  const q = new URLSearchParams(location.search).get('q') || '';
  const parts = [h('h1', {}, 'Profiles'), h('section', {}, searchForm(q))];
  if (!q) return parts;
  try {
    const p = await api('/api/v1/profiles?q=' + encodeURIComponent(q));
    navigate('/profiles/' + p.id, true);
  } catch (e) {
    parts.push(h('p', {class: 'error', id: 'search-result'}, e.status === 404 ? 'No profile matches ' + q + '.' : e.message));
  }
  return parts;
}

function touchText(t) {
  if (!t || !t.type) return '—';
  const campaign = t.utm_campaign || t.campaign;
  return [t.type, 'via', t.channel || t.source, 'from', t.source, campaign ? '· campaign ' + campaign : '',
    '· ' + (t.at || '').slice(0, 10)].filter(Boolean).join(' ');
}

async function profilePage(id) {
  const p = await api('/api/v1/profiles/' + encodeURIComponent(id));
  if (String(p.id) !== String(id)) {
    // The profile was merged into another one: show the survivor under its own address.
    navigate('/profiles/' + p.id, true);
  }
  const golden = Object.entries(p.golden).map(([field, v]) => h('tr', {'data-field': field},
    td(field), td(String(v.value)), td(v.source), td(v.rule), td(when(v.observed_at)),
    td(v.supporting ? num(v.supporting) : '—', 'num')));
  const events = [];
  for (const t of p.touchpoints || []) {
    events.push({at: t.occurred_at, el: h('li', {class: 'touchpoint', 'data-touchpoint': t.id},
      when(t.occurred_at), h('b', {}, t.type), ' via ', t.channel || t.source,
      t.value ? ' · ' + t.value + ' ' + (t.currency || '') : '',
      t.campaign && t.campaign.name ? ' · campaign ' + t.campaign.name : '')});
  }
  for (const s of p.stage_history || []) {
    events.push({at: s.at, el: h('li', {class: 'transition'}, when(s.at),
      h('b', {}, s.kind === 'stage' ? 'Stage: ' : s.kind + ': '), (s.from || '—') + ' → ' + (s.to || '—'))});
  }
  events.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const merges = table(['When', 'Merged', 'Rule', 'On'], (p.merges || []).map((m) => h('tr', {},
    td(when(m.at)), td(['#' + m.from + ' into #' + m.into]), td(m.rule + (m.probability ? ' (' +
      (m.probability * 100).toFixed(1) + ' %)' : '')),
    td(m.identifier ? m.identifier.type + ' ' + m.identifier.value : m.details))), {id: 'merges'});
  return [
    h('h1', {}, 'Profile #' + p.id),
    h('section', {}, searchForm('')),
    h('section', {},
      h('dl', {class: 'kv'},
        h('dt', {}, 'Stage'), h('dd', {id: 'stage'}, p.stage || '—'),
        h('dt', {}, 'Created'), h('dd', {}, when(p.created_at)),
        h('dt', {}, 'Updated'), h('dd', {}, when(p.updated_at)),
        h('dt', {}, 'Engagement'), h('dd', {}, p.scores ? Number(p.scores.engagement).toFixed(2) : '—'),
        h('dt', {}, 'Health'), h('dd', {}, p.scores && p.scores.health !== null
          ? Number(p.scores.health).toFixed(2) : '—'),
        h('dt', {}, 'First touch'), h('dd', {}, touchText(p.attribution && p.attribution.first_touch)),
        h('dt', {}, 'Last touch'), h('dd', {}, touchText(p.attribution && p.attribution.last_touch)))),
    h('h2', {}, 'Identifiers'),
    h('section', {}, table(['Type', 'Value'], p.identifiers.map((i) => h('tr', {'data-identifier': i.type},
      td(i.type), td(i.value))), {id: 'identifiers'})),
    h('h2', {}, 'Golden record'),
    h('section', {}, table(['Field', 'Value', 'Source', 'Rule', 'Observed', '#Agreeing'], golden, {id: 'golden'})),
    h('h2', {}, 'Journey'),
    h('section', {}, h('ul', {class: 'timeline', id: 'timeline'}, events.map((e) => e.el))),
    h('h2', {}, 'Merge history'), h('section', {}, merges),
    h('h2', {}, 'Source records'),
    h('section', {}, table(['#Record', 'Source', 'Event', 'Occurred'], p.records.map((r) => h('tr', {},
      tdn(r.record_id), td(r.source), td(r.event_type), td(when(r.occurred_at)))))),
  ];
}

async function journeyPage() {
  const [svg, kpis] = await Promise.all([api('/api/v1/journey/funnel.svg'), api('/api/v1/journey/kpis')]);
  const chart = h('section', {id: 'funnel'});
  // Our own server-rendered SVG (values escaped there); parsed as XML, never run.
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  chart.append(document.importNode(doc.documentElement, true));
  const conversions = table(['From', 'To', '#Entered', '#Converted', '#Dropped off', '#Rate', '#Median days', '#p90 days'],
    (kpis.conversion || []).map((c) => h('tr', {}, td(c.from), td(c.to), tdn(c.entered), tdn(c.converted),
      tdn(c.dropped), td(c.rate === null ? '—' : (c.rate * 100).toFixed(1) + ' %', 'num'),
      td(c.median_days === null ? '—' : c.median_days.toFixed(1), 'num'),
      td(c.p90_days === null ? '—' : c.p90_days.toFixed(1), 'num'))), {id: 'conversion'});
  return [
    h('h1', {}, 'Journey'),
    h('div', {class: 'figures'},
      h('div', {class: 'figure', id: 'profiles-count'}, h('b', {}, num(kpis.profiles)), 'profiles'),
      h('div', {class: 'figure', id: 'at-risk'}, h('b', {}, num(kpis.side_states.at_risk)), 'at risk now'),
      h('div', {class: 'figure'}, h('b', {}, num(kpis.side_states.churned)), 'churned now'),
      h('div', {class: 'figure'}, h('b', {}, num(kpis.customers)), 'customers'),
      h('div', {class: 'figure'}, h('b', {}, kpis.repeat_purchase.rate === null ? '—'
        : (kpis.repeat_purchase.rate * 100).toFixed(1) + ' %'), 'repeat purchase rate'),
      (kpis.revenue || []).map((r) => h('div', {class: 'figure'}, h('b', {}, r.total + ' ' + r.currency),
        'revenue (' + r.per_profile + ' per paying profile)'))),
    chart,
    h('h2', {}, 'Conversion between stages'), h('section', {}, conversions),
  ];
}

// ---- routing and refresh ------------------------------------------------------------------

const ROUTES = [
  [/^\/$/, overviewPage, '/'],
  [/^\/issues$/, issuesPage, '/issues'],
  [/^\/deliveries$/, deliveriesPage, '/deliveries'],
  [/^\/runs$/, runsPage, '/runs'],
  [/^\/profiles$/, profilesPage, '/profiles'],
  [/^\/profiles\/(\d+)$/, profilePage, '/profiles'],
  [/^\/journey$/, journeyPage, '/journey'],
];

let rendering = null;  // the render under way
let stale = false;      // something changed while it ran: render once more after it

async function renderOnce() {
  const main = document.getElementById('main');
  const path = location.pathname;
  const route = ROUTES.find(([re]) => re.test(path));
  for (const a of document.querySelectorAll('header nav a')) {
    if (route && a.getAttribute('href') === route[2]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    if (!route) throw new ApiError(404, 'No such page.');
    const args = path.match(route[0]).slice(1);
    const content = await route[1](...args);
    if (location.pathname !== path) return;  // navigated away meanwhile
    const scroll = window.scrollY;
    main.replaceChildren(...[content].flat());
    window.scrollTo(0, scroll);
    main.dataset.page = route[2];
    main.dataset.loadedAt = String(Date.now());
    document.getElementById('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    if (e.status === 401) return;
    main.replaceChildren(h('p', {class: 'error', role: 'alert'}, e.message));
  }
}

// One render at a time; a call during one (an action's result, a navigation) is not lost but
// runs right after it, so the page never shows data older than the last change.
async function render() {
  if (rendering) {
    stale = true;
    while (rendering) await rendering;
    return;
  }
  rendering = (async () => {
    do {
      stale = false;
      await renderOnce();
    } while (stale);
  })();
  try { await rendering; } finally { rendering = null; }
}

function navigate(path, replace) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  document.getElementById('notice').hidden = true;
  render();
}

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[data-nav]');
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => render());

async function start() {
  session = await api('/api/v1/session');
  document.getElementById('who').textContent = session.role === 'admin' ? 'admin' : 'read-only';
  document.body.dataset.role = session.role;
  document.querySelector('#logout input[name=csrf]').value = session.csrf_token || '';
  await render();
  // Refresh in place, but not while someone types in a form, reads an opened payload or record
  // (a refresh would close it), or cannot see the tab.
  setInterval(() => {
    const active = document.activeElement;
    if (document.hidden || (active && active.matches('input, textarea, select'))) return;
    if (document.querySelector('#main .raw pre, #main details[open]')) {
      document.getElementById('updated').textContent = 'Refresh paused while a payload is open';
      return;
    }
    render();
  }, REFRESH_MS);
}

start().catch((e) => notify(e.message, true));
