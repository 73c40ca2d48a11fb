// Formatting of API values for display. Unknown values (null/undefined: no monitor reported them)
// render as an em dash, never as 0.
export const DASH = '—';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const known = (v) => v !== null && v !== undefined;

// Bytes as MiB below 10 GiB (what pods ask for: "3000 MiB"), as GiB with one decimal above.
export function bytes(b) {
  if (!known(b)) return DASH;
  if (Math.abs(b) < 10 * GiB) return `${Math.round(b / MiB)} MiB`;
  return `${(b / GiB).toFixed(1)} GiB`;
}

// Cores in percent units (100 per GPU).
export const cores = (c) => (known(c) ? `${Math.round(c)}%` : DASH);

// Cores summed over several GPUs, as GPUs' worth: "1.25 GPUs", "1.25 of 4 GPUs".
export const gpuEquiv = (c) => (known(c) ? `${+(c / 100).toFixed(2)} GPUs` : DASH);
export const gpuShare = (allocated, total) => (known(allocated) && known(total)
  ? `${+(allocated / 100).toFixed(2)} of ${+(total / 100).toFixed(2)} GPUs` : DASH);

export const percent = (p) => (known(p) ? `${Math.round(p)}%` : DASH);

export const count = (n) => (known(n) ? String(n) : DASH);

// A timestamp (RFC 3339 string, or seconds / milliseconds since the epoch) as a Date.
export function toDate(t) {
  if (!known(t)) return null;
  if (typeof t === 'number') return new Date(t < 1e12 ? t * 1000 : t);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

// "3m ago", "2h ago" from a timestamp.
export function age(t, now = Date.now()) {
  const d = toDate(t);
  if (!d) return DASH;
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export const clock = (t) => {
  const d = toDate(t);
  return d ? d.toLocaleTimeString([], { hour12: false }) : DASH;
};

// "NVIDIA-Tesla T4" rather than "NVIDIA NVIDIA-Tesla T4"; the vendor alone when no model is known.
export function model(vendor, type) {
  if (!type || type === vendor) return vendor || DASH;
  return !vendor || type.startsWith(vendor) ? type : `${vendor} ${type}`;
}

export const kubectlDescribe = (ns, name) => `kubectl -n ${ns} describe pod ${name}`;
