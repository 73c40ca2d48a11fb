// The router and live updates. Routes are hashes (#/nodes?search=a&page=2); a route's view is
// mounted once and re-rendered (load + render) on query changes and on every live update:
// server-sent `update` events from api/v1/stream, or polling every 5 s while the stream is down.
// URLs are relative, so the UI works behind a path prefix (the API server's service proxy).
import { h, replace } from './dom.js';
import { gpus, nodes, pods } from './lists.js';
import { gpuDetail, nodeDetail, overview, pending, podDetail } from './views.js';

const ROUTES = [
  [/^\/?$/, 'overview', overview],
  [/^\/nodes$/, 'nodes', nodes],
  [/^\/nodes\/([^/]+)$/, 'node', nodeDetail],
  [/^\/gpus$/, 'gpus', gpus],
  [/^\/gpus\/([^/]+)$/, 'gpu', gpuDetail],
  [/^\/pods$/, 'pods', pods],
  [/^\/pods\/([^/]+)\/([^/]+)$/, 'pod', podDetail],
  [/^\/pending$/, 'pending', pending],
];
const POLL_MS = 5000;

const main = document.getElementById('view');
const errorBox = document.getElementById('error');
let current = null; // { path, name, query, view }
let loadSeq = 0;

// With --webui-auth=token the API wants the viewer's own bearer token (what their kubectl uses);
// it is kept for this browser tab only (sessionStorage) and sent with every request.
const TOKEN_KEY = 'hami-webui-token';
const token = () => sessionStorage.getItem(TOKEN_KEY);

function askToken(message) {
  if (errorBox.querySelector('form.token')) return; // keep what is being typed
  const input = h('input', { type: 'password', class: 'search', placeholder: 'bearer token', 'aria-label': 'token' });
  const form = h('form', { class: 'token' }, `${message}. Sign in with your Kubernetes bearer token: `, input,
    h('button', { type: 'submit' }, 'use token'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    location.reload();
  });
  replace(errorBox, form);
  errorBox.hidden = false;
}

async function api(path) {
  const headers = { Accept: 'application/json' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const r = await fetch(path, { headers });
  if (r.status === 401) {
    const e = new Error('401 not signed in');
    e.unauthorized = true;
    throw e;
  }
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error || msg; } catch { /* not JSON */ }
    throw new Error(`${r.status} ${msg}`);
  }
  return r.json();
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = raw.split('?');
  return { path, query: new URLSearchParams(qs) };
}

// nav.set({key: value}): the current route with its query changed (empty values dropped).
const nav = {
  api,
  set(patch, replaceEntry = false) {
    const q = new URLSearchParams(current.query);
    for (const [k, v] of Object.entries(patch)) {
      if (v === '' || v === null || v === undefined) q.delete(k);
      else q.set(k, String(v));
    }
    const hash = `#${current.path}${q.toString() ? `?${q}` : ''}`;
    if (replaceEntry) {
      history.replaceState(null, '', hash);
      route();
    } else {
      location.hash = hash;
    }
  },
};

async function refresh() {
  if (!current) return;
  const seq = ++loadSeq;
  const r = current;
  try {
    const data = await r.view.load(r.query);
    if (seq !== loadSeq || r !== current) return;
    r.view.render(data, r.query);
    if (!errorBox.querySelector('form.token')) errorBox.hidden = true;
    delete main.dataset.error;
  } catch (e) {
    if (seq !== loadSeq || r !== current) return;
    if (e.unauthorized) askToken(token() ? 'The token was refused' : 'This UI requires a token');
    else replace(errorBox, `Could not load this view: ${e.message}`);
    errorBox.hidden = false;
    main.dataset.error = e.message;
  }
  main.dataset.route = r.hash; // what was rendered (tests wait on it)
  main.dataset.ready = '1';
  main.dataset.renders = String(Number(main.dataset.renders || 0) + 1);
}

function route() {
  const { path, query } = parseHash();
  if (current && current.path === path) {
    current.query = query;
    current.hash = location.hash;
    refresh();
    return;
  }
  const match = ROUTES.map(([re, name, make]) => [re.exec(path), name, make]).find(([m]) => m);
  main.dataset.ready = '0';
  for (const a of document.querySelectorAll('header nav a')) {
    a.classList.toggle('active', match && a.dataset.route === match[1].replace(/^(node|gpu|pod)$/, '$1s'));
  }
  if (!match) {
    current = null;
    replace(main, h('h2', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
    main.dataset.ready = '1';
    return;
  }
  const [m, name, make] = match;
  main.dataset.view = name;
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  current = { path, name, query, hash: location.hash, view: null };
  current.view = make(main, m.slice(1).map(decodeURIComponent), nav);
  refresh();
}

// Live updates: a burst of events makes one refresh at a time and at most one a second, the
// last one always done (a busy cluster changes many times a second).
const MIN_REFRESH_MS = 1000;
let inFlight = null, again = false;
function liveRefresh() {
  if (inFlight) { again = true; return; }
  const pause = new Promise((resolve) => { setTimeout(resolve, MIN_REFRESH_MS); });
  inFlight = Promise.all([refresh(), pause]).finally(() => {
    inFlight = null;
    if (again) { again = false; liveRefresh(); }
  });
}

function setLive(mode, text) {
  const el = document.getElementById('live');
  el.dataset.mode = mode;
  el.textContent = text;
}

function startLive() {
  let timer = null;
  const poll = () => {
    if (!timer) timer = setInterval(liveRefresh, POLL_MS);
    setLive('polling', 'polling every 5 s');
  };
  if (!('EventSource' in window)) { poll(); return; }
  // EventSource sends no headers: the token goes in the query (the API accepts it there for the stream).
  const es = new EventSource(token() ? `api/v1/stream?access_token=${encodeURIComponent(token())}` : 'api/v1/stream');
  es.addEventListener('update', liveRefresh);
  es.onopen = () => {
    clearInterval(timer);
    timer = null;
    setLive('live', 'live');
  };
  es.onerror = poll; // EventSource reconnects by itself (unless refused); polling covers the gap
}

async function showVersion() {
  try {
    const v = await api('api/version');
    const b = v.build || {};
    document.getElementById('version').textContent =
      `API ${(v.versions || []).join(', ')}${b.version ? ` · build ${b.version}` : ''}${b.revision ? ` (${String(b.revision).slice(0, 12)})` : ''}`;
  } catch { /* the footer stays empty */ }
}

window.addEventListener('hashchange', route);
route();
startLive();
showVersion();
