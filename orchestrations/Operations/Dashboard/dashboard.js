// The connector's operations dashboard: runs, a run's steps, datasets, reconciliation, records and journal entries,
// the model locks and the trends, with the recovery buttons. Plain JavaScript (an ES module), no build step and no
// dependency. Everything shown comes from the operator API beside this page (/api/...); text from the server is only
// ever set as text (never parsed as HTML), and the page's Content-Security-Policy allows no inline script.

const apiBase = location.pathname.replace(/dashboard\/?$/, '');
const keyStore = 'connector.functionKey';
const state = { readOnly: true, connections: [], key: sessionStorage.getItem(keyStore), timer: null, route: '' };

// ---------------------------------------------------------------- HTTP

class ApiError extends Error {
  constructor(status, statusText, problem, method, path, text) {
    super(`${method} ${path}: ${status}`);
    this.status = status;
    this.statusText = statusText;
    this.problem = problem;
    this.method = method;
    this.path = path;
    this.text = text;
  }
}

async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { Accept: raw ? '*/*' : 'application/json' };
  if (state.key) headers['x-functions-key'] = state.key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiBase + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store',
    });
  } catch (e) {
    throw new Error(`The API did not answer ${method} ${apiBase}${path}: ${e.message}`);
  }

  const type = response.headers.get('Content-Type') || '';
  if (!response.ok) {
    let problem = null;
    let text = '';
    try {
      text = await response.text();
      if (type.includes('json') && text) problem = JSON.parse(text);
    } catch { /* not JSON: reported as text */ }
    const error = new ApiError(response.status, response.statusText, problem, method, apiBase + path, text);
    if (response.status === 401) askForKey(error);
    throw error;
  }

  if (raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  return text && type.includes('json') ? JSON.parse(text) : text;
}

/** What went wrong, in words: the ProblemDetails' title and detail, or the status and what it means. */
function describe(error) {
  if (!(error instanceof ApiError)) return error?.message || String(error);
  const p = error.problem;
  if (p && (p.detail || p.title)) return `${error.status} ${p.title || error.statusText}: ${p.detail || ''}`.trim();
  if (error.status === 404) return `404 Not Found: this server has no endpoint ${error.method} ${error.path}.`;
  if (error.status === 401) return '401 Unauthorized: the API needs a function key (or an App Service sign-in).';
  if (error.status === 403) return `403 Forbidden: ${error.text || 'the server refused the request.'}`;
  return `${error.status} ${error.statusText || 'error'}${error.text ? `: ${error.text.slice(0, 300)}` : ''}`;
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- DOM and formats

function h(tag, attributes, ...children) {
  const element = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.setAttribute('class', value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const main = () => document.getElementById('main');

function render(...children) {
  const m = main();
  m.replaceChildren();
  append(m, children);
}

function notice(message, kind = '') {
  const n = document.getElementById('notice');
  n.className = kind;
  n.setAttribute('role', kind === 'bad' ? 'alert' : 'status');
  n.replaceChildren();
  if (message) append(n, [message]);
}

function time(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '';
  if (seconds < 1) return `${Math.max(0, Math.round(seconds * 1000))} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

function spanSeconds(from, to) {
  return (new Date(to).getTime() - new Date(from).getTime()) / 1000;
}

const numberFormat = new Intl.NumberFormat('en-US');
const moneyFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const number = n => (n === null || n === undefined ? '' : numberFormat.format(n));
const money = n => (n === null || n === undefined ? '' : moneyFormat.format(n));

const finished = status => ['Completed', 'Failed', 'Terminated'].includes(status);

function statusClass(status) {
  if (!status) return '';
  if (status === 'Failed' || /Failures/.test(status)) return 'bad';
  if (status === 'Completed' || status === 'DryRun') return 'ok';
  if (status === 'Running' || status === 'Pending') return 'run';
  return 'warn';
}

const pill = (text, status = text) => h('span', { class: `pill ${statusClass(status)}` }, text);

function table(headers, rows, options = {}) {
  return h('div', { class: 'scroll' },
    h('table', { class: 'data', id: options.id },
      options.head ?? h('thead', {}, h('tr', {}, headers.map(c => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label ?? c)))),
      h('tbody', {}, rows)));
}

const cell = (value, cls) => h('td', { class: cls }, value);
const num = value => cell(number(value), 'num');

function runLink(id) {
  const root = id.split('|')[0];
  return h('a', { href: `#/run/${enc(root)}`, class: 'mono' }, id);
}

// ---------------------------------------------------------------- confirmation dialog

/**
 * Asks before a write: a title, what it does, optional fields, and a reason (required). Resolves with
 * { reason, values } when confirmed, or null; `act` runs on confirm and an error it throws stays in the dialog.
 */
function confirmAction({ title, text, fields = [], confirm = 'Confirm', act }) {
  const dialog = document.getElementById('confirm');
  const reason = document.getElementById('confirm-reason');
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  const error = document.getElementById('confirm-error');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').replaceChildren(...(Array.isArray(text) ? text : [text]).map(t => (t instanceof Node ? t : document.createTextNode(t))));
  const holder = document.getElementById('confirm-fields');
  holder.replaceChildren(...fields.map(f => f.element));
  reason.value = '';
  error.textContent = '';
  ok.textContent = confirm;
  ok.disabled = true;
  return new Promise(resolve => {
    const update = () => { ok.disabled = reason.value.trim().length === 0; };
    const close = result => {
      reason.removeEventListener('input', update);
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(result);
    };
    const onCancel = event => { event?.preventDefault?.(); close(null); };
    const onOk = async () => {
      const values = Object.fromEntries(fields.map(f => [f.name, f.value()]));
      const answer = { reason: reason.value.trim(), values };
      if (!act) { close(answer); return; }
      ok.disabled = true;
      error.textContent = '';
      try {
        answer.result = await act(answer);
        close(answer);
      } catch (e) {
        error.textContent = describe(e);
        update();
      }
    };
    reason.addEventListener('input', update);
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    reason.focus();
  });
}

function checkboxField(name, label, checked) {
  const input = h('input', { type: 'checkbox', id: `field-${name}`, checked });
  return { name, value: () => input.checked, element: h('div', { class: 'field' }, input, ' ', h('label', { for: `field-${name}` }, label)) };
}

function selectField(name, label, options) {
  const select = h('select', { id: `field-${name}` }, options.map(([value, text]) => h('option', { value }, text)));
  return { name, value: () => select.value, element: h('div', { class: 'field' }, h('label', { for: `field-${name}` }, label), select) };
}

function timeField(name, label, value) {
  const input = h('input', { type: 'datetime-local', id: `field-${name}`, step: 1, value: localInput(value) });
  return { name, value: () => fromLocalInput(input.value), element: h('div', { class: 'field' }, h('label', { for: `field-${name}` }, label), input) };
}

// datetime-local inputs hold UTC here (the page shows every time in UTC).
const localInput = iso => (iso ? new Date(iso).toISOString().slice(0, 19) : '');
const fromLocalInput = text => (text ? new Date(`${text}Z`).toISOString() : '');

/**
 * Runs a write after confirmation and says what happened: the server's answer on success, or its problem text
 * (ProblemDetails title and detail, or the status) on error, in the page's notice. Returns the answer or null.
 */
async function runAction(options, done) {
  let outcome = null;
  try {
    outcome = await confirmAction({ ...options, act: options.act });
  } catch (e) {
    notice(describe(e), 'bad');
    return null;
  }
  if (!outcome) return null;
  notice(options.success(outcome.result, outcome), 'ok');
  if (done) await done(outcome);
  return outcome;
}

/** A button that changes state (hidden in read-only mode: every caller checks state.readOnly first). */
function actionButton(label, action, onClick, cls = '') {
  return h('button', { type: 'button', class: cls, 'data-action': action, 'data-write': true, onclick: onClick }, label);
}

// ---------------------------------------------------------------- function key (Functions app)

function askForKey(error) {
  const input = h('input', { type: 'password', id: 'function-key', autocomplete: 'off', 'aria-label': 'Function key' });
  const use = h('button', {
    type: 'button', class: 'primary', onclick: () => {
      if (!input.value.trim()) return;
      state.key = input.value.trim();
      sessionStorage.setItem(keyStore, state.key);
      notice('');
      start();
    },
  }, 'Use key');
  notice(h('div', {},
    describe(error), ' Enter the function key (it stays in this browser tab and is sent as the x-functions-key header, never in a URL).',
    h('div', { class: 'keyform' }, input, use)), 'bad');
}

// ---------------------------------------------------------------- router

const pages = { runs: runsPage, run: runPage, locks: locksPage, trends: trendsPage };

function parseRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const [page, ...rest] = path.split('/');
  return { page: pages[page] ? page : 'runs', arg: rest.length ? decodeURIComponent(rest.join('/')) : '', params: new URLSearchParams(query) };
}

async function route() {
  clearInterval(state.timer);
  state.timer = null;
  const r = parseRoute();
  state.route = location.hash;
  for (const a of document.querySelectorAll('header.top nav a')) {
    if (a.dataset.page === (r.page === 'run' ? 'runs' : r.page)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    await pages[r.page](r);
  } catch (e) {
    render(h('section', { class: 'card' }, h('p', { class: 'error', role: 'alert' }, describe(e))));
  }
}

/** Calls `refresh` every `seconds` while the page stays the same (cleared on navigation). */
function every(seconds, refresh) {
  const at = location.hash;
  state.timer = setInterval(async () => {
    if (location.hash !== at || document.getElementById('confirm').open) return;
    try { await refresh(); } catch { /* the next tick tries again */ }
  }, seconds * 1000);
}

async function start() {
  const overview = await api('ops');
  state.readOnly = overview.readOnly;
  state.connections = overview.connections;
  const mode = document.getElementById('mode');
  mode.hidden = !state.readOnly;
  mode.className = 'badge readonly';
  mode.textContent = 'read-only';
  document.getElementById('forget-key').hidden = !state.key;
  await route();
}

// ---------------------------------------------------------------- runs

const statuses = ['Running', 'Pending', 'Completed', 'Failed', 'Terminated', 'Suspended'];

async function runsPage(r) {
  const p = r.params;
  const query = new URLSearchParams({ audit: 'true', max: p.get('max') || '200' });
  for (const name of ['connection', 'flow', 'status', 'from', 'to']) if (p.get(name)) query.set(name, p.get(name));
  const runs = await api(`runs?${query}`);

  const filter = (name, label, options) => h('label', {}, label,
    h('select', { name, 'aria-label': label }, options.map(([value, text]) => h('option', { value, selected: p.get(name) === value }, text))));
  const fromInput = h('input', { type: 'datetime-local', name: 'from', step: 1, value: localInput(p.get('from')), 'aria-label': 'Created from (UTC)' });
  const toInput = h('input', { type: 'datetime-local', name: 'to', step: 1, value: localInput(p.get('to')), 'aria-label': 'Created to (UTC)' });
  const filters = h('div', { class: 'filters', id: 'run-filters' },
    filter('connection', 'Connection', [['', 'All'], ...state.connections.map(c => [c.id, c.id])]),
    filter('flow', 'Flow', [['', 'All'], ['actuals', 'actuals'], ['budgets', 'budgets'], ['selftest', 'selftest']]),
    filter('status', 'Status', [['', 'Any'], ...statuses.map(s => [s, s])]),
    h('label', {}, 'Created from (UTC)', fromInput),
    h('label', {}, 'to (UTC)', toInput),
    h('div', { class: 'quick' },
      [['24 h', 1], ['7 days', 7], ['30 days', 30]].map(([label, days]) => h('button', {
        type: 'button', class: 'small', onclick: () => { fromInput.value = localInput(new Date(Date.now() - days * 86400000).toISOString()); toInput.value = ''; },
      }, label)),
      h('button', { type: 'button', class: 'small', onclick: () => { fromInput.value = ''; toInput.value = ''; } }, 'any time')),
    h('button', {
      type: 'button', class: 'primary', onclick: () => {
        const next = new URLSearchParams();
        for (const select of filters.querySelectorAll('select')) if (select.value) next.set(select.name, select.value);
        if (fromInput.value) next.set('from', fromLocalInput(fromInput.value));
        if (toInput.value) next.set('to', fromLocalInput(toInput.value));
        location.hash = `#/runs?${next}`;
      },
    }, 'Apply'));

  // Runs per connection and flow, each group newest first, the group with the newest run first.
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.connectionId || '(no connection)'} · ${run.flow}`;
    if (!groups.has(key)) groups.set(key, { connection: run.connectionId, flow: run.flow, runs: [] });
    groups.get(key).runs.push(run);
  }

  const sections = [...groups.entries()].map(([title, group]) => h('section', { class: 'card run-group', 'data-connection': group.connection, 'data-flow': group.flow },
    h('div', { class: 'group-head' },
      h('h3', {}, title),
      h('span', { class: 'muted' }, `${group.runs.length} run(s), newest first`),
      bulkButtons(group)),
    table(
      ['Created (UTC)', 'Run', 'Trigger', 'Status', 'Outcome', { label: 'Duration', num: true }, 'Step or failure'],
      group.runs.map(run => h('tr', { 'data-run': run.instanceId },
        cell(time(run.createdAt), 'mono'),
        cell(runLink(run.instanceId)),
        cell(run.trigger || ''),
        cell(pill(run.status)),
        cell(run.outcome ? pill(run.outcome) : ''),
        cell(finished(run.status) ? duration(spanSeconds(run.createdAt, run.lastUpdatedAt)) : `${duration(spanSeconds(run.createdAt, new Date()))} so far`, 'num'),
        cell(run.status === 'Failed' ? (run.failureCause || run.step || '') : (run.step || ''), run.status === 'Failed' ? 'wrap error' : 'wrap'))))));

  render(
    h('h2', {}, 'Runs'),
    h('section', { class: 'card' }, filters),
    sections.length ? sections : h('section', { class: 'card' }, h('p', { class: 'muted' }, 'No runs match.')));
}

/** Rewind the failed runs, or replay the runs, of a connection created in a time range: a dry run first, then for real. */
function bulkButtons(group) {
  if (state.readOnly || !group.connection || !state.connections.some(c => c.id === group.connection) || group.flow === 'selftest') return null;
  const bulk = (what, path, verb) => async () => {
    const p = parseRoute().params;
    const from = timeField('from', 'From (UTC)', p.get('from') || new Date(Date.now() - 7 * 86400000).toISOString());
    const to = timeField('to', 'To (UTC)', p.get('to') || new Date().toISOString());
    const preview = await runAction({
      title: `${what} of ${group.connection}`,
      text: `First a dry run lists the runs that would be ${verb}; nothing changes until you confirm that list.`,
      fields: [from, to],
      confirm: 'Preview (dry run)',
      act: ({ reason, values }) => api(`connections/${enc(group.connection)}/${path}`, { method: 'POST', body: { reason, from: values.from, to: values.to, dryRun: true } }),
      success: result => `Dry run: ${(result?.runs || []).length} run(s) would be ${verb}.`,
    });
    if (!preview) return;
    const listed = preview.result?.runs || [];
    await runAction({
      title: `${what}: ${listed.length} run(s)`,
      text: [h('ul', { class: 'preview' }, listed.map(run => h('li', { class: 'mono' }, run.runId || run.instanceId || run.id || JSON.stringify(run),
        run.status ? ` (${run.status})` : '', run.error ? ` ${run.error}` : '')))],
      confirm: `${what} now`,
      act: ({ reason }) => api(`connections/${enc(group.connection)}/${path}`, {
        method: 'POST', body: { reason, from: preview.values.from, to: preview.values.to, dryRun: false },
      }),
      success: result => `${what}: ${(result?.runs || []).length} run(s) ${verb}.`,
    }, () => route());
  };
  return h('span', { class: 'actions' },
    actionButton('Rewind failed runs…', 'bulk-rewind', bulk('Rewind failed runs', 'runs-rewind', 'rewound'), 'small'),
    actionButton('Replay runs…', 'bulk-replay', bulk('Replay runs', 'runs-replay', 'replayed'), 'small'));
}

// ---------------------------------------------------------------- one run

async function runPage(r) {
  const id = r.arg;
  const inspection = await api(`runs/${enc(id)}?tree=true`);
  const run = inspection.run;
  const connection = run.input?.ConnectionId || run.input?.connectionId || (id.includes(':') ? id.split(':')[0] : null);
  let audit = null;
  let auditProblem = null;
  if (connection && state.connections.some(c => c.id.toLowerCase() === connection.toLowerCase())) {
    try {
      audit = await api(`connections/${enc(connection)}/runs/${enc(id)}/audit`);
    } catch (e) {
      auditProblem = describe(e);
    }
  } else {
    auditProblem = 'This run belongs to no configured connection, so it has no audit trail.';
  }

  render(
    runHeader(inspection, audit, connection),
    run.status === 'Failed' ? failureSection(inspection) : null,
    timelineSection(inspection, audit),
    audit ? datasetsSection(audit, run, connection) : h('section', { class: 'card' }, h('h3', {}, 'Audit'), h('p', { class: 'muted' }, auditProblem)),
    audit ? totalsSection(audit) : null,
    audit ? detailsSection(audit) : null,
    audit && (audit.run.flow === 'budgets' || run.flow === 'budgets') ? journalSection(audit) : null,
    audit ? recordsSection(audit, connection, id) : null);

  if (!finished(run.status)) {
    every(2, async () => {
      const now = await api(`runs/${enc(id)}`);
      if (now.status !== run.status || now.step !== run.step) await route();
    });
  }
}

function runHeader(inspection, audit, connection) {
  const run = inspection.run;
  const fact = (label, value) => [h('dt', {}, label), h('dd', {}, value ?? '')];
  const took = finished(run.status) ? duration(spanSeconds(run.createdAt, run.lastUpdatedAt)) : `${duration(spanSeconds(run.createdAt, new Date()))} so far`;
  return h('section', { class: 'card', id: 'run-header' },
    h('h2', {}, 'Run ', h('span', { class: 'mono' }, run.instanceId), ' ', pill(run.status), ' ',
      audit && audit.run.finishedAt ? pill(audit.run.status) : null),
    h('dl', { class: 'facts' },
      fact('Connection', connection || '—'),
      fact('Flow', run.flow),
      fact('Trigger', audit?.run.trigger || '—'),
      fact('Created (UTC)', time(run.createdAt)),
      fact('Last updated (UTC)', time(run.lastUpdatedAt)),
      fact('Duration', took),
      fact('Step', run.step || '—'),
      fact('Attempt', audit?.run.attempt > 1 ? `${audit.run.attempt} (rewound)` : (audit?.run.attempt || '—')),
      fact('Orchestrator', run.name),
      fact('Outcome (audit)', audit?.run.finishedAt ? audit.run.status : '—')),
    runButtons(inspection, audit));
}

function runButtons(inspection, audit) {
  if (state.readOnly) return null;
  const run = inspection.run;
  const id = run.instanceId;
  const refresh = () => route();
  const buttons = [];
  // What the server can rewind: a flow's run that failed, was terminated, or completed with failures (it answers 409 saying why otherwise).
  const rewindable = ['Failed', 'Terminated'].includes(run.status) || (run.status === 'Completed' && audit?.run.status === 'CompletedWithFailures');
  if (rewindable && !run.parentInstanceId) {
    buttons.push(actionButton('Rewind…', 'rewind', () => runAction({
      title: `Rewind run ${id}?`,
      text: 'The run starts again under its own id as its next attempt: the steps an earlier attempt finished are taken as they ended, the rest run again. The run must have ended with a failure.',
      confirm: 'Rewind',
      act: ({ reason }) => api(`runs/${enc(id)}/rewind`, { method: 'POST', body: { reason } }),
      success: result => `Rewind of ${id} requested: attempt ${result?.attempt ?? '?'} ${result?.started ? 'started' : 'queued for a worker'}. This page follows the run.`,
    }, refresh), 'primary'));
  }
  const rejected = (audit?.records || []).filter(x => x.kind === 'rejected');
  if (audit && rejected.length > 0 && (audit.run.flow || run.flow) !== 'budgets') { // budget lines are planned again by the next budgets run
    const datasets = [...new Set(rejected.map(x => x.dataset))];
    buttons.push(actionButton('Retry rejected rows…', 'retry-rejected', () => runAction({
      title: `Retry the rejected rows of ${id}?`,
      text: 'A new run sends the rows this run rejected again (fix the mappings or the model first).',
      fields: [selectField('dataset', 'Dataset', [['', 'every dataset'], ...datasets.map(d => [d, d])])],
      confirm: 'Retry rejected rows',
      act: ({ reason, values }) => api(`runs/${enc(id)}/retry-rejected`, { method: 'POST', body: values.dataset ? { reason, dataset: values.dataset } : { reason } }),
      success: result => `Retry of the rejected rows started as ${result?.id || 'a new run'}.`,
    }, refresh)));
  }
  if (['Running', 'Pending', 'Suspended'].includes(run.status)) {
    buttons.push(actionButton('Terminate…', 'terminate', () => runAction({
      title: `Terminate run ${id}?`,
      text: 'The run and its sub-runs stop where they are, and the model locks they held are released. It can be rewound later.',
      confirm: 'Terminate',
      act: ({ reason }) => api(`runs/${enc(id)}/terminate`, { method: 'POST', body: { reason } }),
      success: () => `Termination of ${id} requested.`,
    }, refresh), 'danger'));
  }
  if (finished(run.status)) {
    buttons.push(actionButton('Purge…', 'purge', () => runAction({
      title: `Purge run ${id}?`,
      text: 'The run, its sub-runs, its recorded steps and its staged files are deleted and cannot be recovered.',
      fields: [checkboxField('keepAudit', 'Keep its audit rows (recommended)', true)],
      confirm: 'Purge',
      act: ({ reason, values }) => api(`runs/${enc(id)}?keepAudit=${values.keepAudit}`, { method: 'DELETE', body: { reason } }),
      success: result => `Run ${id} purged${result?.auditKept ? '; its audit rows are kept' : ''}.`,
    }, () => { location.hash = '#/runs'; }), 'danger'));
  }
  return buttons.length ? h('div', { class: 'actions', id: 'run-actions' }, buttons) : null;
}

function failureSection(inspection) {
  const run = inspection.run;
  let cause = run.failure;
  while (cause?.cause) cause = cause.cause;
  const path = inspection.failurePath || [];
  const last = path.length ? path[path.length - 1].step : null;
  return h('section', { class: 'card', id: 'failure' },
    h('h3', {}, 'Failure'),
    h('div', { class: 'failure' },
      h('p', {}, h('strong', {}, 'Cause: '), last?.failure?.message || cause?.message || run.failureMessage || 'unknown'),
      path.length ? h('ol', {}, path.map(f => h('li', {},
        `${f.step.kind} ${f.step.name}`, f.instanceId !== run.instanceId ? [' in ', h('span', { class: 'mono' }, f.instanceId)] : null,
        ` at ${time(f.step.ended || f.step.started)}`))) : null));
}

// ---- timeline: every step of the run and its sub-runs on one time axis

/** The row a step is drawn on: consecutive steps of one kind and name share a row (chunk uploads, polling). */
function rowOf(step) {
  if (step.kind === 'timer' || step.name === 'GetAnaplanTaskStatusActivity') return ['polling', 'polling (timers, task status checks)'];
  if (step.kind === 'lock-wait') return ['lock-wait', 'waiting for the model lock'];
  if (step.kind === 'lock-held') return ['lock-held', 'holding the model lock'];
  return [`${step.kind}:${step.name}`, step.name];
}

function timelineRows(steps, nodes, depth, rows) {
  for (const step of steps || []) {
    const [key, label] = rowOf(step);
    const last = rows[rows.length - 1];
    if (step.kind !== 'sub-run' && last && last.depth === depth && last.key === key) {
      last.bars.push(step);
      continue;
    }
    rows.push({ key, label, depth, kind: key === 'polling' ? 'timer' : step.kind, bars: [step] });
    if (step.kind === 'sub-run' && step.instanceId) {
      const node = nodes.get(step.instanceId);
      if (node?.steps) timelineRows(node.steps, nodes, depth + 1, rows);
    }
  }
  return rows;
}

const eventVerbs = { rewind: 'rewound', terminate: 'terminated', 'replay-dataset': 'dataset replayed', 'retry-rejected': 'rejected rows retried', replay: 'replayed' };

/** An operator action the audit recorded on the run: what, by whom, why (and the attempt it started, or the run it started). */
function eventText(e) {
  return `${eventVerbs[e.action] || e.action}${e.attempt ? ` (attempt ${e.attempt})` : ''} by ${e.by}: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`;
}

function timelineSection(inspection, audit) {
  const section = h('section', { class: 'card', id: 'timeline' }, h('h3', {}, 'Steps'));
  const events = (audit?.events || []).slice().sort((a, b) => new Date(a.at) - new Date(b.at));
  const eventList = events.length ? h('div', { id: 'run-events' }, h('h4', {}, 'Operator actions (from the audit)'),
    h('ul', { class: 'events' }, events.map(e => h('li', { 'data-event': e.action }, h('span', { class: 'mono' }, time(e.at)), ' ', eventText(e))))) : null;
  if (!inspection.steps) return append(section, [h('p', { class: 'muted' }, inspection.stepsUnavailable || 'No history.'), eventList]);
  const nodes = new Map();
  const walk = list => { for (const n of list || []) { nodes.set(n.instanceId, n); walk(n.subRuns); } };
  walk(inspection.subRuns);
  const rows = timelineRows(inspection.steps, nodes, 0, []);
  if (!rows.length) return append(section, [h('p', { class: 'muted' }, 'No steps yet.'), eventList]);

  const now = Date.now();
  const created = new Date(inspection.run.createdAt).getTime();
  const ends = rows.flatMap(row => row.bars.map(step => (step.ended ? new Date(step.ended).getTime() : now)));
  const last = Math.max(created + 1000, ...ends);
  // The audit's operator actions go on the same axis where they happened (a rewind just before its attempt started, a
  // replay after the run ended), unless they lie further from the steps than the steps' own span: those are listed only.
  const span = last - created;
  const drawn = events.filter(e => { const t = new Date(e.at).getTime(); return t >= created - span && t <= last + span; });
  if (drawn.length) rows.unshift({ key: 'operator-actions', label: 'operator actions (audit)', depth: 0, kind: 'operator', bars: [], events: drawn });
  const t0 = Math.min(created, ...drawn.map(e => new Date(e.at).getTime()));
  const t1 = Math.max(last, ...drawn.map(e => new Date(e.at).getTime() + 1));
  const label = 340;
  const width = 1200;
  const plot = width - label - 20;
  const rowHeight = 17;
  const top = 22;
  const height = top + rows.length * rowHeight + 8;
  const x = t => label + ((t - t0) / (t1 - t0)) * plot;
  const svg = h('svg:svg', { class: 'timeline', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Timeline of ${rows.length} rows of steps` });
  const axis = h('svg:g', { class: 'axis' });
  for (let i = 0; i <= 5; i++) {
    const t = t0 + ((t1 - t0) * i) / 5;
    axis.append(h('svg:line', { x1: x(t), x2: x(t), y1: top - 4, y2: height }),
      h('svg:text', { x: x(t), y: 12, 'text-anchor': i === 0 ? 'start' : i === 5 ? 'end' : 'middle' }, `+${duration((t - t0) / 1000) || '0 s'}`));
  }
  svg.append(axis);
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    if (row.events) {
      const g = h('svg:g', { class: 'step', 'data-kind': 'operator', 'data-status': 'completed' },
        h('svg:text', { x: 4, y: y + 12 }, row.label));
      for (const e of row.events) {
        const at = x(new Date(e.at).getTime());
        g.append(h('svg:rect', { class: 'operator', x: at - 2, y: y + 2, width: 4, height: rowHeight - 4, rx: 1, 'data-event': e.action },
          h('svg:title', {}, `${time(e.at)}\n${eventText(e)}`)));
      }
      svg.append(g);
      return;
    }
    const text = row.bars.length > 1 ? `${row.label} ×${row.bars.length}` : row.label;
    const max = 46 - row.depth * 2;
    const status = row.bars.some(b => b.status === 'failed') ? 'failed' : row.bars.some(b => b.status === 'running') ? 'running' : 'completed';
    const g = h('svg:g', { class: 'step', 'data-kind': row.kind, 'data-status': status },
      h('svg:text', { x: 4 + row.depth * 14, y: y + 12 }, h('svg:title', {}, text), text.length > max ? `${text.slice(0, max - 1)}…` : text));
    for (const step of row.bars) {
      const start = new Date(step.started).getTime();
      const end = step.ended ? new Date(step.ended).getTime() : now;
      const what = step.kind === 'lock-wait' || step.kind === 'lock-held' ? `${row.label} (${step.name})` : `${step.kind} ${step.name}`;
      const tip = `${what}\n${time(step.started)} → ${step.ended ? time(step.ended) : 'not ended'} (${duration((end - start) / 1000)})\n${step.status}${step.failure ? `: ${step.failure.message}` : ''}`;
      const classes = [step.kind, step.status === 'failed' ? 'failed' : '', step.status === 'running' ? 'running' : ''].join(' ').trim();
      g.append(h('svg:rect', { class: classes, x: x(start), y: y + 3, width: Math.max(2, x(end) - x(start)), height: rowHeight - 6, rx: 2 }, h('svg:title', {}, tip)));
    }
    svg.append(g);
  });
  append(section, [
    h('div', { class: 'scroll' }, svg),
    h('div', { class: 'legend' },
      [['activity', 'activity'], ['sub-run', 'sub-run'], ['timer', 'timer (polling, back-off)'], ['lock-wait', 'waiting for a model lock'],
        ['lock-held', 'holding a model lock'], ['operator', 'operator action (audit)'], ['failed', 'failed']].map(([cls, text]) => h('span', {}, h('i', { class: cls }), text)),
      h('span', {}, `times as the orchestration history recorded them (a rewound run's history holds its latest attempt); consecutive steps of one kind share a row`)),
    eventList]);
  return section;
}

// ---- datasets, totals, details

const countOrder = ['read', 'rejected', 'unchanged', 'staged', 'uploadedParts', 'uploadedBytes', 'accepted', 'failed', 'ignored'];
const byCountOrder = (a, b) => {
  const ia = countOrder.indexOf(a) < 0 ? 100 : countOrder.indexOf(a);
  const ib = countOrder.indexOf(b) < 0 ? 100 : countOrder.indexOf(b);
  return ia - ib || a.localeCompare(b);
};

function datasetsSection(audit, run, connection) {
  const datasets = audit.datasets || [];
  const section = h('section', { class: 'card', id: 'datasets' }, h('h3', {}, 'Datasets'));
  if (!datasets.length && (audit.run.flow === 'budgets' || run.flow === 'budgets')) return null; // a budgets run records entries, not datasets
  if (!datasets.length) return append(section, [h('p', { class: 'muted' }, 'No dataset rows recorded (yet).')]);
  const counts = [...new Set(datasets.flatMap(d => Object.keys(d.counts || {})))].sort(byCountOrder);
  const canReplay = !state.readOnly;
  append(section, [table(
    ['Dataset', 'Status', ...counts.map(c => ({ label: c, num: true })), ...(canReplay ? ['Actions'] : [])],
    datasets.map(d => h('tr', { 'data-dataset': d.dataset },
      cell(d.dataset, 'mono'),
      cell(pill(d.status, /fail/i.test(d.status) ? 'Failed' : 'Completed')),
      counts.map(c => num(d.counts?.[c])),
      canReplay ? cell(actionButton('Replay dataset…', 'replay-dataset', () => runAction({
        title: `Replay ${d.dataset} of ${run.instanceId}?`,
        text: `A new run loads the ${d.dataset} dataset again, as this run staged it.`,
        confirm: 'Replay dataset',
        act: ({ reason }) => api(`runs/${enc(run.instanceId)}/datasets/${enc(d.dataset)}/replay`, { method: 'POST', body: { reason } }),
        success: result => `Replay of ${d.dataset} started as ${result?.id || 'a new run'}.`,
      }, () => route()), 'small')) : null))),
  h('p', { class: 'muted' }, 'Counts as the run recorded them for each dataset.')]);
  return section;
}

function parseJson(text) {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try { return JSON.parse(t); } catch { return undefined; }
}

const isPeriodTotals = value => Array.isArray(value) && value.length > 0 && value.every(v => v && typeof v === 'object' && typeof v.period === 'string');
const numericOrder = ['rows', 'debit', 'credit', 'amount', 'count'];
const byNumericOrder = (a, b) => (numericOrder.indexOf(a) < 0 ? 99 : numericOrder.indexOf(a)) - (numericOrder.indexOf(b) < 0 ? 99 : numericOrder.indexOf(b));
const isReconciliation = value => value && typeof value === 'object' && !Array.isArray(value) && typeof value.status === 'string' && 'periods' in value;

/** The numeric fields of per-period figures that are not zero in every period (GL has debit and credit, AP amount and count). */
function fieldsOf(items, keepRows) {
  const keys = new Set(items.flatMap(i => Object.keys(i).filter(k => typeof i[k] === 'number' && (i[k] !== 0 || (keepRows && k === 'rows')))));
  return [...keys].sort(byNumericOrder);
}

/**
 * Per dataset and period, side by side: Sage's control totals as read from Sage (SageTotals), and the reconciliation
 * the run recorded: the totals of the cells it sent and the totals of the same cells read back from Anaplan by the
 * read-back export, with the run's own verdict per period. Only the "read back − sent" column is computed here.
 */
function totalsSection(audit) {
  const section = h('section', { class: 'card', id: 'totals' }, h('h3', {}, 'Control totals and reconciliation per period'));
  let any = false;
  for (const d of audit.datasets || []) {
    const details = d.details || {};
    const sage = parseJson(details.SageTotals || '');
    const rec = parseJson(details.Reconciliation || '');
    const others = Object.entries(details)
      .filter(([name]) => name !== 'SageTotals' && name !== 'Reconciliation')
      .map(([name, text]) => [name, parseJson(text)])
      .filter(([, value]) => isPeriodTotals(value));
    const recPeriods = isReconciliation(rec) ? rec.periods || [] : [];
    const groups = [];
    if (isPeriodTotals(sage)) groups.push({ name: 'SageTotals', title: 'Sage control totals (read from Sage)', items: sage, fields: fieldsOf(sage, true) });
    for (const [name, items] of others) groups.push({ name, title: name, items, fields: fieldsOf(items, true) });
    if (recPeriods.length) {
      const sent = recPeriods.map(p => ({ ...p.sage, period: p.period }));
      const back = recPeriods.map(p => ({ ...p.anaplan, period: p.period }));
      const fields = fieldsOf([...sent, ...back], false).filter(k => k !== 'rows');
      groups.push({ name: 'sent', title: 'Cells reconciled, as sent', items: sent, fields: ['rows', ...fields], labels: { rows: 'cells' } });
      groups.push({ name: 'read-back', title: `Anaplan, read back (${rec.export || 'export'})`, items: back, fields });
    }
    if (!groups.length && !isReconciliation(rec)) continue;
    any = true;
    append(section, [h('h4', { class: 'mono' }, d.dataset)]);
    if (isReconciliation(rec)) {
      const verdict = rec.status === 'Reconciled' ? 'Completed' : rec.status === 'NotReconciled' ? 'warn' : 'Failed';
      append(section, [h('p', { class: 'reconciliation', id: `reconciliation-${d.dataset}` }, 'Reconciliation: ', pill(rec.status, verdict),
        rec.reason ? ` ${rec.reason}` : ` ${number(rec.cellsCompared)} cells compared, ${number(rec.differences)} different`
          + `${rec.export ? ` (read-back export ${rec.export})` : ''}${rec.differences ? '; each difference is listed in the records below' : ''}.`)]);
    }
    if (!groups.length) continue;
    const readBack = groups.find(g => g.name === 'read-back');
    const sentGroup = groups.find(g => g.name === 'sent');
    const diffFields = readBack ? readBack.fields : [];
    const periods = [...new Set(groups.flatMap(g => g.items.map(i => i.period)))].sort();
    const head = h('thead', {},
      h('tr', { class: 'group' }, h('th', {}, ''), groups.map(g => h('th', { colspan: g.fields.length, scope: 'colgroup' }, g.title)),
        readBack ? h('th', { colspan: diffFields.length, scope: 'colgroup' }, 'read back − sent (computed here)') : null,
        readBack ? h('th', { scope: 'colgroup' }, 'run says') : null),
      h('tr', {}, h('th', { scope: 'col' }, 'Period'),
        groups.flatMap(g => g.fields.map(k => h('th', { class: 'num', scope: 'col' }, g.labels?.[k] ?? k))),
        diffFields.map(k => h('th', { class: 'num', scope: 'col' }, k)),
        readBack ? h('th', { scope: 'col' }, 'match') : null));
    const rows = periods.map(period => {
      const item = g => g.items.find(i => i.period === period);
      const recPeriod = recPeriods.find(p => p.period === period);
      return h('tr', { 'data-period': period },
        cell(period, 'mono'),
        groups.flatMap(g => g.fields.map(k => {
          const value = item(g)?.[k];
          return cell(value === undefined ? '' : k === 'rows' || k === 'count' ? number(value) : money(value), 'num');
        })),
        diffFields.map(k => {
          const a = item(readBack)?.[k];
          const b = item(sentGroup)?.[k];
          const diff = typeof a === 'number' && typeof b === 'number' ? Math.round((a - b) * 100) / 100 : null;
          return cell(diff === null ? '' : money(diff), `num diff${diff ? ' nonzero' : ''}`);
        }),
        readBack ? cell(recPeriod ? (recPeriod.matches ? pill('matches', 'Completed') : pill('differs', 'Failed')) : '') : null);
    });
    append(section, [table([], rows, { head, id: `totals-${d.dataset}` })]);
  }
  if (!any) return null;
  append(section, [h('p', { class: 'muted' }, 'Figures as the run recorded them (Sage\'s as read from Sage, Anaplan\'s as its read-back export showed them); only the "read back − sent" column is computed on this page.')]);
  return section;
}

/** A JSON value shown as tables (objects as fields, arrays of objects as rows), whatever its shape. */
function renderValue(value, depth = 0) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return typeof value === 'number' ? number(value) : String(value);
  if (depth > 3) return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (!value.length) return '(none)';
    if (value.every(v => v && typeof v === 'object' && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap(Object.keys))];
      return table(keys, value.map(v => h('tr', {}, keys.map(k => cell(renderValue(v[k], depth + 1), typeof v[k] === 'number' ? 'num' : 'wrap')))));
    }
    return value.map(v => renderValue(v, depth + 1)).join(', ');
  }
  return table(['field', 'value'], Object.entries(value).map(([k, v]) => h('tr', {}, cell(k), cell(renderValue(v, depth + 1), typeof v === 'number' ? 'num' : 'wrap'))));
}

/** Every other field the run recorded for a dataset (task ids, hashes, messages, reconciliation results), as recorded. */
function detailsSection(audit) {
  const rows = [];
  for (const d of audit.datasets || []) {
    for (const [name, text] of Object.entries(d.details || {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (!text || !text.trim() || text.trim() === '[]') continue;
      const value = parseJson(text);
      if (isPeriodTotals(value) || name === 'Reconciliation') continue; // shown with the control totals
      rows.push(h('tr', { 'data-dataset': d.dataset, 'data-field': name }, cell(d.dataset, 'mono'), cell(name), cell(value === undefined ? text : renderValue(value), 'wrap')));
    }
  }
  if (!rows.length) return null;
  return h('section', { class: 'card', id: 'details' },
    h('h3', {}, 'Dataset details (reconciliation and other fields the run recorded)'),
    table(['Dataset', 'Field', 'Value'], rows));
}

// ---- budget journal entries

function journalSection(audit) {
  const section = h('section', { class: 'card', id: 'journal' }, h('h3', {}, 'Journal entries'));
  const summary = parseJson(audit.run.summary);
  if (!summary?.plan) {
    return append(section, [h('p', { class: 'muted' }, 'The run has no summary yet: its proposed and posted entries show once it completes.')]);
  }
  // Every entry with its result comes from the run's results blob (audit.journal); a summary written before results
  // went to a blob carries its plan's entries and results itself.
  const rows = audit.journal
    ? audit.journal.map(r => ({ entry: r, result: r.status === 'proposed' ? null : r }))
    : (() => {
      const results = new Map((summary.results || []).map(x => [x.externalId, x]));
      return (summary.plan.entries || []).map(e => ({ entry: e, result: results.get(e.externalId) }));
    })();
  const posted = rows.filter(x => x.result && (x.result.status === 'posted' || x.result.status === 'already posted')).length;
  append(section, [
    h('p', {}, `${rows.length} entr${rows.length === 1 ? 'y' : 'ies'} proposed (version ${summary.version}), ${posted} posted in Sage`,
      summary.dryRun ? ' (a dry run: nothing was posted)' : '', `; ${number(summary.plan.linesRead)} lines read, ${number(summary.plan.linesRejected)} rejected.`),
    table(
      ['Period', 'Group', 'External id', { label: 'Lines', num: true }, { label: 'Debit', num: true }, { label: 'Credit', num: true }, 'Status', 'Sage entry', 'Batch', 'Message'],
      rows.map(({ entry: e, result }) => {
        return h('tr', { 'data-entry': e.externalId },
          cell(e.period, 'mono'), cell(e.groupKey, 'mono'), cell(e.externalId, 'mono'), num(e.lines), cell(money(e.debit), 'num'), cell(money(e.credit), 'num'),
          cell(pill(result?.status || 'proposed', result ? (/posted/.test(result.status) ? 'Completed' : /review|rejected/.test(result.status) ? 'warn' : 'Failed') : 'Pending')),
          cell(result?.entryNo || '', 'mono'), cell(result?.batchNo || '', 'mono'), cell(result?.message || '', 'wrap'));
      }),
      { id: 'journal-entries' })]);
  return section;
}

// ---- rejected and failed records

function recordsSection(audit, connection, runId) {
  const records = audit.records || [];
  const section = h('section', { class: 'card', id: 'records' }, h('h3', {}, 'Rejected and failed records, and reconciliation differences'));
  if (!records.length) return append(section, [h('p', { class: 'muted' }, 'No rejected or failed record.')]);
  const kind = h('select', { 'aria-label': 'Kind' }, [['', 'all kinds'], ['rejected', 'rejected'], ['failed', 'failed'], ['difference', 'difference']].map(([v, t]) => h('option', { value: v }, t)));
  const search = h('input', { type: 'search', placeholder: 'Search record, field, reason, dataset', 'aria-label': 'Search records' });
  const shown = h('span', { class: 'muted', id: 'records-count' });
  const body = h('tbody', {});
  const pageSize = 50;
  let limit = pageSize;
  const more = h('button', { type: 'button', class: 'small', onclick: () => { limit += 200; draw(); } }, 'Show more');
  const draw = () => {
    const text = search.value.trim().toLowerCase();
    const hits = records.filter(x => (!kind.value || x.kind === kind.value)
      && (!text || [x.dataset, x.record, x.field, x.reason].some(v => (v || '').toLowerCase().includes(text))));
    body.replaceChildren(...hits.slice(0, limit).map(x => h('tr', { 'data-kind': x.kind },
      cell(pill(x.kind, x.kind === 'failed' ? 'Failed' : 'warn')), cell(x.dataset, 'mono'), num(x.line), cell(x.record, 'mono wrap'), cell(x.field || ''), cell(x.reason, 'wrap'))));
    shown.textContent = `${hits.length} of ${records.length} match${hits.length > limit ? `; the first ${limit} shown` : ''}`
      + `${audit.recordsTruncatedAt ? ` (the first ${audit.recordsTruncatedAt} records of the run are loaded here; the CSV has them all)` : ''}`;
    more.hidden = hits.length <= limit;
  };
  kind.addEventListener('change', () => { limit = pageSize; draw(); });
  search.addEventListener('input', () => { limit = pageSize; draw(); });
  const download = h('button', {
    type: 'button', 'data-action': 'download-csv', onclick: async () => {
      const query = new URLSearchParams();
      if (kind.value) query.set('kind', kind.value);
      if (search.value.trim()) query.set('q', search.value.trim());
      try {
        const response = await api(`connections/${enc(connection)}/runs/${enc(runId)}/records.csv${query.size ? `?${query}` : ''}`, { raw: true });
        const blob = await response.blob();
        const link = h('a', { href: URL.createObjectURL(blob), download: `${runId.replace(/[:|]/g, '_')}-records.csv` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      } catch (e) {
        notice(describe(e), 'bad');
      }
    },
  }, 'Download CSV');
  const head = h('thead', {}, h('tr', {}, ['Kind', 'Dataset', { label: 'Line', num: true }, 'Record', 'Field', 'Reason'].map(c => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label ?? c))));
  append(section, [
    h('div', { class: 'records-controls' }, kind, search, download, shown),
    h('div', { class: 'scroll' }, h('table', { class: 'data', id: 'records-table' }, head, body)),
    h('div', { class: 'actions' }, more)]);
  draw();
  return section;
}

// ---------------------------------------------------------------- model locks

async function locksPage() {
  const draw = async () => {
    const locks = await api('locks');
    const rows = locks.map(({ lock, connections }) => {
      const holder = lock.holder?.instanceId || lock.lockedBy;
      const [workspace, model] = lock.key.split(':');
      return h('tr', { 'data-lock': lock.key },
        cell([h('div', { class: 'mono small', title: 'workspace' }, workspace), h('div', { class: 'mono small', title: 'model' }, model)]),
        cell(connections.join(', ')),
        cell(holder ? [runLink(holder), ' ', pill(lock.holderStatus || 'gone', lock.holderIsOrphaned ? 'Failed' : lock.holderStatus)] : h('span', { class: 'muted' }, 'free')),
        cell(lock.holder?.purpose || ''),
        cell(lock.holder ? `${time(lock.holder.since)} (${duration(spanSeconds(lock.holder.since, new Date()))})` : '', 'mono'),
        cell(lock.waiting.length
          ? h('ul', { class: 'waiting' }, lock.waiting.map(w => h('li', {}, runLink(w.instanceId), h('br'),
            `${w.purpose}, waiting since ${time(w.since)} (${duration(spanSeconds(w.since, new Date()))})`)))
          : h('span', { class: 'muted' }, 'nobody')),
        cell(lock.lastReleased ? [runLink(lock.lastReleased.instanceId), ` at ${time(lock.lastReleased.releasedAt)}`] : ''),
        num(lock.acquisitions));
    });
    const orphaned = locks.filter(l => l.lock.holderIsOrphaned);
    render(
      h('h2', {}, 'Model locks'),
      h('section', { class: 'card' },
        h('p', { class: 'muted' }, 'Anaplan actions lock their model: one run at a time per model. Refreshed every 5 seconds.'),
        orphaned.length ? h('p', { class: 'error' }, `${orphaned.length} lock(s) are held by runs that no longer run.`) : null,
        !state.readOnly && orphaned.length ? h('div', { class: 'actions' }, actionButton('Release orphaned locks…', 'release-orphaned', () => runAction({
          title: 'Release the orphaned model locks?',
          text: 'Locks held by runs that no longer run (terminated inside their critical section) are released.',
          confirm: 'Release',
          act: () => api('locks-release-orphaned', { method: 'POST', body: { dryRun: false } }),
          success: result => `Released ${result?.released ?? 0} orphaned lock(s).`,
        }, draw), 'danger')) : null,
        table(['Workspace / model', 'Connections', 'Held by', 'For', 'Since (UTC)', 'Waiting', 'Last released', { label: 'Acquisitions', num: true }], rows, { id: 'locks-table' })));
  };
  await draw();
  every(5, draw);
}

// ---------------------------------------------------------------- trends

async function trendsPage(r) {
  const days = Number(r.params.get('days') || 30);
  const select = h('select', { 'aria-label': 'Days', onchange: e => { location.hash = `#/trends?days=${e.target.value}`; } },
    [7, 30, 90].map(d => h('option', { value: d, selected: d === days }, `last ${d} days`)));
  const reports = await Promise.all(state.connections.map(async c => {
    try { return { connection: c, trend: await api(`connections/${enc(c.id)}/trends?days=${days}`) }; } catch (e) { return { connection: c, error: describe(e) }; }
  }));
  render(
    h('h2', {}, 'Trends'),
    h('section', { class: 'card' }, h('div', { class: 'filters' }, h('label', {}, 'Period', select)),
      h('p', { class: 'muted' }, 'Rows read per run (the sum of the counts its datasets recorded; a budgets run: the export lines it read) and each run\'s duration (finished − started, computed from the audit).')),
    reports.length ? reports.map(trendCard) : h('section', { class: 'card' }, h('p', { class: 'muted' }, 'No connection is configured.')));
}

function trendCard({ connection, trend, error }) {
  const section = h('section', { class: 'card trend', 'data-connection': connection.id }, h('h3', {}, connection.id));
  if (error) return append(section, [h('p', { class: 'error' }, error)]);
  const runs = trend.runs;
  if (!runs.length) return append(section, [h('p', { class: 'muted' }, 'No run in this period.')]);
  const failed = runs.filter(x => statusClass(x.status) === 'bad');
  const durations = runs.map(x => x.durationSeconds).filter(x => typeof x === 'number').sort((a, b) => a - b);
  const median = durations.length ? durations[Math.floor(durations.length / 2)] : null;
  append(section, [
    h('p', {}, `${runs.length} run(s), ${failed.length} failed or with failures; median duration ${duration(median) || '—'}.`),
    h('div', { class: 'scroll' }, chart(trend)),
    h('div', { class: 'legend' }, h('span', {}, h('i', { class: 'rows' }), 'rows read'), h('span', {}, h('i', { class: 'duration' }), 'duration'),
      h('span', {}, h('i', { class: 'failed' }), 'failed or with failures')),
    h('details', {}, h('summary', {}, 'The runs'), table(
      ['Started (UTC)', 'Run', 'Flow', 'Status', { label: 'Duration', num: true }, { label: 'Read', num: true }, { label: 'Accepted', num: true }, { label: 'Rejected', num: true }, { label: 'Failed', num: true }],
      [...runs].reverse().map(x => h('tr', {}, cell(time(x.startedAt), 'mono'), cell(runLink(x.runId)), cell(x.flow), cell(pill(x.status)), cell(duration(x.durationSeconds), 'num'),
        num(x.rowsRead), num(x.rowsAccepted), num(x.rowsRejected), num(x.rowsFailed)))))]);
  return section;
}

/** A round tick step (1, 2 or 5 times a power of ten, at least `least`) for five ticks up to at least `value`. */
function tickStep(value, least = 0) {
  const raw = value / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return Math.max(least, [1, 2, 5, 10].map(m => m * power).find(m => m >= raw));
}

/** Rows read (bars, left axis) and duration (dots, right axis) per run, by start time (UTC). */
function chart(trend) {
  const width = 1000;
  const height = 230;
  const left = 60;
  const right = 60;
  const top = 14;
  const bottom = 30;
  const runs = trend.runs;
  // The axis spans the period, or only the time since the first run (with a margin) when the runs are that recent.
  const t1 = new Date(trend.to).getTime();
  const first = Math.min(...runs.map(x => new Date(x.startedAt).getTime()));
  const t0 = Math.max(new Date(trend.from).getTime(), first - Math.max(60000, (t1 - first) * 0.05));
  const rowStep = tickStep(Math.max(1, ...runs.map(x => x.rowsRead || 0)), 1);
  const durationStep = tickStep(Math.max(1, ...runs.map(x => x.durationSeconds || 0)));
  const maxRows = rowStep * 5;
  const maxDuration = durationStep * 5;
  const x = t => left + ((t - t0) / Math.max(1, t1 - t0)) * (width - left - right);
  const yRows = v => height - bottom - (v / maxRows) * (height - top - bottom);
  const yDuration = v => height - bottom - (v / maxDuration) * (height - top - bottom);
  const svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Rows and duration of ${runs.length} runs` });
  const grid = h('svg:g', { class: 'grid' });
  for (let i = 0; i <= 5; i++) {
    const y = top + ((height - top - bottom) * i) / 5;
    grid.append(h('svg:line', { x1: left, x2: width - right, y1: y, y2: y }));
    grid.append(h('svg:text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'muted' }, number(rowStep * (5 - i))));
    grid.append(h('svg:text', { x: width - right + 6, y: y + 4, class: 'muted' }, duration(durationStep * (5 - i))));
  }
  const axis = h('svg:g', { class: 'axis' });
  for (let i = 0; i <= 6; i++) {
    const t = t0 + ((t1 - t0) * i) / 6;
    const iso = new Date(t).toISOString();
    const span = t1 - t0;
    const text = span < 3600000 ? iso.slice(11, 19) : span < 2 * 86400000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
    axis.append(h('svg:text', { x: x(t), y: height - 10, 'text-anchor': i === 0 ? 'start' : i === 6 ? 'end' : 'middle' }, text));
  }
  svg.append(grid, axis);
  const bar = Math.max(3, Math.min(14, (width - left - right) / Math.max(1, runs.length) / 2));
  const points = [];
  const groups = [];
  for (const run of runs) {
    const t = new Date(run.startedAt).getTime();
    const bad = statusClass(run.status) === 'bad';
    const rows = typeof run.rowsRead === 'number' ? `rows read ${number(run.rowsRead)}, accepted ${number(run.rowsAccepted)}, rejected ${number(run.rowsRejected)}, failed ${number(run.rowsFailed)}` : 'no rows recorded';
    const tip = `${run.runId}\n${time(run.startedAt)} · ${run.status}\n${rows}\nduration ${duration(run.durationSeconds) || 'unknown'}`;
    const g = h('svg:g', { class: `run${bad ? ' bad' : ''}`, 'data-run': run.runId }, h('svg:title', {}, tip));
    g.append(typeof run.rowsRead === 'number'
      ? h('svg:rect', { class: `rows${bad ? ' bad' : ''}`, x: x(t) - bar / 2, y: yRows(run.rowsRead), width: bar, height: Math.max(1, height - bottom - yRows(run.rowsRead)) })
      : h('svg:rect', { class: `marker${bad ? ' bad' : ''}`, x: x(t) - bar / 2, y: height - bottom - 4, width: bar, height: 4 }));
    if (typeof run.durationSeconds === 'number') {
      points.push([x(t), yDuration(run.durationSeconds)]);
      g.append(h('svg:circle', { class: `duration${bad ? ' bad' : ''}`, cx: x(t), cy: yDuration(run.durationSeconds), r: 3.5 }));
    }
    groups.push(g);
  }
  if (points.length > 1) svg.append(h('svg:polyline', { class: 'duration', points: points.map(([px, py]) => `${px},${py}`).join(' ') }));
  svg.append(...groups);
  svg.append(h('svg:text', { x: 4, y: 10, class: 'muted' }, 'rows'), h('svg:text', { x: width - 4, y: 10, 'text-anchor': 'end', class: 'muted' }, 'duration'));
  return svg;
}

// ---------------------------------------------------------------- start

document.getElementById('forget-key').addEventListener('click', () => {
  sessionStorage.removeItem(keyStore);
  state.key = null;
  location.reload();
});
window.addEventListener('hashchange', () => { if (location.hash !== state.route) route(); });
start().catch(e => {
  if (!(e instanceof ApiError && e.status === 401)) render(h('section', { class: 'card' }, h('p', { class: 'error', role: 'alert' }, describe(e))));
  else render(h('section', { class: 'card' }, h('p', { class: 'muted' }, 'Waiting for a function key.')));
});
