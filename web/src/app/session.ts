// The app's one REST client and one socket, and the signed-in session as a hook.
import { useSyncExternalStore } from 'react';
import { createApiClient, createRealtime, localStorageSessionStore, type Session } from '@artel/client';

const listeners = new Set<() => void>();
let current: Session | null = null;

export const api = createApiClient({
  store: localStorageSessionStore(),
  onSession: (s) => {
    const was = current;
    current = s;
    if (was && !s) realtime.stop();
    listeners.forEach((l) => l());
  },
});
current = api.session();

export const realtime = createRealtime(api);

/** The session, re-rendering on sign-in, token rotation (same user) and sign-out. */
export function useSession(): Session | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

// Another tab signed in or out: follow it.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key !== 'artel.session') return;
    current = api.session();
    if (!current) realtime.stop();
    listeners.forEach((l) => l());
  });
}

/** A fresh client_msg_id (idempotency key of a send). */
export function newClientId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
