// The outbox's REST sender: idempotent on retry, a real conflict fails with the reason.
import { describe, expect, it } from 'vitest';
import { createApiClient, memorySessionStore, type Session } from '@artel/client';
import { apiSender } from './sender';
import type { OutboxItem, OutboxPayload } from './outbox';

const session = {
  accessToken: 'tok',
  refreshToken: 'r',
  expiresAt: Date.now() + 3_600_000,
  user: { id: 'u1' },
  workspace: { id: 'w1' },
} as unknown as Session;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function sender(handle: (method: string, path: string, body: unknown) => Response) {
  const seen: string[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const path = new URL(req.url).pathname.replace('/api/v1', '');
    const text = req.body ? await req.text() : '';
    seen.push(`${req.method} ${path} ${text}`);
    const isJson = req.headers.get('content-type')?.includes('json');
    return handle(req.method, path, text ? (isJson ? JSON.parse(text) : text) : null);
  }) as typeof globalThis.fetch;
  const api = createApiClient({ baseUrl: 'http://x/api/v1', store: memorySessionStore(session), fetch });
  const texts = {
    conflictDeal: (stage: string | null) => `moved by someone else${stage ? ` to ${stage}` : ''}`,
    conflictTask: 'task changed',
    offline: 'offline',
    fileGone: (name: string) => `gone ${name}`,
    fileRefused: (name: string, status: number) => `refused ${name} ${status}`,
  };
  return { s: apiSender(api, texts, (id) => (id === 's1' ? 'Lead' : null)), seen };
}

const item = (payload: OutboxPayload, id = 'k1'): OutboxItem => ({
  seq: 1,
  id,
  payload,
  state: 'sending',
  attempts: 1,
  created_at: '2026-11-23T00:00:00Z',
});

describe('apiSender', () => {
  it('sends a message with its outbox id as client_msg_id', async () => {
    const { s, seen } = sender(() => json(201, { id: 'm1', seq: 4 }));
    const out = await s.send(item({ kind: 'message', chat_id: 'c1', body: 'hi', thread_root_id: 'r1' }, 'key-9'));
    expect(out).toEqual({ ok: true, result: { id: 'm1', seq: 4 } });
    expect(seen[0]).toBe('POST /chats/c1/messages {"body":"hi","client_msg_id":"key-9","thread_root_id":"r1"}');
  });

  it('a move whose answer was lost (409, deal already there) counts as sent', async () => {
    const { s } = sender((method) =>
      method === 'POST'
        ? json(409, { error: { code: 'version_conflict', message: 'stale' } })
        : json(200, { id: 'd1', stage_id: 's2', version: 5 }),
    );
    const out = await s.send(item({ kind: 'move_deal', deal_id: 'd1', stage_id: 's2', version: 4 }));
    expect(out).toMatchObject({ ok: true, result: { stage_id: 's2' } });
  });

  it('a move on a deal someone else changed fails with the stage it is in now', async () => {
    const { s } = sender((method) =>
      method === 'POST'
        ? json(409, { error: { code: 'version_conflict', message: 'stale' } })
        : json(200, { id: 'd1', stage_id: 's1', version: 6 }),
    );
    const out = await s.send(item({ kind: 'move_deal', deal_id: 'd1', stage_id: 's3', version: 4 }));
    expect(out).toEqual({ ok: false, retry: false, reason: 'moved by someone else to Lead' });
  });

  it('a completion already done counts as sent; one changed otherwise fails', async () => {
    let status = 'done';
    const { s } = sender((method) =>
      method === 'POST' ? json(409, { error: { code: 'version_conflict', message: 'stale' } }) : json(200, { id: 't1', status }),
    );
    expect(await s.send(item({ kind: 'complete_task', task_id: 't1', version: 1 }))).toMatchObject({ ok: true });
    status = 'open';
    expect(await s.send(item({ kind: 'complete_task', task_id: 't1', version: 1 }))).toEqual({
      ok: false,
      retry: false,
      reason: 'task changed',
    });
  });

  it('no network means try again later; a 403 is final', async () => {
    const offline = sender(() => {
      throw new TypeError('Failed to fetch');
    });
    expect(await offline.s.send(item({ kind: 'message', chat_id: 'c1', body: 'x' }))).toEqual({
      ok: false,
      retry: true,
      reason: 'offline',
    });
    const refused = sender(() => json(403, { error: { code: 'forbidden', message: 'not a member' } }));
    expect(await refused.s.send(item({ kind: 'message', chat_id: 'c1', body: 'x' }))).toEqual({
      ok: false,
      retry: false,
      reason: 'not a member',
    });
  });

  it('a file picked offline is uploaded first; its id is saved, so a retry after a failed send does not upload it again', async () => {
    let posts = 0;
    const { s, seen } = sender((_method, path) => {
      if (path === '/chats/c1/attachments') return json(201, { id: 'a1', filename: 'p.png' });
      posts++;
      return posts === 1 ? json(503, { error: { code: 'unavailable', message: 'busy' } }) : json(201, { id: 'm1', seq: 9 });
    });
    const payload: OutboxPayload = {
      kind: 'message',
      chat_id: 'c1',
      body: '',
      files: [
        { key: 'f1', name: 'p.png', size: 3, type: 'image/png', blob: new Blob(['png']) },
        { key: 'f2', name: 'done.pdf', size: 5, type: 'application/pdf', id: 'a0' },
      ],
    };
    const saved: OutboxPayload[] = [];
    const it1 = item(payload, 'k5');
    const save = async (p: OutboxPayload) => {
      saved.push(p);
      it1.payload = p;
    };
    expect(await s.send(it1, save)).toMatchObject({ ok: false, retry: true });
    expect(saved).toHaveLength(1);
    const files = saved[0]!.kind === 'message' ? saved[0]!.files : [];
    expect(files).toEqual([
      { key: 'f1', name: 'p.png', size: 3, type: 'image/png', id: 'a1' },
      { key: 'f2', name: 'done.pdf', size: 5, type: 'application/pdf', id: 'a0' },
    ]);
    expect(await s.send(it1, save)).toEqual({ ok: true, result: { id: 'm1', seq: 9 } });
    expect(seen.filter((x) => x.startsWith('POST /chats/c1/attachments'))).toHaveLength(1);
    expect(seen.at(-1)).toBe('POST /chats/c1/messages {"body":"","client_msg_id":"k5","thread_root_id":null,"attachment_ids":["a1","a0"]}');
  });

  it('a file the server refuses (413) fails the message with the file named; one whose bytes are gone too', async () => {
    const { s } = sender(() => json(413, { error: { code: 'payload_too_large', message: 'too large' } }));
    const big = item({ kind: 'message', chat_id: 'c1', body: 'x', files: [{ key: 'f', name: 'big.mov', size: 9, type: 'video/mp4', blob: new Blob(['x']) }] });
    expect(await s.send(big)).toEqual({ ok: false, retry: false, reason: 'refused big.mov 413' });
    const gone = item({ kind: 'message', chat_id: 'c1', body: 'x', files: [{ key: 'f', name: 'lost.pdf', size: 9, type: 'application/pdf' }] });
    expect(await s.send(gone)).toEqual({ ok: false, retry: false, reason: 'gone lost.pdf' });
  });
});
