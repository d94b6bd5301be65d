// What every screen needs: the API and realtime clients, the outbox, the read
// cache, the signed-in user, and whether the network is there.
import { createContext, useCallback, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import { ApiError, type ApiClient, type RealtimeClient, type Session, type User } from '@artel/client';
import type { ReadCache } from './db';
import type { Outbox, OutboxItem } from './outbox';

export interface AppCtx {
  api: ApiClient;
  rt: RealtimeClient;
  outbox: Outbox;
  cache: ReadCache;
  session: Session;
  users: Map<string, User>;
  /** Ids seen in messages or lists: any this client does not know reload the directory. */
  learnUsers: (ids: Iterable<string | null | undefined>) => void;
}

export const Ctx = createContext<AppCtx | null>(null);

export function useApp(): AppCtx {
  const c = useContext(Ctx);
  if (!c) throw new Error('useApp outside the app');
  return c;
}

/** navigator.onLine, live. */
export function useOnline(): boolean {
  return useSyncExternalStore(
    (f) => {
      window.addEventListener('online', f);
      window.addEventListener('offline', f);
      return () => {
        window.removeEventListener('online', f);
        window.removeEventListener('offline', f);
      };
    },
    () => navigator.onLine,
    () => true,
  );
}

/** The outbox's items, live. */
export function useOutbox(): OutboxItem[] {
  const { outbox } = useApp();
  const [items, setItems] = useState(() => outbox.list());
  useEffect(() => {
    setItems(outbox.list());
    return outbox.subscribe(setItems);
  }, [outbox]);
  return items;
}

export interface Loaded<T> {
  data: T | undefined;
  /** Shown from the offline copy (the last fetch failed or is still running). */
  stale: boolean;
  error: ApiError | null;
  reload: () => void;
  set: (f: (old: T | undefined) => T | undefined) => void;
}

/**
 * Data for a screen: the cached copy at once, then the server's; the server's
 * answer is kept for reading offline. `key` null means "nothing to load".
 */
export function useCached<T>(key: string | null, fetcher: () => Promise<T>): Loaded<T> {
  const { cache } = useApp();
  const [state, setState] = useState<{ key: string | null; data: T | undefined; stale: boolean; error: ApiError | null }>(
    { key, data: undefined, stale: true, error: null },
  );
  const [tick, setTick] = useState(0);
  // Stable: screens subscribe to live events with it, and a new function each
  // render would unsubscribe them (dropping a reload they had scheduled).
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (!key) return;
    let live = true;
    setState((s) => (s.key === key ? s : { key, data: undefined, stale: true, error: null }));
    void cache.get<T>(key).then((v) => {
      if (live && v !== undefined) setState((s) => (s.key === key && s.stale ? { ...s, data: s.data ?? v } : s));
    });
    fetcher().then(
      (data) => {
        if (!live) return;
        setState({ key, data, stale: false, error: null });
        void cache.set(key, data);
      },
      (e: unknown) => {
        if (!live) return;
        const err = e instanceof ApiError ? e : new ApiError(0, 'network', String(e));
        setState((s) => ({ ...s, key, stale: true, error: err }));
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick, cache]);
  return {
    data: state.key === key ? state.data : undefined,
    stale: state.stale,
    error: state.key === key ? state.error : null,
    reload,
    set: (f) =>
      setState((s) => {
        const data = f(s.data);
        if (key && data !== undefined) void cache.set(key, data);
        return { ...s, data };
      }),
  };
}
