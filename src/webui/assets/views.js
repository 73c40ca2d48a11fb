// The overview and detail views. Each view is (root, args, nav) -> { load(query), render(data) }:
// load fetches, render fills `root` (the router drops the results of superseded loads).
import { commandLine, h, link, replace } from './dom.js';
import { age, bytes, cores, count, DASH, gpuEquiv, gpuShare, kubectlDescribe, model, percent } from './format.js';
import { gpuBars, historyChart, meter } from './charts.js';
import { table } from './table.js';
import { gpuColumns, gpuHref, gpuRowAttrs, healthBadge, podName, reasonsText } from './lists.js';

// A figure: label, value (data-field/data-value for tests and scripts), optional note.
const card = (field, label, value, shown, note, bad) => h('div', { class: bad ? 'card bad' : 'card',
  'data-field': field, 'data-value': value ?? '' },
h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, shown), note && h('div', { class: 'muted' }, note));

const reasonList = (reasons) => h('ul', { class: 'reasons' }, (reasons || []).map((r) =>
  h('li', { title: r.code, 'data-code': r.code }, r.text)));

function pendingTable(items) {
  return table([
    { key: 'name', label: 'Pod', value: (p) => p.name, cell: (p) => podName(p.namespace, p.name) },
    { key: 'namespace', label: 'Namespace' },
    { key: 'since', label: 'Pending', cell: (p) => age(p.since) },
    { key: 'reasons', label: 'Why it does not fit', value: (p) => reasonsText(p.reasons), cell: (p) => reasonList(p.reasons) },
  ], items, { rowAttrs: (p) => ({ 'data-key': `${p.namespace}/${p.name}` }) });
}

export const overview = (root, _args, nav) => ({
  load: () => Promise.all([nav.api('api/v1/overview'), nav.api('api/v1/pending')]),
  render([o, pending]) {
    const t = o.totals;
    const unreachable = o.monitors?.unreachable || [];
    const reachable = o.monitors?.reachable ?? 0;
    const monitorNote = unreachable.length ? `unreachable: ${unreachable.join(', ')}`
      : reachable < t.nodes ? `${t.nodes - reachable} node(s) without a known monitor` : 'all reachable';
    replace(root, h('h2', {}, 'Cluster overview'),
      h('div', { class: 'cards' },
        card('nodes', 'Nodes', t.nodes, count(t.nodes), null),
        card('gpus', 'GPUs', t.gpus, count(t.gpus), `${count(t.healthyGpus)} healthy`, t.healthyGpus < t.gpus),
        card('pods', 'GPU pods', t.pods, count(t.pods)),
        card('pendingPods', 'Pending GPU pods', t.pendingPods, h('a', { href: '#/pending' }, count(t.pendingPods)), null,
          t.pendingPods > 0),
        card('monitors', 'Monitors reachable', reachable, count(reachable), monitorNote, unreachable.length > 0)),
      h('div', { class: 'cards wide' },
        card('memoryAllocated', 'GPU memory allocated', t.memoryAllocated, meter(t.memoryAllocated, t.memoryTotal, t.memoryUsed),
          `used ${bytes(t.memoryUsed)}`),
        card('coresAllocated', 'GPU cores allocated', t.coresAllocated, meter(t.coresAllocated, t.coresTotal, t.utilization === null
          ? null : (t.utilization * t.coresTotal) / 100, gpuEquiv),
        `utilisation ${percent(t.utilization)}`)),
      h('h3', {}, 'GPUs by vendor and model'),
      table([
        { key: 'vendor', label: 'Vendor' },
        { key: 'type', label: 'Model' },
        { key: 'gpus', label: 'GPUs', num: true, value: (m) => m.gpus },
        { key: 'memoryAllocated', label: 'Memory allocated', value: (m) => m.memoryAllocated,
          cell: (m) => meter(m.memoryAllocated, m.memoryTotal, m.memoryUsed) },
        { key: 'memoryUsed', label: 'Memory used', num: true, value: (m) => m.memoryUsed ?? '', cell: (m) => bytes(m.memoryUsed) },
        { key: 'coresAllocated', label: 'Cores allocated', num: true, value: (m) => m.coresAllocated,
          cell: (m) => gpuShare(m.coresAllocated, m.gpus * 100) },
      ], o.models || [], { rowAttrs: (m) => ({ 'data-key': `${m.vendor}/${m.type}` }) }),
      h('h3', {}, `Pending GPU pods (${pending.items.length})`),
      pending.items.length ? pendingTable(pending.items.slice(0, 10)) : h('p', { class: 'muted' }, 'None: every GPU pod is placed.'),
      pending.items.length > 10 && h('p', {}, h('a', { href: '#/pending' }, `all ${pending.items.length} pending pods`)));
  },
});

export const pending = (root, _args, nav) => ({
  load: () => nav.api('api/v1/pending'),
  render(data) {
    replace(root, h('h2', {}, 'Pending GPU pods'),
      h('p', { class: 'muted' }, 'Pods the scheduler could not place, and why, per node that refused them.'),
      pendingTable(data.items));
  },
});

function nodeCards(n, gpuCount) {
  return h('div', { class: 'cards' },
    card('gpus', 'GPUs', gpuCount, count(gpuCount), `${count(n.healthyGpus)} healthy`, n.healthyGpus < gpuCount),
    card('memoryAllocated', 'Memory allocated', n.memoryAllocated, meter(n.memoryAllocated, n.memoryTotal, n.memoryUsed),
      `used ${bytes(n.memoryUsed)}`),
    card('coresAllocated', 'Cores allocated', n.coresAllocated, gpuShare(n.coresAllocated, n.coresTotal)),
    card('utilization', 'Utilisation', n.utilization, percent(n.utilization)),
    card('pods', 'Pods', n.pods, count(n.pods)),
    card('monitor', 'Monitor', n.monitor, n.monitor, null, n.monitor === 'unreachable'));
}

export const nodeDetail = (root, [name], nav) => ({
  load: () => nav.api(`api/v1/nodes/${encodeURIComponent(name)}`),
  render(n) {
    const gpus = (n.gpus || []).map((g) => ({ node: n.name, ...g }));
    replace(root, h('h2', {}, h('a', { href: '#/nodes' }, 'Nodes'), ' / ', n.name), nodeCards(n, gpus.length),
      h('h3', {}, 'Allocation per GPU'), gpuBars(gpus),
      h('h3', {}, 'GPUs'), table(gpuColumns(false), gpus, { rowAttrs: gpuRowAttrs }));
  },
});

export const gpuDetail = (root, [uuid], nav) => ({
  load: (q) => nav.api(`api/v1/gpus/${encodeURIComponent(uuid)}${q.get('node') ? `?node=${encodeURIComponent(q.get('node'))}` : ''}`),
  render(g) {
    const instances = g.instances || [];
    replace(root,
      h('h2', { class: g.health === false ? 'bad' : null }, link(g.node, 'nodes', g.node), ` / GPU ${g.index} `, healthBadge(g.health)),
      h('p', { class: 'muted' }, `${model(g.vendor, g.type)} · ${g.uuid} · mode ${g.mode || DASH}`),
      h('div', { class: 'cards' },
        card('memoryAllocated', 'Memory allocated', g.memoryAllocated, meter(g.memoryAllocated, g.memoryTotal, g.memoryUsed),
          `used ${bytes(g.memoryUsed)}`, g.health === false),
        card('coresAllocated', 'Cores allocated', g.coresAllocated, cores(g.coresAllocated)),
        card('utilization', 'Utilisation', g.utilization, percent(g.utilization)),
        card('slices', 'Slices', (g.slices || []).length, count((g.slices || []).length))),
      h('h3', {}, 'Utilisation over time'), historyChart(g.history, g.memoryTotal),
      h('h3', {}, 'Slices'),
      table([
        { key: 'pod', label: 'Pod', value: (s) => s.pod, cell: (s) => podName(s.namespace, s.pod) },
        { key: 'namespace', label: 'Namespace' },
        { key: 'container', label: 'Container' },
        { key: 'memoryLimit', label: 'Memory granted', num: true, value: (s) => s.memoryLimit, cell: (s) => bytes(s.memoryLimit) },
        { key: 'memoryUsed', label: 'Memory used', value: (s) => s.memoryUsed ?? '',
          cell: (s) => meter(s.memoryUsed, s.memoryLimit, null) },
        { key: 'cores', label: 'Cores granted', num: true, value: (s) => s.cores, cell: (s) => cores(s.cores) },
        { key: 'utilization', label: 'Utilisation', num: true, value: (s) => s.utilization ?? '', cell: (s) => percent(s.utilization) },
        { key: 'priority', label: 'Priority', num: true, cell: (s) => count(s.priority) },
        { key: 'blocked', label: 'Blocked', cell: (s) => (s.blocked ? h('span', { class: 'badge warn' }, 'blocked') : '') },
      ], g.slices || [], { rowAttrs: (s) => ({ 'data-key': `${s.namespace}/${s.pod}/${s.container}` }) }),
      instances.length > 0 && [h('h3', {}, 'MIG instances'), table([
        { key: 'profile', label: 'Profile' },
        { key: 'placement', label: 'Placement', cell: (i) => `start ${i.placementStart}, size ${i.placementSize}` },
        { key: 'migUuid', label: 'MIG UUID', cell: (i) => i.migUuid || 'pending' },
        { key: 'pod', label: 'Pod', cell: (i) => (i.pod ? podName(i.namespace, i.pod) : DASH) },
        { key: 'container', label: 'Container' },
      ], instances)]);
  },
});

function containerBlock(c, node) {
  const limits = Object.entries(c.limits || {}).sort(([a], [b]) => a.localeCompare(b));
  return h('section', { class: 'container', 'data-container': c.name }, h('h4', {}, `Container ${c.name}`),
    table([
      { key: 'uuid', label: 'GPU', value: (d) => d.uuid, cell: (d) => h('a', { href: gpuHref({ uuid: d.uuid, node }) }, d.uuid) },
      { key: 'type', label: 'Model', cell: (d) => model(d.vendor, d.type) },
      { key: 'memory', label: 'Memory', num: true, value: (d) => d.memory, cell: (d) => bytes(d.memory) },
      { key: 'cores', label: 'Cores', num: true, value: (d) => d.cores, cell: (d) => cores(d.cores) },
    ], c.devices || []),
    h('h5', {}, 'Limits the container sees'),
    limits.length ? h('dl', { class: 'limits' }, limits.map(([k, v]) => [h('dt', {}, k), h('dd', { 'data-env': k }, v)]))
      : h('p', { class: 'muted' }, 'None recorded (not allocated yet).'));
}

export const podDetail = (root, [ns, name], nav) => ({
  load: () => nav.api(`api/v1/pods/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`),
  render(p) {
    replace(root,
      h('h2', {}, h('a', { href: `#/pods?namespace=${encodeURIComponent(p.namespace)}` }, p.namespace), ' / ', p.name, ' ',
        h('span', { class: `badge phase-${p.phase}`, 'data-field': 'phase' }, p.phase)),
      h('p', {}, 'Node: ', p.node ? link(p.node, 'nodes', p.node) : 'not placed', h('span', { class: 'muted' }, ` · uid ${p.uid || DASH}`)),
      h('p', { class: 'kubectl' }, commandLine(p.kubectl || kubectlDescribe(p.namespace, p.name))),
      p.pending && h('section', { class: 'pending-box', 'data-field': 'pending' },
        h('h3', {}, `Pending since ${age(p.pending.since)}: why it does not fit`), reasonList(p.pending.reasons)),
      h('h3', {}, 'GPUs'),
      (p.containers || []).map((c) => containerBlock(c, p.node)),
      h('h3', {}, 'Events'),
      table([
        { key: 'type', label: 'Type', cell: (e) => h('span', { class: e.type === 'Warning' ? 'badge warn' : 'badge' }, e.type) },
        { key: 'reason', label: 'Reason' },
        { key: 'message', label: 'Message' },
        { key: 'count', label: 'Count', num: true },
        { key: 'lastTimestamp', label: 'Last seen', cell: (e) => age(e.lastTimestamp) },
      ], p.events || []));
  },
});
