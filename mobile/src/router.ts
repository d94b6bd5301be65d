// The phone app's routes, all under /m/ (the service worker's scope).
import { useSyncExternalStore } from 'react';

export const BASE = '/m';

export type Route =
  | { name: 'chats' }
  | { name: 'chat'; chatId: string; thread?: string }
  | { name: 'tasks'; taskId?: string }
  | { name: 'deals'; pipeline?: string; stage?: string }
  | { name: 'deal'; id: string }
  | { name: 'search'; q: string }
  | { name: 'settings' };

export function parseRoute(pathname: string, search = ''): Route {
  const rel = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const [a, b] = rel.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(search);
  switch (a) {
    case 'chats': {
      if (!b) return { name: 'chats' };
      const thread = q.get('thread');
      return thread ? { name: 'chat', chatId: b, thread } : { name: 'chat', chatId: b };
    }
    case 'tasks':
      return b ? { name: 'tasks', taskId: b } : { name: 'tasks' };
    case 'deals': {
      if (b) return { name: 'deal', id: b };
      const pipeline = q.get('pipeline');
      const stage = q.get('stage');
      return { name: 'deals', ...(pipeline ? { pipeline } : {}), ...(stage ? { stage } : {}) };
    }
    case 'search':
      return { name: 'search', q: q.get('q') ?? '' };
    case 'settings':
      return { name: 'settings' };
    default:
      return { name: 'chats' };
  }
}

export function pathOf(r: Route): string {
  const e = encodeURIComponent;
  switch (r.name) {
    case 'chats':
      return `${BASE}/`;
    case 'chat':
      return `${BASE}/chats/${e(r.chatId)}${r.thread ? `?thread=${e(r.thread)}` : ''}`;
    case 'tasks':
      return `${BASE}/tasks${r.taskId ? `/${e(r.taskId)}` : ''}`;
    case 'deals': {
      const q = new URLSearchParams();
      if (r.pipeline) q.set('pipeline', r.pipeline);
      if (r.stage) q.set('stage', r.stage);
      const qs = q.toString();
      return `${BASE}/deals${qs ? `?${qs}` : ''}`;
    }
    case 'deal':
      return `${BASE}/deals/${e(r.id)}`;
    case 'search':
      return `${BASE}/search${r.q ? `?q=${e(r.q)}` : ''}`;
    case 'settings':
      return `${BASE}/settings`;
  }
}

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((f) => f());
if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

export function navigate(to: Route | string, replace = false): void {
  const url = typeof to === 'string' ? to : pathOf(to);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
}

let cachedKey = '';
let cachedRoute: Route = { name: 'chats' };
function current(): Route {
  const key = location.pathname + location.search;
  if (key !== cachedKey) {
    cachedKey = key;
    cachedRoute = parseRoute(location.pathname, location.search);
  }
  return cachedRoute;
}

export function useRoute(): Route {
  return useSyncExternalStore(
    (f) => {
      listeners.add(f);
      return () => listeners.delete(f);
    },
    current,
    current,
  );
}
