// Small SVG charts: a meter (allocated and used against a total), allocation bars per GPU and a
// line chart of a GPU's utilisation and memory over time. Unknown values draw nothing.
import { h } from './dom.js';
import { bytes, clock, cores, known, model, percent, toDate } from './format.js';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (known(v)) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (known(c) && c !== false) el.append(c);
  return el;
}

const frac = (v, total) => (known(v) && total > 0 ? Math.max(0, Math.min(1, v / total)) : 0);

// An inline bar: `allocated` of `total` filled, `used` (when known) as an inner darker bar.
export function meter(allocated, total, used, fmt = bytes) {
  const tip = `allocated ${fmt(allocated)} of ${fmt(total)}, used ${fmt(used)}`;
  const svg = s('svg', { class: 'meter', viewBox: '0 0 100 10', preserveAspectRatio: 'none',
    role: 'img', 'aria-label': tip },
  s('title', {}, tip),
  s('rect', { class: 'track', x: 0, y: 0, width: 100, height: 10 }),
  s('rect', { class: 'alloc', x: 0, y: 0, width: 100 * frac(allocated, total), height: 10 }),
  known(used) && s('rect', { class: 'used', x: 0, y: 3, width: 100 * frac(used, total), height: 4 }));
  return h('span', { class: 'meter-wrap' }, svg,
    h('span', { class: 'meter-text' }, `${fmt(allocated)} / ${fmt(total)}`));
}

// Allocation per GPU: per GPU a memory bar and a cores bar (allocated filled; used and
// utilisation as the inner bar). Unhealthy GPUs are drawn red.
export function gpuBars(gpus) {
  const rowH = 40, labelW = 190, barW = 400, width = labelW + barW + 90;
  const height = Math.max(1, gpus.length) * rowH + 20;
  const rows = gpus.map((g, i) => {
    const y = 20 + i * rowH;
    const bad = g.health === false;
    const name = model(g.vendor, g.type);
    const bar = (dy, alloc, total, used, text) => [
      s('rect', { class: 'track', x: labelW, y: y + dy, width: barW, height: 12 }),
      s('rect', { class: bad ? 'alloc bad' : 'alloc', x: labelW, y: y + dy, width: barW * frac(alloc, total), height: 12 }),
      known(used) && s('rect', { class: 'used', x: labelW, y: y + dy + 4, width: barW * frac(used, total), height: 4 }),
      s('text', { x: labelW + barW + 6, y: y + dy + 10, class: 'small' }, text),
    ];
    return s('g', { class: bad ? 'gpu unhealthy' : 'gpu', 'data-uuid': g.uuid },
      s('title', {}, `GPU ${g.index} ${name} ${g.uuid}`),
      s('text', { x: 0, y: y + 12, class: bad ? 'label bad' : 'label' },
        `GPU ${g.index} · ${bad ? 'unhealthy' : `${g.slices ?? 0} slice(s)`}`),
      s('text', { x: 0, y: y + 27, class: 'small' }, name.length > 28 ? `${name.slice(0, 27)}…` : name),
      bar(0, g.memoryAllocated, g.memoryTotal, g.memoryUsed, `mem ${percent(100 * frac(g.memoryAllocated, g.memoryTotal))}`),
      bar(16, g.coresAllocated, 100, g.utilization, `cores ${cores(g.coresAllocated)}`));
  });
  return s('svg', { class: 'chart gpu-bars', viewBox: `0 0 ${width} ${height}`, width, role: 'img',
    'aria-label': 'allocation per GPU' },
  s('text', { x: labelW, y: 12, class: 'small' }, 'allocated (filled) and used (inner bar): memory, then cores'),
  rows);
}

// Utilisation (percent) and memory used (percent of memoryTotal) over time from a GPU's history.
export function historyChart(history, memoryTotal) {
  const W = 640, H = 200, L = 40, R = 10, T = 10, B = 30;
  const pts = (history || []).map((p) => ({ t: toDate(p.t), u: p.utilization, m: p.memoryUsed }))
    .filter((p) => p.t);
  if (pts.length === 0) return h('p', { class: 'muted' }, 'No samples yet (the monitor has not reported this GPU).');
  const t0 = pts[0].t.getTime(), t1 = Math.max(t0 + 1, pts[pts.length - 1].t.getTime());
  const x = (t) => L + ((t.getTime() - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - Math.max(0, Math.min(100, v)) / 100) * (H - T - B);
  const path = (get) => {
    let d = '', pen = false;
    for (const p of pts) {
      const v = get(p);
      if (!known(v)) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    return d;
  };
  const grid = [0, 25, 50, 75, 100].map((v) => [
    s('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
    s('text', { class: 'small', x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, `${v}%`)]);
  const memPct = (p) => (known(p.m) && memoryTotal > 0 ? (100 * p.m) / memoryTotal : null);
  // The latest known value of a series as a dot (a lone sample draws no line).
  const last = (get, cls) => {
    const p = [...pts].reverse().find((q) => known(get(q)));
    return p && s('circle', { class: `dot ${cls}`, cx: x(p.t), cy: y(get(p)), r: 3 });
  };
  return s('svg', { class: 'chart history', viewBox: `0 0 ${W} ${H}`, width: W, role: 'img',
    'aria-label': 'utilisation over time' },
  grid,
  s('path', { class: 'line util', d: path((p) => p.u) }),
  s('path', { class: 'line mem', d: path(memPct) }),
  last((p) => p.u, 'util'), last(memPct, 'mem'),
  s('text', { class: 'small', x: L, y: H - 8 }, clock(pts[0].t)),
  s('text', { class: 'small', x: W - R, y: H - 8, 'text-anchor': 'end' }, clock(pts[pts.length - 1].t)),
  s('text', { class: 'small legend-util', x: L + 120, y: H - 8 }, '— utilisation'),
  s('text', { class: 'small legend-mem', x: L + 240, y: H - 8 }, '— memory used'));
}
