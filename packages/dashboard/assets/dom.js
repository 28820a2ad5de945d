// What both console pages share: building DOM nodes (text only ever through text nodes, since commands, machine
// names and output are user data), the JSON API, the one live EventSource per page with its indicator, and the
// formats of times, durations and sizes.

/** `el('td', { className: 'num', dataset: { x: '1' } }, 'text', child)`: children are nodes or text, never HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'title') node.title = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

export function meta(name) {
  return document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
}

/** Whether the signed-in token may cancel and retry (operators and admins). */
export function canOperate() {
  const role = meta('rdc-role');
  return role === 'operator' || role === 'admin';
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `the dashboard answered ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.fix = body?.error?.fix;
  }
}

async function call(path, init) {
  const response = await fetch(path, { credentials: 'same-origin', ...init });
  if (response.status === 401) {
    // The session ended (logout elsewhere, revoked token): back to the login page.
    location.assign('/login');
    throw new ApiError(401, null);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export function getJson(path) {
  return call(path, { headers: { accept: 'application/json' } });
}

export function postJson(path) {
  return call(path, {
    method: 'POST',
    headers: { accept: 'application/json', 'x-csrf-token': meta('rdc-csrf') },
  });
}

/**
 * The page's one EventSource: `handlers` maps event names to functions of the parsed data; `refresh` refetches
 * what the page shows, run when the stream comes back after a drop (to catch what was missed) and every few
 * seconds while it is down. The browser resumes with Last-Event-ID on its own after a network drop; a stream the
 * server refused (an HTTP error closes it for good) is opened again with a growing delay. #live shows the state.
 */
export function live(url, handlers, refresh) {
  const indicator = document.getElementById('live');
  const label = indicator?.querySelector('.label');
  let dropped = false;
  let source = null;
  let retryMs = 2000;
  let poll = null;
  const show = (state, text) => {
    if (!indicator) return;
    indicator.dataset.state = state;
    if (label) label.textContent = text;
  };
  const down = () => {
    dropped = true;
    show('reconnecting', 'reconnecting');
    poll ??= setInterval(() => refresh?.(), 5000);
  };
  const open = () => {
    source = new EventSource(url);
    source.addEventListener('open', () => {
      show('live', 'live');
      clearInterval(poll);
      poll = null;
      retryMs = 2000;
      if (dropped) refresh?.();
      dropped = false;
    });
    source.addEventListener('error', () => {
      down();
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        handler(data);
      });
    }
  };
  open();
  addEventListener('pagehide', () => source?.close());
}

/** Runs `fn` at most once per `ms`, and once more after the last call. */
export function throttle(fn, ms) {
  let timer = null;
  let again = false;
  return function run() {
    if (timer) {
      again = true;
      return;
    }
    fn();
    timer = setTimeout(() => {
      timer = null;
      if (again) {
        again = false;
        run();
      }
    }, ms);
  };
}

export const STATUSES = ['PENDING', 'ASSIGNED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'];

export function badge(status) {
  return el('span', { className: 'badge', dataset: { status } }, status);
}

/** 4s, 3m 12s, 2h 5m, 3d 4h. */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function ago(iso) {
  if (!iso) return '—';
  const ms = Date.now() - Date.parse(iso);
  return ms < 5000 ? 'just now' : `${duration(ms)} ago`;
}

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function clock(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
