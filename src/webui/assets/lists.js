// The paged list views: nodes, GPUs and pods (search, sort and paging done by the API).
import { commandLine, h, href, link } from './dom.js';
import { bytes, cores, count, gpuShare, kubectlDescribe, model, percent } from './format.js';
import { meter } from './charts.js';
import { listView } from './table.js';

export const gpuHref = (g) => `${href('gpus', g.uuid)}?node=${encodeURIComponent(g.node || '')}`;

// "GPU-de2306ef…": enough to tell a node's GPUs apart; the whole UUID is the title and the GPU view's.
export const shortUuid = (u) => (u && u.length > 16 ? `${u.slice(0, 12)}…` : u || '');

export const healthBadge = (ok) => h('span', { class: ok === false ? 'badge bad' : 'badge ok' },
  ok === false ? 'unhealthy' : 'healthy');

const used = (v) => v ?? '';

export const nodes = listView({
  title: 'Nodes',
  endpoint: 'api/v1/nodes',
  defaultSort: 'name',
  rowAttrs: (n) => ({ 'data-key': n.name, class: n.healthyGpus < n.gpus ? 'unhealthy' : null }),
  columns: [
    { key: 'name', label: 'Node', sort: 'name', cell: (n) => link(n.name, 'nodes', n.name) },
    { key: 'gpus', label: 'GPUs (healthy)', sort: 'gpus', num: true, value: (n) => n.gpus,
      cell: (n) => `${n.gpus} (${n.healthyGpus})` },
    { key: 'memoryAllocated', label: 'Memory allocated', sort: 'memoryAllocated', value: (n) => n.memoryAllocated,
      cell: (n) => meter(n.memoryAllocated, n.memoryTotal, n.memoryUsed) },
    { key: 'memoryUsed', label: 'Memory used', sort: 'memoryUsed', num: true, value: (n) => used(n.memoryUsed),
      cell: (n) => bytes(n.memoryUsed) },
    { key: 'coresAllocated', label: 'Cores allocated', num: true, value: (n) => n.coresAllocated,
      cell: (n) => gpuShare(n.coresAllocated, n.coresTotal) },
    { key: 'utilization', label: 'Utilisation', sort: 'utilization', num: true, value: (n) => used(n.utilization),
      cell: (n) => percent(n.utilization) },
    { key: 'pods', label: 'Pods', sort: 'pods', num: true, value: (n) => n.pods },
    { key: 'monitor', label: 'Monitor', cell: (n) => h('span', { class: `badge ${n.monitor === 'ok' ? 'ok' : 'warn'}` }, n.monitor) },
  ],
});

export const gpuColumns = (withNode) => [
  withNode && { key: 'node', label: 'Node', sort: 'node', cell: (g) => link(g.node, 'nodes', g.node) },
  { key: 'index', label: '#', num: true, value: (g) => g.index },
  { key: 'uuid', label: 'GPU', sort: 'uuid', value: (g) => g.uuid,
    cell: (g) => h('a', { href: gpuHref(g), title: g.uuid }, shortUuid(g.uuid)) },
  { key: 'type', label: 'Model', sort: 'type', cell: (g) => model(g.vendor, g.type) },
  { key: 'mode', label: 'Mode' },
  { key: 'health', label: 'Health', value: (g) => String(g.health !== false), cell: (g) => healthBadge(g.health) },
  { key: 'memoryAllocated', label: 'Memory allocated', sort: 'memoryAllocated', value: (g) => g.memoryAllocated,
    cell: (g) => meter(g.memoryAllocated, g.memoryTotal, g.memoryUsed) },
  { key: 'memoryUsed', label: 'Memory used', sort: 'memoryUsed', num: true, value: (g) => used(g.memoryUsed),
    cell: (g) => bytes(g.memoryUsed) },
  { key: 'coresAllocated', label: 'Cores allocated', sort: 'coresAllocated', num: true, value: (g) => g.coresAllocated,
    cell: (g) => cores(g.coresAllocated) },
  { key: 'utilization', label: 'Utilisation', sort: 'utilization', num: true, value: (g) => used(g.utilization),
    cell: (g) => percent(g.utilization) },
  { key: 'slices', label: 'Slices', sort: 'slices', num: true, value: (g) => g.slices ?? 0, cell: (g) => count(g.slices ?? 0) },
].filter(Boolean);

export const gpuRowAttrs = (g) => ({ 'data-key': `${g.node}/${g.uuid}`, class: g.health === false ? 'unhealthy' : null });

export const gpus = listView({
  title: 'GPUs',
  endpoint: 'api/v1/gpus',
  defaultSort: 'node',
  params: ['node'],
  rowAttrs: gpuRowAttrs,
  columns: gpuColumns(true),
});

// A pod's name: its link, and its kubectl describe command with a copy button.
export const podName = (ns, name) => h('span', { class: 'pod' }, link(name, 'pods', ns, name),
  commandLine(kubectlDescribe(ns, name)));

export const reasonsText = (reasons) => (reasons || []).map((r) => r.text).join('; ');

export const pods = listView({
  title: 'Pods',
  endpoint: 'api/v1/pods',
  defaultSort: 'name',
  params: ['namespace'],
  filters: [
    { key: 'phase', label: 'Phase', options: [['', 'any'], ['Pending', 'Pending'], ['Running', 'Running'],
      ['Succeeded', 'Succeeded'], ['Failed', 'Failed']] },
    { key: 'pending', label: 'Unschedulable', options: [['', 'any'], ['true', 'only pending GPU pods']] },
  ],
  rowAttrs: (p) => ({ 'data-key': `${p.namespace}/${p.name}`, class: p.pendingReason ? 'pending' : null }),
  columns: [
    { key: 'namespace', label: 'Namespace', sort: 'namespace',
      cell: (p) => h('a', { href: `#/pods?namespace=${encodeURIComponent(p.namespace)}` }, p.namespace) },
    { key: 'name', label: 'Pod', sort: 'name', value: (p) => p.name, cell: (p) => podName(p.namespace, p.name) },
    { key: 'node', label: 'Node', sort: 'node', cell: (p) => (p.node ? link(p.node, 'nodes', p.node) : '—') },
    { key: 'phase', label: 'Phase', sort: 'phase', cell: (p) => h('span', { class: `badge phase-${p.phase}` }, p.phase) },
    { key: 'gpus', label: 'GPUs', num: true, value: (p) => (p.gpus || []).length, cell: (p) => count((p.gpus || []).length) },
    { key: 'memory', label: 'Memory', sort: 'memory', num: true, value: (p) => p.memory, cell: (p) => bytes(p.memory) },
    { key: 'cores', label: 'Cores', sort: 'cores', num: true, value: (p) => p.cores, cell: (p) => cores(p.cores) },
    { key: 'priority', label: 'Priority', sort: 'priority', num: true, cell: (p) => count(p.priority) },
    { key: 'pendingReason', label: 'Why pending', cell: (p) => (typeof p.pendingReason === 'string'
      ? p.pendingReason : reasonsText(p.pendingReason?.reasons)) },
  ],
});
