// One transient message at a time, announced to screen readers.
import { useEffect, useState, useSyncExternalStore } from 'react';

let current: { id: number; text: string } | null = null;
const listeners = new Set<() => void>();
let seq = 0;
const set = (v: typeof current) => {
  current = v;
  listeners.forEach((l) => l());
};

export const toast = {
  show(text: string) {
    seq += 1;
    set({ id: seq, text });
  },
  dismissOffline() {
    /* the banner goes by itself; kept for symmetry with future offline toasts */
  },
};

export function Toasts() {
  const value = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  const [, force] = useState(0);
  useEffect(() => {
    if (!value) return;
    const id = value.id;
    const timer = setTimeout(() => {
      if (current?.id === id) set(null);
      force((n) => n + 1);
    }, 4000);
    return () => clearTimeout(timer);
  }, [value]);
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {value && <div className="toast">{value.text}</div>}
    </div>
  );
}
