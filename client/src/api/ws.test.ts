import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_PRESENCE_SUB, RealtimeClient, SendError } from './ws';
import type { ChatEvent } from './types';

/** A scripted stand-in for the browser WebSocket: the test plays the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  // Server side:
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  static last() {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }
}

function created(chat: string, seq: number): ChatEvent {
  return {
    chat_id: chat,
    seq,
    created_at: '2026-01-01T00:00:00Z',
    change: { type: 'message_created', message: { id: `m${seq}`, chat_id: chat, seq } },
  } as unknown as ChatEvent;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function client(extra: Partial<ConstructorParameters<typeof RealtimeClient>[0]> = {}) {
  const fetchEvents = vi.fn(async (chat: string, after: number) =>
    [after + 1, after + 2, after + 3].map((s) => created(chat, s)),
  );
  const rt = new RealtimeClient({
    url: 'ws://h/api/v1/ws',
    getToken: async () => 'tok',
    refreshToken: async () => 'tok2',
    fetchEvents,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    random: () => 1,
    ...extra,
  });
  const events: ChatEvent[] = [];
  rt.on('event', (e) => events.push(e));
  return { rt, events, fetchEvents };
}

async function connectReady(chats: { chat_id: string; last_seq: number }[] = [{ chat_id: 'c1', last_seq: 5 }]) {
  await flush();
  const s = FakeSocket.last();
  s.open();
  s.frame({ type: 'ready', user_id: 'u', session_id: 's', chats, heartbeat_secs: 20 });
  return s;
}

beforeEach(() => {
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('realtime client', () => {
  it('authenticates in the first frame and delivers events in order, once', async () => {
    const { rt, events } = client();
    const statuses: string[] = [];
    rt.on('status', (s) => statuses.push(s));
    rt.start();
    const s = await connectReady();
    expect(s.sent[0]).toEqual({ type: 'auth', token: 'tok', cursors: {} });
    s.frame({ type: 'event', ...created('c1', 6) });
    s.frame({ type: 'event', ...created('c1', 6) }); // duplicate
    s.frame({ type: 'event', ...created('c1', 5) }); // old
    s.frame({ type: 'event', ...created('c1', 7) });
    await flush();
    expect(events.map((e) => e.seq)).toEqual([6, 7]);
    expect(rt.cursor('c1')).toBe(7);
    expect(statuses).toContain('open');
  });

  it('fills a gap from the event log before delivering what came after it', async () => {
    const { rt, events, fetchEvents } = client();
    rt.start();
    const s = await connectReady();
    s.frame({ type: 'event', ...created('c1', 9) }); // 6..8 missing
    s.frame({ type: 'event', ...created('c1', 10) });
    await flush();
    await flush();
    expect(fetchEvents).toHaveBeenCalledWith('c1', 5);
    expect(events.map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
  });

  it('asks the app to resync when a gap cannot be filled', async () => {
    const { rt, events } = client({ fetchEvents: async () => Promise.reject(new Error('offline')) });
    const resyncs: [string, number][] = [];
    rt.on('resync', (c, s) => resyncs.push([c, s]));
    rt.start();
    const s = await connectReady();
    s.frame({ type: 'event', ...created('c1', 9) });
    await flush();
    await flush();
    expect(resyncs).toEqual([['c1', 9]]);
    expect(events).toEqual([]);
    s.frame({ type: 'resync', chat_id: 'c1', last_seq: 40 });
    await flush();
    expect(rt.cursor('c1')).toBe(40);
  });

  it('reconnects with backoff and resumes from its cursors and board watches', async () => {
    vi.useFakeTimers();
    const { rt, events } = client({ minDelayMs: 100, maxDelayMs: 1000 });
    rt.start();
    await vi.advanceTimersByTimeAsync(0);
    let s = FakeSocket.last();
    s.open();
    s.frame({ type: 'ready', user_id: 'u', session_id: 's', chats: [{ chat_id: 'c1', last_seq: 5 }], heartbeat_secs: 20 });
    rt.watchBoard('p1');
    s.frame({ type: 'watching', pipeline_id: 'p1', last_seq: 3 });
    s.frame({ type: 'board_event', pipeline_id: 'p1', seq: 4, created_at: '', change: { type: 'stages_changed' } });
    s.frame({ type: 'event', ...created('c1', 6) });
    await vi.advanceTimersByTimeAsync(0);
    s.drop();
    // Backoff grows: 100, 200, 400… (random()=1 gives the ceiling).
    await vi.advanceTimersByTimeAsync(99);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.last().drop();
    await vi.advanceTimersByTimeAsync(199);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    s = FakeSocket.last();
    s.open();
    expect(s.sent[0]).toEqual({ type: 'auth', token: 'tok', cursors: { c1: 6 } });
    s.frame({ type: 'ready', user_id: 'u', session_id: 's', chats: [{ chat_id: 'c1', last_seq: 8 }], heartbeat_secs: 20 });
    expect(s.sent).toContainEqual({ type: 'watch_board', pipeline_id: 'p1', cursor: 4 });
    // The server replays 7 and 8 from our cursor.
    s.frame({ type: 'event', ...created('c1', 7) });
    s.frame({ type: 'event', ...created('c1', 8) });
    await vi.advanceTimersByTimeAsync(0);
    expect(events.map((e) => e.seq)).toEqual([6, 7, 8]);
    rt.stop();
  });

  it('names the chats it had no cursor for on ready, so the app refetches what it loaded before', async () => {
    vi.useFakeTimers();
    const { rt } = client({ minDelayMs: 10 });
    const readies: string[][] = [];
    rt.on('ready', (_c, seeded) => readies.push(seeded));
    rt.start();
    await vi.advanceTimersByTimeAsync(0);
    let s = FakeSocket.last();
    s.open();
    s.frame({ type: 'ready', user_id: 'u', session_id: 's', chats: [{ chat_id: 'c1', last_seq: 5 }], heartbeat_secs: 20 });
    s.drop();
    await vi.advanceTimersByTimeAsync(10);
    s = FakeSocket.last();
    s.open();
    // c1 resumes from its cursor (replayed); c2 is new to this client.
    s.frame({
      type: 'ready',
      user_id: 'u',
      session_id: 's',
      chats: [
        { chat_id: 'c1', last_seq: 7 },
        { chat_id: 'c2', last_seq: 3 },
      ],
      heartbeat_secs: 20,
    });
    expect(readies).toEqual([['c1'], ['c2']]);
    rt.stop();
  });

  it('re-sends unacknowledged messages after a reconnect and resolves on ack', async () => {
    vi.useFakeTimers();
    const { rt } = client({ minDelayMs: 10 });
    rt.start();
    await vi.advanceTimersByTimeAsync(0);
    let s = FakeSocket.last();
    s.open();
    s.frame({ type: 'ready', user_id: 'u', session_id: 's', chats: [], heartbeat_secs: 20 });
    const sent = rt.send({ chat_id: 'c1', body: 'hi', client_msg_id: 'k1' });
    expect(s.sent[1]).toMatchObject({ type: 'send', client_msg_id: 'k1', body: 'hi' });
    s.drop();
    await vi.advanceTimersByTimeAsync(10);
    s = FakeSocket.last();
    s.open();
    s.frame({ type: 'ready', user_id: 'u', session_id: 's', chats: [], heartbeat_secs: 20 });
    expect(s.sent.filter((f) => f.type === 'send')).toHaveLength(1);
    s.frame({ type: 'ack', client_msg_id: 'k1', message: { id: 'm1', seq: 1 } });
    await expect(sent).resolves.toMatchObject({ id: 'm1' });
    const refused = rt.send({ chat_id: 'c1', body: '', client_msg_id: 'k2' });
    s.frame({ type: 'error', code: 'invalid', message: 'empty', ref: 'k2' });
    await expect(refused).rejects.toBeInstanceOf(SendError);
    rt.stop();
  });

  it('settles a slash-command sent over the socket with its result or its usage', async () => {
    const { rt } = client();
    rt.start();
    const s = await connectReady([]);
    const results: [string, string][] = [];
    rt.on('command', (id, r) => results.push([id, r.text]));
    const ran = rt.send({ chat_id: 'c1', body: '/task call', client_msg_id: 'k1' });
    s.frame({ type: 'command_result', client_msg_id: 'k1', result: { id: 'r1', command: 'task', text: 'Task created', data: {} } });
    await expect(ran).rejects.toMatchObject({ code: 'command_ran', message: 'Task created' });
    expect(results).toEqual([['k1', 'Task created']]);
    const refused = rt.send({ chat_id: 'c1', body: '/task call !someday', client_msg_id: 'k2' });
    s.frame({ type: 'error', code: 'bad_priority', message: 'No such priority', ref: 'k2', usage: '/task <text>' });
    await expect(refused).rejects.toMatchObject({ code: 'bad_priority', usage: '/task <text>' });
    rt.stop();
  });

  it('refreshes the token once on 4401 and signs out on 4403', async () => {
    const refreshToken = vi.fn(async () => 'tok2');
    const { rt } = client({ refreshToken, minDelayMs: 1 });
    const out = vi.fn();
    rt.on('signedOut', out);
    rt.start();
    await flush();
    FakeSocket.last().open();
    FakeSocket.last().drop(4401);
    await new Promise((r) => setTimeout(r, 10));
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(FakeSocket.all).toHaveLength(2);
    await connectReady();
    FakeSocket.last().drop(4403);
    await flush();
    expect(out).toHaveBeenCalledTimes(1);
    expect(rt.status).toBe('closed');
  });

  it('keeps the session while a token cannot be had (offline, server restarting) and reconnects later', async () => {
    vi.useFakeTimers();
    let online = false;
    const getToken = vi.fn(async () => (online ? 'tok' : null));
    const refreshToken = vi.fn(async () => (online ? 'tok2' : null));
    const { rt } = client({ getToken, refreshToken, hasSession: () => true, minDelayMs: 100, maxDelayMs: 400 });
    const out = vi.fn();
    rt.on('signedOut', out);
    rt.start();
    await vi.advanceTimersByTimeAsync(0);
    // The access token expired and the refresh cannot reach the server: no socket, no sign-out.
    expect(FakeSocket.all).toHaveLength(0);
    expect(rt.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1000);
    expect(out).not.toHaveBeenCalled();
    online = true;
    await vi.advanceTimersByTimeAsync(400);
    const s = FakeSocket.last();
    s.open();
    expect(s.sent[0]).toMatchObject({ type: 'auth', token: 'tok' });
    // Refused, and the refresh fails for want of a server: retry, still signed in.
    online = false;
    s.drop(4401);
    await vi.advanceTimersByTimeAsync(0);
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(out).not.toHaveBeenCalled();
    expect(rt.status).toBe('reconnecting');
    rt.stop();
  });

  it('signs out when no token can be had and no session is held', async () => {
    const { rt } = client({ getToken: async () => null, hasSession: () => false });
    const out = vi.fn();
    rt.on('signedOut', out);
    rt.start();
    await flush();
    expect(out).toHaveBeenCalledTimes(1);
    expect(rt.status).toBe('closed');
  });

  it('drops board events it already has and asks for a reload after a hole', async () => {
    const { rt } = client();
    const seen: number[] = [];
    const reloads: string[] = [];
    rt.on('board', (e) => seen.push(e.seq));
    rt.on('boardResync', (p) => reloads.push(p));
    rt.start();
    const s = await connectReady();
    rt.watchBoard('p1');
    expect(s.sent).toContainEqual({ type: 'watch_board', pipeline_id: 'p1' });
    s.frame({ type: 'watching', pipeline_id: 'p1', last_seq: 10 });
    const ev = (seq: number) => ({ type: 'board_event', pipeline_id: 'p1', seq, created_at: '', change: { type: 'deal_removed', deal_id: 'd' } });
    s.frame(ev(11));
    s.frame(ev(11));
    s.frame(ev(14));
    s.frame({ ...ev(15), pipeline_id: 'unwatched' });
    expect(seen).toEqual([11]);
    expect(reloads).toEqual(['p1']);
  });
});

describe('focus (Web Push: no pushes for the chat on screen)', () => {
  it('sends focus and blur, and focus again after a reconnect', async () => {
    const { rt } = client({ minDelayMs: 1, maxDelayMs: 1 });
    rt.focus('c1'); // before the socket is ready: remembered, not sent
    rt.start();
    const s = await connectReady();
    expect(s.sent.filter((f) => f.type === 'focus')).toEqual([{ type: 'focus', chat_id: 'c1' }]);
    rt.focus(null);
    expect(s.sent.at(-1)).toEqual({ type: 'blur' });
    rt.focus('c2');
    s.drop();
    await new Promise((r) => setTimeout(r, 10));
    const s2 = await connectReady();
    expect(s2).not.toBe(s);
    expect(s2.sent.filter((f) => f.type === 'focus')).toEqual([{ type: 'focus', chat_id: 'c2' }]);
    rt.stop();
  });
});

describe('presence_sub (follow only the people on screen)', () => {
  it('sends the set once per change, and again after a reconnect', async () => {
    const { rt } = client({ minDelayMs: 1, maxDelayMs: 1 });
    rt.watchPresence(['u2', 'u1', 'u2']); // before the socket is ready: remembered
    rt.start();
    const s = await connectReady();
    const subs = (sock: typeof s) => sock.sent.filter((f) => f.type === 'presence_sub');
    expect(subs(s)).toEqual([{ type: 'presence_sub', user_ids: ['u1', 'u2'] }]);
    rt.watchPresence(['u1', 'u2']); // the same set: nothing sent
    expect(subs(s)).toHaveLength(1);
    rt.watchPresence(['u3']);
    expect(subs(s).at(-1)).toEqual({ type: 'presence_sub', user_ids: ['u3'] });
    s.drop();
    await new Promise((r) => setTimeout(r, 10));
    const s2 = await connectReady();
    expect(s2).not.toBe(s);
    expect(subs(s2)).toEqual([{ type: 'presence_sub', user_ids: ['u3'] }]);
    rt.stop();
  });

  it('never asks for more than the server allows', async () => {
    const { rt } = client({ minDelayMs: 1, maxDelayMs: 1 });
    rt.start();
    const s = await connectReady();
    rt.watchPresence(Array.from({ length: MAX_PRESENCE_SUB + 20 }, (_, i) => `u${String(i).padStart(4, '0')}`));
    const sent = s.sent.filter((f) => f.type === 'presence_sub').at(-1) as { user_ids: string[] };
    expect(sent.user_ids).toHaveLength(MAX_PRESENCE_SUB);
    rt.stop();
  });
});
