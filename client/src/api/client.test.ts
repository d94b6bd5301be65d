import { describe, expect, it } from 'vitest';
import { ApiError, createApiClient, memorySessionStore, unwrap, type Session } from './client';

const user = {
  id: 'u1',
  email: 'a@x.test',
  name: 'A',
  role: 'owner',
  time_zone: 'Europe/Moscow',
  language: 'ru',
  created_at: '2026-01-01T00:00:00Z',
} as Session['user'];
const workspace = { id: 'w1', name: 'W', slug: 'w' } as unknown as Session['workspace'];

function tokens(n: number) {
  return { access_token: `a${n}`, refresh_token: `r${n}`, expires_in: 900, token_type: 'Bearer', user, workspace };
}

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A fake server: records every request; `handle` decides the answer. */
function fakeServer(handle: (req: Request, auth: string | null) => Response | Promise<Response>) {
  const seen: { method: string; path: string; auth: string | null; body: string }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const body = req.body ? await req.clone().text() : '';
    const auth = req.headers.get('authorization');
    seen.push({ method: req.method, path: new URL(req.url).pathname, auth, body });
    return handle(req, auth);
  };
  return { seen, fetch: fetch as typeof globalThis.fetch };
}

describe('REST client', () => {
  it('signs in, stores the session and sends the bearer token', async () => {
    const srv = fakeServer((req) =>
      new URL(req.url).pathname === '/api/v1/auth/login' ? json(200, tokens(1)) : json(200, { ...user }),
    );
    const store = memorySessionStore();
    const api = createApiClient({ baseUrl: 'http://h/api/v1', store, fetch: srv.fetch });
    const s = await api.login({ email: 'a@x.test', password: 'pw' });
    expect(s.accessToken).toBe('a1');
    expect(store.load()?.refreshToken).toBe('r1');
    await unwrap(api.http.GET('/users/{id}', { params: { path: { id: 'u1' } } }));
    expect(srv.seen[1]).toMatchObject({ method: 'GET', path: '/api/v1/users/u1', auth: 'Bearer a1' });
  });

  it('turns the error body into ApiError with code, status and field', async () => {
    const srv = fakeServer(() =>
      json(401, { error: { code: 'invalid_credentials', message: 'wrong e-mail or password' } }),
    );
    const api = createApiClient({ baseUrl: 'http://h/api/v1', store: memorySessionStore(), fetch: srv.fetch });
    const err = await api.login({ email: 'a', password: 'b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_credentials' });
    expect(ApiError.from(422, { error: { code: 'invalid', message: 'm', field: 'title' } }).field).toBe('title');
    expect(ApiError.from(502, '<html>').code).toBe('http_502');
  });

  it('refreshes once on token_expired and retries the request with the new token', async () => {
    let refreshes = 0;
    const srv = fakeServer(async (req, auth) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/v1/auth/refresh') {
        refreshes += 1;
        expect(JSON.parse(await req.text())).toEqual({ refresh_token: 'r1' });
        return json(200, tokens(2));
      }
      if (auth === 'Bearer a1') return json(401, { error: { code: 'token_expired', message: 'expired' } });
      return json(201, { ok: true, body: await req.text() });
    });
    const store = memorySessionStore({
      accessToken: 'a1',
      refreshToken: 'r1',
      expiresAt: Date.now() + 600_000,
      user,
      workspace,
    });
    const api = createApiClient({ baseUrl: 'http://h/api/v1', store, fetch: srv.fetch });
    // Two requests at once share one refresh (a second would reuse a spent token).
    const [a, b] = await Promise.all([
      unwrap(api.http.POST('/chats/{id}/read', { params: { path: { id: 'c' } }, body: { seq: 3 } })),
      unwrap(api.http.POST('/chats/{id}/read', { params: { path: { id: 'c' } }, body: { seq: 4 } })),
    ]);
    expect(refreshes).toBe(1);
    expect(store.load()).toMatchObject({ accessToken: 'a2', refreshToken: 'r2' });
    // The retried request carried its original body.
    expect(JSON.parse((a as unknown as { body: string }).body)).toEqual({ seq: 3 });
    expect(JSON.parse((b as unknown as { body: string }).body)).toEqual({ seq: 4 });
  });

  it('refreshes ahead of expiry instead of sending a dead token', async () => {
    let now = 1_000_000;
    const srv = fakeServer((req, auth) =>
      new URL(req.url).pathname === '/api/v1/auth/refresh' ? json(200, tokens(2)) : json(200, { auth }),
    );
    const store = memorySessionStore({ accessToken: 'a1', refreshToken: 'r1', expiresAt: now + 10_000, user, workspace });
    const api = createApiClient({ baseUrl: 'http://h/api/v1', store, fetch: srv.fetch, now: () => now });
    const r = await unwrap(api.http.GET('/me'));
    expect(r).toEqual({ auth: 'Bearer a2' });
    expect(store.load()?.expiresAt).toBe(now + 900_000);
    now += 1;
    expect(srv.seen.map((s) => s.path)).toEqual(['/api/v1/auth/refresh', '/api/v1/me']);
  });

  it('forgets the session when the refresh token is refused or the session revoked', async () => {
    const changes: (Session | null)[] = [];
    const srv = fakeServer((req) =>
      new URL(req.url).pathname === '/api/v1/auth/refresh'
        ? json(401, { error: { code: 'invalid_refresh_token', message: 'no' } })
        : json(401, { error: { code: 'token_expired', message: 'expired' } }),
    );
    const store = memorySessionStore({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 600_000, user, workspace });
    const api = createApiClient({ baseUrl: 'http://h/api/v1', store, fetch: srv.fetch, onSession: (s) => changes.push(s) });
    const err = await unwrap(api.http.GET('/me')).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, code: 'token_expired' });
    expect(store.load()).toBeNull();
    expect(changes).toEqual([null]);

    const revoked = fakeServer(() => json(401, { error: { code: 'session_revoked', message: 'out' } }));
    const store2 = memorySessionStore({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 600_000, user, workspace });
    const api2 = createApiClient({ baseUrl: 'http://h/api/v1', store: store2, fetch: revoked.fetch });
    await unwrap(api2.http.GET('/me')).catch(() => undefined);
    expect(store2.load()).toBeNull();
    expect(revoked.seen.filter((s) => s.path.endsWith('/refresh'))).toHaveLength(0);
  });

  it('uses a token another tab already rotated instead of spending the old refresh token', async () => {
    const srv = fakeServer((req, auth) =>
      new URL(req.url).pathname === '/api/v1/auth/refresh' ? json(401, {}) : auth === 'Bearer a9' ? json(200, { ok: 1 }) : json(401, { error: { code: 'token_expired', message: '' } }),
    );
    const shared = memorySessionStore({ accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 600_000, user, workspace });
    const api = createApiClient({ baseUrl: 'http://h/api/v1', store: shared, fetch: srv.fetch });
    // The "other tab" rotates between our request and its 401.
    const origFetch = srv.fetch;
    let first = true;
    const racing = createApiClient({
      baseUrl: 'http://h/api/v1',
      store: shared,
      fetch: (async (i: RequestInfo | URL, init?: RequestInit) => {
        const res = await origFetch(i, init);
        if (first) {
          first = false;
          shared.save({ accessToken: 'a9', refreshToken: 'r9', expiresAt: Date.now() + 600_000, user, workspace });
        }
        return res;
      }) as typeof fetch,
    });
    expect(await unwrap(racing.http.GET('/me'))).toEqual({ ok: 1 });
    expect(srv.seen.filter((s) => s.path.endsWith('/refresh'))).toHaveLength(0);
    expect(api.session()?.refreshToken).toBe('r9');
  });

  it('reports an unreachable server as a network error', async () => {
    const api = createApiClient({
      baseUrl: 'http://h/api/v1',
      store: memorySessionStore(),
      fetch: (() => Promise.reject(new TypeError('failed'))) as typeof fetch,
    });
    await expect(api.login({ email: 'a', password: 'b' })).rejects.toMatchObject({ code: 'network', status: 0 });
  });
});
