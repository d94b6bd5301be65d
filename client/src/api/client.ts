// The typed REST client shared by web/ and mobile/: openapi-fetch over the
// generated `paths`, with bearer auth, refresh-token rotation and one error shape.
// Framework-free on purpose (no React here), so any client can import it.
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';
import type { TokenResponse, User, Workspace } from './types';

/** What a signed-in client keeps between page loads. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token stops working. */
  expiresAt: number;
  user: User;
  workspace: Workspace;
}

/** Where the session lives: localStorage in browsers, memory in tests. */
export interface SessionStore {
  load(): Session | null;
  save(session: Session | null): void;
}

export function memorySessionStore(initial: Session | null = null): SessionStore {
  let current = initial;
  return {
    load: () => current,
    save: (s) => {
      current = s;
    },
  };
}

export function localStorageSessionStore(key = 'artel.session'): SessionStore {
  return {
    load() {
      try {
        const raw = localStorage.getItem(key);
        return raw ? (JSON.parse(raw) as Session) : null;
      } catch {
        return null;
      }
    },
    save(s) {
      if (s) localStorage.setItem(key, JSON.stringify(s));
      else localStorage.removeItem(key);
    },
  };
}

/** Every failure of the API, with the server's stable `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Builds one from a response body of the `{"error":{…}}` shape, or from anything else. */
  static from(status: number, body: unknown): ApiError {
    const detail = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
    if (detail && typeof detail.code === 'string') {
      return new ApiError(
        status,
        detail.code,
        typeof detail.message === 'string' ? detail.message : detail.code,
        typeof detail.field === 'string' ? detail.field : undefined,
      );
    }
    return new ApiError(status, status === 0 ? 'network' : 'http_' + status, `request failed (${status})`);
  }
}

/** Access-token errors a refresh can cure; anything else on 401 signs out. */
const REFRESHABLE = new Set(['token_expired', 'invalid_token']);
/** Refresh this long before the access token expires. */
const EXPIRY_MARGIN_MS = 30_000;

export interface ApiClientOptions {
  /** Where the API lives; `/api/v1` on the same origin by default. */
  baseUrl?: string;
  store: SessionStore;
  fetch?: typeof fetch;
  now?: () => number;
  /** Called whenever the session changes (sign-in, rotation, sign-out). */
  onSession?: (session: Session | null) => void;
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(options: ApiClientOptions) {
  const baseUrl = options.baseUrl ?? '/api/v1';
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const store = options.store;
  let refreshing: Promise<Session | null> | null = null;

  function setSession(s: Session | null) {
    store.save(s);
    options.onSession?.(s);
  }

  function fromTokens(t: TokenResponse): Session {
    return {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: now() + t.expires_in * 1000,
      user: t.user,
      workspace: t.workspace,
    };
  }

  async function postJson(path: string, body: unknown): Promise<Response> {
    return baseFetch(
      new Request(baseUrl + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  }

  /**
   * Rotates the refresh token once, however many callers ask at the same time.
   * `stale` is the access token the caller found wanting: when the store already
   * holds a different, still valid one (another tab rotated while we waited for
   * the lock), that one is used, since presenting a spent refresh token again
   * would sign the whole session out.
   */
  function refresh(stale: string | null): Promise<Session | null> {
    if (!refreshing) {
      refreshing = withCrossTabLock(async () => {
        const held = store.load();
        if (!held) return null;
        if (held.accessToken !== stale && held.expiresAt - EXPIRY_MARGIN_MS > now()) return held;
        let res: Response;
        try {
          res = await postJson('/auth/refresh', { refresh_token: held.refreshToken });
        } catch {
          return null; // offline: keep the session; the caller's request fails as network
        }
        if (res.ok) {
          const s = fromTokens((await res.json()) as TokenResponse);
          setSession(s);
          return s;
        }
        if (res.status === 401) setSession(null);
        return null;
      }).finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  /** A usable access token, refreshed first when it is about to expire. */
  async function accessToken(): Promise<string | null> {
    const s = store.load();
    if (!s) return null;
    if (s.expiresAt - EXPIRY_MARGIN_MS > now()) return s.accessToken;
    return (await refresh(s.accessToken))?.accessToken ?? null;
  }

  /** fetch with the bearer token; on a curable 401 refreshes once and retries. */
  async function authFetch(input: Request): Promise<Response> {
    const retry = input.clone();
    const token = await accessToken();
    if (token) input.headers.set('authorization', `Bearer ${token}`);
    const res = await baseFetch(input);
    if (res.status !== 401 || !token) return res;
    const code = await res
      .clone()
      .json()
      .then((b: { error?: { code?: string } }) => b.error?.code ?? '')
      .catch(() => '');
    if (!REFRESHABLE.has(code)) {
      if (code === 'session_revoked' || code === 'account_deactivated') setSession(null);
      return res;
    }
    const fresh = await refresh(token);
    if (!fresh) return res;
    retry.headers.set('authorization', `Bearer ${fresh.accessToken}`);
    return baseFetch(retry);
  }

  const http: Client<paths> = createClient<paths>({ baseUrl, fetch: authFetch });

  /** Signs in (or sets up, or accepts an invite): every one returns tokens. */
  async function signInWith(path: '/auth/login' | '/setup' | '/invites/accept', body: unknown) {
    const res = await postJson(path, body).catch(() => {
      throw new ApiError(0, 'network', 'the server cannot be reached');
    });
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) throw ApiError.from(res.status, json);
    const s = fromTokens(json as TokenResponse);
    setSession(s);
    return s;
  }

  return {
    http,
    baseUrl,
    /** fetch with the bearer token and refresh, for calls the generated types do not have yet. */
    authFetch,
    session: () => store.load(),
    accessToken,
    refresh: () => refresh(store.load()?.accessToken ?? null),
    /** Replaces the stored user (after a profile change). */
    updateUser(user: User) {
      const s = store.load();
      if (s) setSession({ ...s, user });
    },
    login: (body: { email: string; password: string; workspace?: string | null }) =>
      signInWith('/auth/login', body),
    setup: (body: {
      workspace_name: string;
      name: string;
      email: string;
      password: string;
      language?: 'ru' | 'en';
      time_zone?: string;
    }) => signInWith('/setup', body),
    /**
     * Creates the invited account, in the browser's time zone when given (the
     * server's default is Moscow): a zone the server does not know is dropped.
     */
    async acceptInvite(body: { token: string; name: string; email: string; password: string; language?: 'ru' | 'en'; time_zone?: string }) {
      try {
        return await signInWith('/invites/accept', body);
      } catch (e) {
        if (!(e instanceof ApiError && e.field === 'time_zone' && body.time_zone)) throw e;
        const { time_zone: _unknown, ...rest } = body;
        return signInWith('/invites/accept', rest);
      }
    },
    /** Signs this session out on the server (best effort) and forgets it here. */
    async logout() {
      try {
        await http.POST('/auth/logout');
      } finally {
        setSession(null);
      }
    },
    /** Uploads a file as the raw body; the server sniffs its type. */
    async upload(chatId: string, file: Blob, filename: string) {
      return unwrap(
        http.POST('/chats/{id}/attachments', {
          params: { path: { id: chatId }, query: { filename } },
          body: file as unknown as string,
          bodySerializer: (b: unknown) => b as BodyInit,
          headers: { 'content-type': 'application/octet-stream' },
        }),
      );
    },
  };
}

/** Turns openapi-fetch's `{data, error, response}` into data, or throws ApiError. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await call;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  if (!r.response.ok) throw ApiError.from(r.response.status, r.error);
  return r.data as T;
}

/** Runs `f` holding a lock shared by every tab of this origin (Web Locks), when available. */
async function withCrossTabLock<T>(f: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks?.request) return locks.request('artel-refresh', f) as Promise<T>;
  return f();
}
