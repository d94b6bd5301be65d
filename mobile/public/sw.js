// Artel mobile service worker (scope /m/). Written by hand to stay small:
// - the app shell (index.html, its hashed assets, manifest, icons) is cached on
//   install and served when the network is not there;
// - hashed assets are cache-first (their names change with their content);
//   pages are network-first with the cached shell as the fallback;
// - the API is never cached here: the app keeps its own offline copy
//   (IndexedDB) of recently opened chats, tasks and deals;
// - a push shows a notification from the server's payload (title, body, tag,
//   url, count, badge); a click focuses an open window on that url or opens one.
/* eslint-env serviceworker */
// @ts-check
/// <reference lib="webworker" />
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

const SHELL = 'artel-shell-v1';
const ROOT = '/m/';
const STATIC = ['/m/manifest.webmanifest', '/m/icons/icon-192.png', '/m/icons/icon-512.png'];

async function cacheShell() {
  const cache = await caches.open(SHELL);
  const res = await fetch(ROOT, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`shell: ${res.status}`);
  const html = await res.clone().text();
  // Everything the page loads from /m/assets/ is part of the shell.
  const named = html.match(/\/m\/assets\/[^"'\s>]+/g) ?? [];
  // The build lists every asset (lazy screens too) in shell.json.
  const listed = await fetch('/m/shell.json', { cache: 'no-cache' })
    .then((r) => (r.ok ? r.json() : []))
    .catch(() => []);
  const assets = [...new Set([...named, ...(Array.isArray(listed) ? listed : [])])];
  await cache.put(ROOT, res);
  await cache.addAll([...assets, ...STATIC]);
}

sw.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== SHELL) await caches.delete(name);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin || !url.pathname.startsWith(ROOT)) return;
  if (url.pathname.startsWith('/m/assets/')) {
    event.respondWith(cacheFirst(req));
  } else if (req.mode === 'navigate') {
    event.respondWith(page(req));
  } else {
    event.respondWith(networkFirst(req));
  }
});

/** @param {Request} req */
async function cacheFirst(req) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(req, { ignoreVary: true });
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}

/** Pages: the network's index.html (kept as the new shell), else the cached one. @param {Request} req */
async function page(req) {
  const cache = await caches.open(SHELL);
  try {
    const res = await fetch(req);
    if (res.ok && (res.headers.get('content-type') ?? '').startsWith('text/html')) {
      await cache.put(ROOT, res.clone());
    }
    return res;
  } catch {
    return (await cache.match(ROOT, { ignoreVary: true })) ?? new Response('offline', { status: 503 });
  }
}

/** @param {Request} req */
async function networkFirst(req) {
  const cache = await caches.open(SHELL);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(req, res.clone());
    return res;
  } catch {
    return (await cache.match(req, { ignoreVary: true })) ?? new Response('offline', { status: 503 });
  }
}

/**
 * @typedef {{ title?: string, body?: string, url?: string, tag?: string, count?: number, kind?: string, badge?: number }} PushPayload
 */

/** Shows one push; exported on self for tests that hand the worker a payload. @param {PushPayload} p */
async function showPush(p) {
  const url = typeof p.url === 'string' && p.url.startsWith(ROOT) ? p.url : ROOT;
  const count = typeof p.count === 'number' && p.count > 1 ? p.count : 0;
  const title = p.title || 'Artel';
  /** @type {NotificationOptions & { renotify?: boolean }} */
  const options = {
    body: p.body ? (count ? `${p.body} (+${count - 1})` : p.body) : '',
    tag: p.tag || undefined,
    // A collapsed burst (same tag, a count) should still buzz the phone.
    renotify: Boolean(p.tag && count),
    icon: '/m/icons/icon-192.png',
    badge: '/m/icons/maskable-192.png',
    data: { url, kind: p.kind ?? null },
  };
  await sw.registration.showNotification(title, options);
  const nav = /** @type {{ setAppBadge?: (n?: number) => Promise<void>, clearAppBadge?: () => Promise<void> }} */ (
    /** @type {unknown} */ (sw.navigator)
  );
  if (typeof p.badge === 'number' && nav.setAppBadge) {
    try {
      if (p.badge > 0) await nav.setAppBadge(p.badge);
      else await nav.clearAppBadge?.();
    } catch {
      /* badges are a nicety */
    }
  }
}

sw.addEventListener('push', (event) => {
  /** @type {PushPayload} */
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(showPush(payload));
});

/** Focuses a window of the app and sends it to `url`, or opens one. @param {string} url */
async function openUrl(url) {
  const wins = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of wins) {
    if (new URL(w.url).pathname.startsWith(ROOT)) {
      const focused = await w.focus().catch(() => w);
      // The page routes itself (no reload); navigate() is the fallback.
      focused.postMessage({ type: 'open', url });
      return;
    }
  }
  await sw.clients.openWindow(url);
}

sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = event.notification.data?.url ?? ROOT;
  event.waitUntil(openUrl(url));
});

// The page may ask for the badge to be cleared once everything is read.
sw.addEventListener('message', (event) => {
  const data = event.data ?? {};
  if (data.type === 'badge') {
    const nav = /** @type {{ setAppBadge?: (n?: number) => Promise<void>, clearAppBadge?: () => Promise<void> }} */ (
      /** @type {unknown} */ (sw.navigator)
    );
    if (typeof data.count === 'number' && data.count > 0) void nav.setAppBadge?.(data.count);
    else void nav.clearAppBadge?.();
  }
});
