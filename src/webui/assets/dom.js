// DOM helpers: elements are built with h() (text is always set as text, never parsed as HTML).

// h('a', {href: '#/'}, 'text', child...): attributes starting with "on" are listeners; "class",
// "data-*" and the rest are set as attributes; null/false children are skipped.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Route links: #/nodes/NAME etc. (parts are URI-encoded).
export const href = (...parts) => '#/' + parts.map(encodeURIComponent).join('/');

export const link = (text, ...parts) => h('a', { href: href(...parts) }, text);

// A button that copies `text` to the clipboard and says so.
export function copyButton(text, label = 'copy') {
  const btn = h('button', { class: 'copy', type: 'button', title: text, 'data-copy': text }, label);
  btn.addEventListener('click', async () => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      const ta = h('textarea', { class: 'offscreen' }, text);
      document.body.append(ta);
      ta.select();
      ok = document.execCommand('copy');
      ta.remove();
    }
    btn.textContent = ok ? 'copied' : 'select and copy';
    setTimeout(() => { btn.textContent = label; }, 1500);
  });
  return btn;
}

// The kubectl command of a pod as code with its copy button.
export const commandLine = (cmd) => h('span', { class: 'cmd' }, h('code', {}, cmd), copyButton(cmd));
