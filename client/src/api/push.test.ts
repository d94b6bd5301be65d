// The Web Push, command-completion and search calls over the generated client:
// URLs and bodies as the server takes them, bearer auth, errors as ApiError,
// "no push on this server" as null.
import { describe, expect, it } from 'vitest';
import { createApiClient, memorySessionStore, ApiError, type Session } from './client';
import { applySuggestion, completeCommand } from './commands';
import { NOTIFICATION_KINDS, push } from './push';
import { search } from './search';

const session = {
  accessToken: 'tok',
  refreshToken: 'r',
  expiresAt: Date.now() + 3_600_000,
  user: { id: 'u1' },
  workspace: { id: 'w1' },
} as unknown as Session;

function client(handle: (req: Request) => Response | Promise<Response>) {
  const seen: { method: string; url: string; auth: string | null; body: string }[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    seen.push({
      method: req.method,
      url: req.url,
      auth: req.headers.get('authorization'),
      body: req.body ? await req.clone().text() : '',
    });
    return handle(req);
  }) as typeof globalThis.fetch;
  const api = createApiClient({ baseUrl: 'http://x/api/v1', store: memorySessionStore(session), fetch });
  return { api, seen };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('push, completion and search calls', () => {
  it('push: key, subscribe, settings, unsubscribe, mute', async () => {
    const { api, seen } = client((req) => {
      const path = new URL(req.url).pathname;
      if (path.endsWith('/push/key')) return json(200, { public_key: 'BKey' });
      if (path.endsWith('/push/subscriptions')) return json(201, { id: 's1', endpoint: 'https://p', device: null, created_at: 'x' });
      if (req.method === 'DELETE') return new Response(null, { status: 204 });
      return json(200, { hide_text: true, dnd: null, kinds: {} });
    });
    expect(await push.key(api)).toBe('BKey');
    const row = await push.subscribe(api, { endpoint: 'https://p', keys: { p256dh: 'k', auth: 'a' }, device: 'Pixel' });
    expect(row.id).toBe('s1');
    expect(JSON.parse(seen[1]!.body)).toEqual({ endpoint: 'https://p', keys: { p256dh: 'k', auth: 'a' }, device: 'Pixel' });
    await push.unsubscribe(api, 's1');
    expect(seen[2]).toMatchObject({ method: 'DELETE', url: 'http://x/api/v1/push/subscriptions/s1' });
    await push.saveSettings(api, { hide_text: true, dnd: { from: '22:00', to: '08:00' }, kinds: {} as never });
    expect(seen[3]).toMatchObject({ method: 'PUT', url: 'http://x/api/v1/me/notifications' });
    await push.mute(api, 'c1', true);
    expect(seen[4]).toMatchObject({ method: 'PUT', url: 'http://x/api/v1/chats/c1/mute', body: '{"muted":true}' });
  });

  it('a server without push answers null for the key', async () => {
    const { api } = client(() => json(404, { error: { code: 'route_not_found', message: 'no' } }));
    expect(await push.key(api)).toBeNull();
  });

  it('network failure is ApiError status 0', async () => {
    const { api } = client(() => {
      throw new TypeError('Failed to fetch');
    });
    const e = await completeCommand(api, 'c1', '/mo').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(0);
  });

  it('applies a completion at a character offset', () => {
    expect(applySuggestion('/mo', { kind: 'command', insert: '/move ', replace_from: 0, label: '/move' })).toBe('/move ');
    // Offsets count characters: a Cyrillic line is not cut in the middle.
    expect(
      applySuggestion('/move перег', { kind: 'stage', insert: 'переговоры', replace_from: 6, label: 'переговоры' }),
    ).toBe('/move переговоры');
    expect(applySuggestion('/x 😀 a', { kind: 'person', insert: '@bob', replace_from: 5, label: 'Bob' })).toBe('/x 😀 @bob');
  });

  it('lists the notification kinds in the order the settings show them', () => {
    expect(NOTIFICATION_KINDS).toEqual(['direct', 'mention', 'thread', 'task_assigned', 'task_reminder', 'deal_assigned']);
  });

  it('search: the query as the server takes it, kinds comma-separated', async () => {
    const { api, seen } = client(() => json(200, { catching_up: false, groups: [] }));
    expect(await search(api, { q: 'договор', kinds: ['deal', 'task'], sort: 'newest', limit: 10, cursor: 'c' })).toEqual({
      catching_up: false,
      groups: [],
    });
    const url = new URL(seen[0]!.url);
    expect(url.pathname).toBe('/api/v1/search');
    expect([...url.searchParams]).toEqual([
      ['q', 'договор'],
      ['kinds', 'deal,task'],
      ['sort', 'newest'],
      ['limit', '10'],
      ['cursor', 'c'],
    ]);
    expect(seen[0]!.auth).toBe('Bearer tok');
    await search(api, { q: 'x', kinds: [], cursor: null });
    expect(new URL(seen[1]!.url).search).toBe('?q=x');
  });

  it('search: an abort stays an abort, a refusal is an ApiError', async () => {
    const ctl = new AbortController();
    const { api } = client(() => {
      ctl.abort();
      throw new DOMException('aborted', 'AbortError');
    });
    const e = await search(api, { q: 'x' }, ctl.signal).catch((x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    const refused = client(() => json(404, { error: { code: 'not_found', message: 'no search' } }));
    const r = await search(refused.api, { q: 'x' }).catch((x: unknown) => x);
    expect(r).toBeInstanceOf(ApiError);
    expect((r as ApiError).code).toBe('not_found');
  });
});
