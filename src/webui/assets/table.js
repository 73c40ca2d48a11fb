// Tables: a plain table from columns + rows, and a server-side paged list view (search, sort and
// page live in the route's query, so back/forward and links keep them).
import { h, replace } from './dom.js';

// columns: [{ key, label, sort (the API's sort key, if sortable), num, cell(row) -> node|text }]
export function table(columns, rows, { sort, order, onSort, rowAttrs } = {}) {
  const head = h('tr', {}, columns.map((c) => {
    const active = c.sort && c.sort === sort;
    const label = active ? `${c.label} ${order === 'desc' ? '▼' : '▲'}` : c.label;
    return h('th', { class: c.num ? 'num' : null, 'data-col': c.key,
      'aria-sort': active ? (order === 'desc' ? 'descending' : 'ascending') : null },
    c.sort && onSort ? h('button', { type: 'button', class: 'sort', onclick: () => onSort(c.sort) }, label) : label);
  }));
  const body = rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {}, columns.map((c) =>
    h('td', { class: c.num ? 'num' : null, 'data-col': c.key,
      'data-value': c.value ? c.value(r) : null }, c.cell ? c.cell(r) : r[c.key]))));
  return h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, head),
    h('tbody', {}, body.length ? body : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing here.')))));
}

// A list view over a paged API endpoint. Returns a view ({ mount, load, render }) for the router.
// opts: { title, endpoint, columns, defaultSort, rowAttrs, params (query keys passed through),
//         filters: [{ key, label, options: [[value, text]] }] }
export function listView(opts) {
  return (root, _args, nav) => {
    const search = h('input', { type: 'search', class: 'search', placeholder: `Search ${opts.title.toLowerCase()}…`,
      'aria-label': 'search' });
    let timer = null;
    search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => nav.set({ search: search.value, page: 1 }, true), 250);
    });
    const filters = (opts.filters || []).map((f) => {
      const sel = h('select', { 'aria-label': f.label, 'data-filter': f.key },
        f.options.map(([v, text]) => h('option', { value: v }, text)));
      sel.addEventListener('change', () => nav.set({ [f.key]: sel.value, page: 1 }));
      return h('label', {}, `${f.label} `, sel);
    });
    const summary = h('span', { class: 'muted summary' });
    const results = h('div', { class: 'results' });
    replace(root, h('h2', {}, opts.title), h('div', { class: 'toolbar' }, search, filters, summary), results);

    return {
      load(q) {
        const params = new URLSearchParams();
        const keys = ['search', 'sort', 'order', 'page', 'pageSize', ...(opts.params || []), ...(opts.filters || []).map((x) => x.key)];
        for (const f of keys) {
          const v = q.get(f);
          if (v) params.set(f, v);
        }
        if (!params.has('sort') && opts.defaultSort) params.set('sort', opts.defaultSort);
        return nav.api(`${opts.endpoint}?${params}`);
      },
      render(data, q) {
        if (document.activeElement !== search) search.value = q.get('search') || '';
        for (const f of opts.filters || []) {
          root.querySelector(`[data-filter="${f.key}"]`).value = q.get(f.key) || '';
        }
        const sort = q.get('sort') || opts.defaultSort;
        const order = q.get('order') || 'asc';
        const page = data.page || 1, pageSize = data.pageSize || data.items.length || 1;
        const pages = Math.max(1, Math.ceil((data.total || 0) / pageSize));
        summary.textContent = `${data.total} total`;
        summary.dataset.total = data.total;
        const onSort = (key) => nav.set({ sort: key, order: key === sort && order === 'asc' ? 'desc' : 'asc', page: 1 });
        replace(results,
          table(opts.columns, data.items, { sort, order, onSort, rowAttrs: opts.rowAttrs }),
          h('nav', { class: 'pager', 'aria-label': 'pages' },
            h('button', { type: 'button', disabled: page <= 1, onclick: () => nav.set({ page: page - 1 }) }, '‹ prev'),
            h('span', { class: 'page' }, `page ${page} of ${pages}`),
            h('button', { type: 'button', disabled: page >= pages, onclick: () => nav.set({ page: page + 1 }) }, 'next ›')));
      },
    };
  };
}
