// A small history-API router: the app's handful of routes do not need a library.
import { useSyncExternalStore } from 'react';

export type Route =
  | { name: 'home' }
  | { name: 'chat'; chatId: string; seq?: number }
  | { name: 'board'; pipelineId?: string }
  | { name: 'pipelineEdit'; pipelineId: string }
  | { name: 'deal'; id: string }
  | { name: 'contacts'; tab: 'contacts' | 'companies' }
  | { name: 'contact'; id: string }
  | { name: 'company'; id: string }
  | { name: 'tasks'; taskId?: string }
  | { name: 'settings' }
  | { name: 'admin'; tab: AdminTab }
  | { name: 'search'; q: string }
  | { name: 'invite'; token: string }
  | { name: 'reset'; token: string }
  | { name: 'notFound' };

/** The admin area's sections, in the order the navigation shows them. */
export const ADMIN_TABS = ['people', 'workspace', 'fields', 'automation', 'integrations', 'bots'] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];

export function parseRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(search);
  const [a, b, c] = parts;
  switch (a) {
    case undefined:
      return { name: 'home' };
    case 'chats':
      if (b) {
        const seq = Number(q.get('seq'));
        return Number.isFinite(seq) && seq > 0 ? { name: 'chat', chatId: b, seq } : { name: 'chat', chatId: b };
      }
      return { name: 'home' };
    case 'board':
      if (b && c === 'edit') return { name: 'pipelineEdit', pipelineId: b };
      return b ? { name: 'board', pipelineId: b } : { name: 'board' };
    case 'deals':
      return b ? { name: 'deal', id: b } : { name: 'board' };
    case 'contacts':
      return b ? { name: 'contact', id: b } : { name: 'contacts', tab: 'contacts' };
    case 'companies':
      return b ? { name: 'company', id: b } : { name: 'contacts', tab: 'companies' };
    case 'tasks':
      return q.get('task') ? { name: 'tasks', taskId: q.get('task') ?? '' } : { name: 'tasks' };
    case 'settings':
      return { name: 'settings' };
    case 'search':
      return { name: 'search', q: q.get('q') ?? '' };
    case 'admin':
      if (!b) return { name: 'admin', tab: 'people' };
      return (ADMIN_TABS as readonly string[]).includes(b) ? { name: 'admin', tab: b as AdminTab } : { name: 'notFound' };
    case 'invite':
      return b ? { name: 'invite', token: b } : { name: 'notFound' };
    case 'reset':
      return b ? { name: 'reset', token: b } : { name: 'notFound' };
    default:
      return { name: 'notFound' };
  }
}

export function pathOf(route: Route): string {
  const e = encodeURIComponent;
  switch (route.name) {
    case 'home':
    case 'notFound':
      return '/';
    case 'chat':
      return `/chats/${e(route.chatId)}${route.seq ? `?seq=${route.seq}` : ''}`;
    case 'board':
      return route.pipelineId ? `/board/${e(route.pipelineId)}` : '/board';
    case 'pipelineEdit':
      return `/board/${e(route.pipelineId)}/edit`;
    case 'deal':
      return `/deals/${e(route.id)}`;
    case 'contacts':
      return route.tab === 'companies' ? '/companies' : '/contacts';
    case 'contact':
      return `/contacts/${e(route.id)}`;
    case 'company':
      return `/companies/${e(route.id)}`;
    case 'tasks':
      return route.taskId ? `/tasks?task=${e(route.taskId)}` : '/tasks';
    case 'settings':
      return '/settings';
    case 'admin':
      return `/admin/${route.tab}`;
    case 'search':
      return route.q ? `/search?q=${e(route.q)}` : '/search';
    case 'invite':
      return `/invite/${e(route.token)}`;
    case 'reset':
      return `/reset/${e(route.token)}`;
  }
}

const listeners = new Set<() => void>();
let snapshot = typeof location === 'undefined' ? '/' : location.pathname + location.search;
function notify() {
  snapshot = location.pathname + location.search;
  listeners.forEach((l) => l());
}
if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

export function navigate(to: Route | string, opts: { replace?: boolean } = {}): void {
  const path = typeof to === 'string' ? to : pathOf(to);
  if (path === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  notify();
}

export function useRoute(): Route {
  const current = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => snapshot,
  );
  const i = current.indexOf('?');
  return i < 0 ? parseRoute(current) : parseRoute(current.slice(0, i), current.slice(i));
}
