// The explorer page's script: asks the server (src/ui/server.ts) for the state at the end of a
// path and draws it. The path lives in the URL (#path=0,3,1), so a reload, the browser's own
// back button and a shared link all show the same state. `trail` is a longer run the current
// path is a prefix of (a loaded trace, a search result, or where "back" came from): "forward"
// follows it.
'use strict';

const $ = (id) => document.getElementById(id);
const INLINE_MAX = 72;

let model;
let view;
let trail = [];
/** Labels and fault flags of the trail's steps (fetched when the trail grows past the path). */
let trailSteps = [];
let requestSeq = 0;
/** Tree nodes opened or closed by hand: path -> open. */
const toggled = new Map();

async function api(method, url, body) {
  const r = await fetch(url, method === 'GET' ? {} : { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  const data = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(data.error || `${r.status} ${r.statusText}`);
  return data;
}

function pathFromHash() {
  const m = /^#path=([0-9,]+)$/.exec(location.hash);
  return m === null ? undefined : m[1].split(',').map(Number);
}

const isPrefix = (p, q) => p.length <= q.length && p.every((x, i) => x === q[i]);
const same = (p, q) => p.length === q.length && isPrefix(p, q);

/** Moves to `path`: through the URL, so the browser's history has it. */
function navigate(path) {
  const hash = `#path=${path.join(',')}`;
  if (location.hash === hash) load(path);
  else location.hash = hash;
}

async function load(path) {
  const seq = ++requestSeq;
  document.body.dataset.state = 'loading';
  try {
    const v = await api('GET', `/api/state?path=${path.join(',')}`);
    if (seq !== requestSeq) return;
    if (!isPrefix(v.path, trail)) {
      trail = v.path.slice();
      trailSteps = v.steps;
    }
    view = v;
    render();
    document.body.dataset.path = v.path.join(',');
    document.body.dataset.state = 'ready';
  } catch (e) {
    if (seq !== requestSeq) return;
    say(`cannot show path ${path.join(',')}: ${e.message}`, 'error');
    document.body.dataset.state = 'error';
  }
}

/** Makes `path` the run "forward" follows, with its steps' labels. */
async function setTrail(path) {
  trail = path.slice();
  trailSteps = (await api('GET', `/api/state?path=${path.join(',')}`)).steps;
}

function say(text, kind = '') {
  const m = $('message');
  m.textContent = text;
  m.className = kind;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== undefined && c !== null) e.append(c);
  return e;
}

// ---- drawing -------------------------------------------------------------------------------

function render() {
  const depth = view.path.length - 1;
  $('position').textContent = `step ${depth}${trail.length > view.path.length ? ` of ${trail.length - 1}` : ''} · path ${view.path.join(',')}`;
  $('back').disabled = depth === 0;
  $('restart').disabled = depth === 0;
  $('forward').disabled = trail.length <= view.path.length;
  renderInvariants();
  renderWitnesses();
  renderActions();
  renderSteps();
  renderChanges();
  renderState();
  renderChart();
}

function renderInvariants() {
  const failing = view.invariants.filter((i) => !i.ok);
  $('invariants').dataset.status = failing.length > 0 ? 'fail' : 'ok';
  $('invariant-list').replaceChildren(...view.invariants.map((i) =>
    el('li', { class: i.ok ? 'ok' : 'fail', dataset: { name: i.name } },
      el('span', { class: 'mark' }, i.ok ? '✓' : '✗'), i.name,
      i.ok ? undefined : el('div', { class: 'why' }, i.message))));
  const flags = [];
  if (view.deadlock) flags.push(el('span', { class: 'flag deadlock', title: 'nothing is enabled and the model does not call this state final' }, 'deadlock'));
  else if (view.stuck) flags.push(el('span', { class: 'flag stuck', title: 'the goal does not hold and only faults are enabled' }, 'stuck'));
  if (view.final) flags.push(el('span', { class: 'flag final', title: 'the model calls this state final: a run may end here' }, 'final: a run may end here'));
  $('state-flags').replaceChildren(...flags);
}

function renderWitnesses() {
  const items = view.witnesses.map((w) => {
    const cls = w.holds ? 'holds' : w.firstAt !== undefined ? 'held' : 'never';
    const when = w.holds ? 'holds here' : w.firstAt !== undefined ? `held at step ${w.firstAt}` : 'not on this run';
    return el('li', { class: cls, dataset: { name: w.name } }, el('span', { class: 'mark' }, w.holds ? '●' : w.firstAt !== undefined ? '◐' : '○'), `${w.name} `, el('span', { class: 'when' }, when));
  });
  $('witness-list').replaceChildren(...(items.length > 0 ? items : [el('li', { class: 'never' }, '(the model declares none)')]));
}

function renderActions() {
  const next = trail.length > view.path.length ? trail[view.path.length] : undefined;
  const buttons = view.actions.map((a) => {
    const b = el('button', {
      class: `action${a.fault ? ' fault' : ''}${a.index === next ? ' next' : ''}`,
      dataset: { index: String(a.index), label: a.label },
      title: a.fault ? `a fault: ${a.label}` : a.label,
      onclick: () => navigate([...view.path, a.index]),
    });
    if (a.fault) b.append(el('span', { class: 'tag' }, '⚡ fault'));
    b.append(a.label);
    if (a.index === next) b.append(el('span', { class: 'hint' }, 'next on the run'));
    return b;
  });
  $('action-count').textContent = `(${view.actions.length}${view.actions.some((a) => a.fault) ? `, ${view.actions.filter((a) => a.fault).length} faults` : ''})`;
  $('actions').replaceChildren(...(buttons.length > 0 ? buttons : [el('p', { class: 'none' }, 'nothing is enabled')]));
}

function renderSteps() {
  const depth = view.path.length - 1;
  const steps = trail.length > view.path.length ? trailSteps : view.steps;
  const item = (i, label, fault) => el('li', {
    class: `${i === depth ? 'current' : i > depth ? 'future' : ''}${fault ? ' fault' : ''}`,
    dataset: { step: String(i) },
    title: 'go to this state',
    onclick: () => navigate(trail.slice(0, i + 1)),
  }, label);
  $('steps').replaceChildren(item(0, 'initial state', false), ...steps.map((s, i) => item(i + 1, s.label, s.fault)));
  $('steps').querySelector('.current')?.scrollIntoView({ block: 'nearest' });
}

function renderChanges() {
  const last = view.steps[view.steps.length - 1];
  $('last-step').textContent = last === undefined ? '' : `(${last.label})`;
  if (last !== undefined && view.changes.length === 0) {
    $('changes').replaceChildren(el('span', { class: 'none' }, '(nothing: the state is the one before the step)'));
    return;
  }
  $('changes').replaceChildren(...view.changes.flatMap((line) => {
    const colon = line.indexOf(': ');
    const spans = [el('span', { class: 'path' }, line.slice(0, colon + 2))];
    for (const part of line.slice(colon + 2).split(/ (?=[+-]\{|[+-]\[|[+-]\w)/)) {
      const cls = part.startsWith('+') ? 'add' : part.startsWith('-') ? 'del' : '';
      spans.push(el('span', { class: cls }, part), ' ');
    }
    return [...spans, '\n'];
  }));
}

function renderChart() {
  const frame = $('chart');
  $('chart-panel').hidden = view.chartHtml === undefined;
  $('transcript-panel').hidden = view.chartHtml !== undefined;
  $('transcript').textContent = view.transcript;
  if (view.chartHtml === undefined) return;
  $('chart-text').textContent = view.chart;
  frame.onload = () => {
    const doc = frame.contentDocument;
    if (doc !== null) frame.style.height = `${doc.documentElement.scrollHeight + 8}px`;
  };
  frame.srcdoc = view.chartHtml;
}

// ---- the state as a tree -------------------------------------------------------------------

/** Compact text of a value, as the terminal prints it (src/render/text.ts show). */
function show(v) {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${k}:${show(v[k])}`).join(',')}}`;
  return String(v);
}

function leaf(v) {
  if (typeof v === 'string') return el('span', { class: 'str' }, v);
  if (typeof v === 'number') return el('span', { class: 'num' }, String(v));
  if (v !== null && typeof v === 'object') return el('span', {}, show(v));
  return el('span', { class: 'lit' }, String(v));
}

function renderState() {
  const changed = new Set(view.changed);
  const added = addedElements();
  const contains = (p) => view.changed.some((c) => c.startsWith(`${p}.`) || c.startsWith(`${p}[`));
  const childPath = (p, k, isArray) => (isArray ? `${p}[${k}]` : p === '' ? k : `${p}.${k}`);
  const laneName = (p, k) => (p === 'nodes' && model.nodeIds && view.state.nodes.length === model.nodeIds.length ? ` ${model.nodeIds[k]}` : '');

  // A record is a list of fields, one per row, unless it is an element of a collection (a
  // message in the network) and short; a short array is one row. A row that holds a change is
  // highlighted whole, so a record with a change inside is never folded into one row.
  const node = (key, value, p, depth, inCollection) => {
    const isChanged = changed.has(p) || (typeof value !== 'object' && contains(p));
    const keyEl = el('span', { class: 'key' }, key);
    const composite = value !== null && typeof value === 'object';
    const isRecord = composite && !Array.isArray(value);
    const inline = !composite || (show(value).length <= INLINE_MAX && (!isRecord || (inCollection && !contains(p))));
    if (inline) {
      const inlineChanged = isChanged || (composite && contains(p));
      return el('div', { class: `row${inlineChanged ? ' changed' : ''}`, dataset: { path: p } }, keyEl, ': ', leaf(value));
    }
    const isArray = Array.isArray(value);
    const keys = isArray ? value.map((_, i) => i) : Object.keys(value).sort();
    const fresh = isArray ? newElements(value, added.get(p)) : new Set();
    const open = toggled.has(p) ? toggled.get(p) : depth < 3 || contains(p) || changed.has(p);
    const d = el('details', { class: `${isChanged && fresh.size === 0 ? 'changed' : ''}${contains(p) || fresh.size > 0 ? ' contains' : ''}`, dataset: { path: p } });
    d.open = open;
    d.addEventListener('toggle', () => toggled.set(p, d.open));
    const size = isArray ? `[${value.length}]` : `{${keys.length}}`;
    d.append(el('summary', {}, keyEl, ' ', el('span', { class: 'hint' }, size)));
    for (const k of keys) {
      const child = node(`${isArray ? `[${k}]` : k}${laneName(p, k)}`, value[k], childPath(p, k, isArray), depth + 1, isArray);
      if (fresh.has(k)) child.classList.add('changed', 'added');
      d.append(child);
    }
    return d;
  };

  const s = view.state;
  const root = s !== null && typeof s === 'object'
    ? (Array.isArray(s) ? s.map((v, i) => node(`[${i}]`, v, `[${i}]`, 0, true)) : Object.keys(s).sort().map((k) => node(k, s[k], k, 0, false)))
    : [el('div', { class: `row${changed.has('state') ? ' changed' : ''}` }, leaf(s))];
  $('state').replaceChildren(...root);
}

/** The elements a step added to a collection, from its change line: "network: +{…} -{…}"
 * (src/render/text.ts writes a multiset's change as its added and removed elements). */
function addedElements() {
  const out = new Map();
  for (const line of view.changes) {
    const colon = line.indexOf(': ');
    const tokens = line.slice(colon + 2).split(/ (?=[+-][[{\w])/);
    if (!tokens.every((t) => /^[+-]/.test(t))) continue;
    out.set(line.slice(0, colon), tokens.filter((t) => t.startsWith('+')).map((t) => t.slice(1)));
  }
  return out;
}

/** Indices of the elements of `array` that are among `added` (counting copies); empty when
 * they cannot all be found, so that the whole collection is highlighted instead. */
function newElements(array, added) {
  if (added === undefined || added.length === 0) return new Set();
  const left = added.slice();
  const found = new Set();
  array.forEach((x, i) => {
    const at = left.indexOf(show(x));
    if (at >= 0) {
      left.splice(at, 1);
      found.add(i);
    }
  });
  return left.length === 0 ? found : new Set();
}

// ---- searches and traces -------------------------------------------------------------------

async function search(target, what) {
  const buttons = ['search-violation', 'search-witness', 'search-stuck'].map($);
  buttons.forEach((b) => { b.disabled = true; });
  say(`searching breadth-first from step ${view.path.length - 1} for ${what} (at most ${model.searchStatesMax.toLocaleString('en-US')} states)…`);
  document.body.dataset.search = 'running';
  try {
    const r = await api('POST', '/api/search', { path: view.path, target });
    if (r.found) {
      await setTrail(r.path);
      say(`found: ${r.message}`, 'found');
      navigate(r.path);
    } else {
      say(r.message, 'error');
    }
    document.body.dataset.search = r.found ? 'found' : 'not-found';
  } catch (e) {
    say(`search failed: ${e.message}`, 'error');
    document.body.dataset.search = 'error';
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    $('search-witness').disabled = model.witnesses.length === 0;
  }
}

async function loadTrace(text) {
  try {
    const t = await api('POST', '/api/trace', JSON.parse(text));
    await setTrail(t.path);
    showTraceInfo(t);
    say(`loaded the trace: ${t.path.length - 1} steps; step through it with forward ▶ (or →)`, 'found');
    navigate(t.path.slice(0, 1));
  } catch (e) {
    say(`cannot load the trace: ${e.message}`, 'error');
  }
}

function showTraceInfo(t) {
  const p = $('trace-info');
  p.hidden = false;
  p.textContent = `trace${t.file ? ` ${t.file}` : ''}: ${t.description} — ${t.reproduced ? 'reproduces' : 'does NOT reproduce'}: ${t.observed}`;
}

// ---- start ---------------------------------------------------------------------------------

function wire() {
  $('back').onclick = () => navigate(view.path.slice(0, -1));
  $('forward').onclick = () => navigate(trail.slice(0, view.path.length + 1));
  $('restart').onclick = () => navigate(view.path.slice(0, 1));
  $('search-violation').onclick = () => search({ kind: 'violation' }, 'the nearest violation');
  $('search-stuck').onclick = () => search({ kind: 'stuck' }, 'a stuck state');
  $('search-witness').onclick = () => {
    const name = $('witness-choice').value;
    search({ kind: 'witness', name }, `a state where "${name}" holds`);
  };
  $('trace-file').onchange = async (e) => {
    const file = e.target.files[0];
    if (file !== undefined) await loadTrace(await file.text());
  };
  $('trace-load').onclick = () => loadTrace($('trace-text').value);
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowLeft' && !$('back').disabled) $('back').click();
    if (e.key === 'ArrowRight' && !$('forward').disabled) $('forward').click();
  });
  window.addEventListener('hashchange', () => {
    const p = pathFromHash();
    if (p !== undefined && (view === undefined || !same(p, view.path))) load(p);
  });
}

async function start() {
  wire();
  try {
    model = await api('GET', '/api/model');
  } catch (e) {
    say(`cannot reach the explorer's server: ${e.message}`, 'error');
    document.body.dataset.state = 'error';
    return;
  }
  const params = Object.entries(model.params).map(([k, v]) => `${k}=${v}`).join(' ');
  $('model-name').textContent = `${model.name} (${model.variant})`;
  $('model-summary').textContent = `${model.variantDescription} · ${params || 'no params'}`;
  document.title = `faultline explore: ${model.name} (${model.variant})`;
  $('witness-choice').replaceChildren(...model.witnesses.map((w) => el('option', { value: w }, w)));
  $('search-witness').disabled = model.witnesses.length === 0;
  $('witness-choice').disabled = model.witnesses.length === 0;
  const fromUrl = pathFromHash();
  if (model.trace !== undefined) {
    showTraceInfo(model.trace);
    if (fromUrl === undefined || isPrefix(fromUrl, model.trace.path)) await setTrail(model.trace.path);
  }
  const first = fromUrl ?? (model.trace !== undefined ? model.trace.path.slice(0, 1) : [0]);
  history.replaceState(null, '', `#path=${first.join(',')}`);
  await load(first);
}

start();
