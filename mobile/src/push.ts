// Web Push on this device: the permission flow, subscribing with the server's
// VAPID key, and keeping the subscription fresh on every start (the browser
// may rotate it, the server may have pruned it, the key may have changed).
import { push, type ApiClient } from '@artel/client';

export type PushState = 'unsupported' | 'server-off' | 'denied' | 'off' | 'on';

const SUB_ID = 'artel.push.subscription';

export function pushSupported(): boolean {
  // Service workers (and so push) need HTTPS, or localhost.
  return window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** base64url (no padding) → bytes, for applicationServerKey. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function sameKey(sub: PushSubscription, key: Uint8Array): boolean {
  const current = sub.options.applicationServerKey;
  if (!current) return false;
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

function deviceLabel(): string {
  const ua = navigator.userAgent;
  const name = /iPhone|iPad/.test(ua) ? 'iPhone' : /Android/.test(ua) ? 'Android' : 'Browser';
  return `${name} · ${new Date().toISOString().slice(0, 10)}`.slice(0, 100);
}

async function register(api: ApiClient, sub: PushSubscription): Promise<void> {
  const json = sub.toJSON();
  if (!json.endpoint || !json.keys?.p256dh || !json.keys.auth) throw new Error('incomplete subscription');
  const row = await push.subscribe(api, {
    endpoint: json.endpoint,
    keys: { p256dh: json.keys.p256dh, auth: json.keys.auth },
    device: deviceLabel(),
  });
  localStorage.setItem(SUB_ID, row.id);
}

export async function pushState(api: ApiClient): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const key = await push.key(api).catch(() => null);
  if (!key) return 'server-off';
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  return sub && Notification.permission === 'granted' ? 'on' : 'off';
}

/** Asks for permission (must run from a tap) and subscribes. */
export async function enablePush(api: ApiClient): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const key = await push.key(api);
  if (!key) return 'server-off';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'off';
  const reg = await navigator.serviceWorker.ready;
  const bytes = keyBytes(key);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub, bytes)) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes });
  await register(api, sub);
  return 'on';
}

export async function disablePush(api: ApiClient): Promise<void> {
  const id = localStorage.getItem(SUB_ID);
  if (pushSupported()) {
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.getSubscription();
    await sub?.unsubscribe();
  }
  if (id) {
    await push.unsubscribe(api, id).catch(() => {});
    localStorage.removeItem(SUB_ID);
  }
}

/** On start: re-sends the current subscription (idempotent on the server), renewing it when the key changed. */
export async function refreshPushSubscription(api: ApiClient): Promise<void> {
  if (!pushSupported() || Notification.permission !== 'granted') return;
  const key = await push.key(api);
  if (!key) return;
  const reg = await navigator.serviceWorker.ready;
  const bytes = keyBytes(key);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub, bytes)) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes });
  await register(api, sub);
}
