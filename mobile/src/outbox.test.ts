// The outbox over a real IndexedDB implementation (fake-indexeddb): order, one
// send per item, offline waits, refusals fail with a reason and can be retried,
// and a reload picks up where it stopped.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { idbOutboxStore, openDb, ReadCache, RECENT_CHATS } from './db';
import { Outbox, memoryOutboxStore, type OutboxItem, type SendOutcome, type Sender } from './outbox';
import { outcomeOf } from './sender';
import { ApiError } from '@artel/client';

let dbCount = 0;
const freshDb = () => openDb(`test-${++dbCount}`);

/** A sender that records what it was given and answers from a script. */
function scripted(answer: (item: OutboxItem, n: number) => SendOutcome | Promise<SendOutcome>) {
  const calls: OutboxItem[] = [];
  const sender: Sender = {
    async send(item) {
      calls.push(structuredClone(item));
      return answer(item, calls.length);
    },
  };
  return { sender, calls };
}

const msg = (body: string) => ({ kind: 'message' as const, chat_id: 'c1', body });

describe('outbox', () => {
  it('keeps a file picked offline in IndexedDB, and what the sender saves mid-send survives a reload', async () => {
    const db = await freshDb();
    const sender: Sender = {
      async send(item, save) {
        if (item.payload.kind !== 'message') return { ok: true };
        await save({ ...item.payload, files: (item.payload.files ?? []).map(({ blob: _b, ...f }) => ({ ...f, id: 'a1' })) });
        return { ok: false, retry: true, reason: 'offline' };
      },
    };
    const box = new Outbox({ store: idbOutboxStore(db), sender });
    const blob = new Blob(['%PDF-1.4']);
    await box.add({ kind: 'message', chat_id: 'c1', body: '', files: [{ key: 'f', name: 'a.pdf', size: 8, type: 'application/pdf', blob }] });
    await box.flush();
    const again = new Outbox({ store: idbOutboxStore(db), sender });
    await again.load();
    const [stored] = again.list();
    expect(stored?.state).toBe('pending');
    expect(stored?.payload).toEqual({ kind: 'message', chat_id: 'c1', body: '', files: [{ key: 'f', name: 'a.pdf', size: 8, type: 'application/pdf', id: 'a1' }] });
  });

  it('sends in order, each once, and keeps the state', async () => {
    const db = await freshDb();
    const { sender, calls } = scripted(() => ({ ok: true }));
    let n = 0;
    const box = new Outbox({ store: idbOutboxStore(db), sender, newId: () => `id-${++n}` });
    await box.add(msg('one'));
    await box.add(msg('two'));
    await box.add({ kind: 'complete_task', task_id: 't1', version: 3 });
    await box.flush();
    expect(calls.map((c) => c.id)).toEqual(['id-1', 'id-2', 'id-3']);
    expect(box.list().map((i) => i.state)).toEqual(['sent', 'sent', 'sent']);
    await box.flush();
    expect(calls).toHaveLength(3);
    const stored = await db.getAll('outbox');
    expect(stored.map((i) => i.state)).toEqual(['sent', 'sent', 'sent']);
  });

  it('waits while offline, in order, and goes when the connection returns', async () => {
    const db = await freshDb();
    let online = false;
    const { sender, calls } = scripted(() =>
      online ? { ok: true } : { ok: false, retry: true, reason: 'offline' },
    );
    const box = new Outbox({ store: idbOutboxStore(db), sender });
    const a = await box.add(msg('a'));
    const b = await box.add(msg('b'));
    const c = await box.add({ kind: 'move_deal', deal_id: 'd', stage_id: 's', version: 1 });
    await box.flush();
    // Only the first was tried: the rest wait behind it.
    expect(new Set(calls.map((x) => x.id))).toEqual(new Set([a.id]));
    expect(box.list().map((i) => i.state)).toEqual(['pending', 'pending', 'pending']);
    online = true;
    const before = calls.length;
    await box.flush();
    expect(calls.slice(before).map((x) => x.id)).toEqual([a.id, b.id, c.id]);
    expect(box.list().every((i) => i.state === 'sent')).toBe(true);
  });

  it('marks a refused item failed with its reason, goes on, and retries it on request', async () => {
    const db = await freshDb();
    let refuse = true;
    const { sender, calls } = scripted((item) =>
      item.payload.kind === 'move_deal' && refuse
        ? { ok: false, retry: false, reason: 'The deal was changed by someone else' }
        : { ok: true },
    );
    const box = new Outbox({ store: idbOutboxStore(db), sender });
    const move = await box.add({ kind: 'move_deal', deal_id: 'd', stage_id: 's', version: 1 });
    await box.add(msg('after'));
    await box.flush();
    const [m, after] = box.list();
    expect(m?.state).toBe('failed');
    expect(m?.error).toBe('The deal was changed by someone else');
    expect(after?.state).toBe('sent');
    refuse = false;
    await box.retry(move.id);
    expect(box.list()[0]?.state).toBe('sent');
    expect(box.list()[0]?.error).toBeUndefined();
    expect(calls.filter((c) => c.id === move.id)).toHaveLength(2);
  });

  it('survives a reload: an item caught mid-send is sent again with the same id', async () => {
    const db = await freshDb();
    const store = idbOutboxStore(db);
    // A previous page died while sending.
    const never: Sender = { send: () => new Promise<SendOutcome>(() => {}) };
    const first = new Outbox({ store, sender: never });
    const item = await first.add(msg('x'));
    await new Promise((r) => setTimeout(r, 10));
    expect((await db.getAll('outbox'))[0]?.state).toBe('sending');

    const { sender, calls } = scripted(() => ({ ok: true }));
    const second = new Outbox({ store, sender });
    await second.load();
    expect(second.list()[0]?.state).toBe('pending');
    await second.flush();
    expect(calls.map((c) => c.id)).toEqual([item.id]);
    expect(second.list()[0]?.state).toBe('sent');
  });

  it('runs one flush at a time however often it is asked', async () => {
    let inFlight = 0;
    let most = 0;
    const sender: Sender = {
      async send() {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return { ok: true };
      },
    };
    const box = new Outbox({ store: memoryOutboxStore(), sender });
    await Promise.all([box.add(msg('1')), box.add(msg('2')), box.add(msg('3')), box.flush(), box.flush()]);
    await box.flush();
    expect(most).toBe(1);
    expect(box.list().map((i) => i.state)).toEqual(['sent', 'sent', 'sent']);
  });

  it('keeps a bounded number of sent items and can discard a failed one', async () => {
    const { sender } = scripted((item) =>
      item.payload.kind === 'message' && item.payload.body === 'bad' ? { ok: false, retry: false, reason: 'no' } : { ok: true },
    );
    const box = new Outbox({ store: memoryOutboxStore(), sender, keepSent: 2 });
    for (const b of ['1', '2', 'bad', '3', '4']) await box.add(msg(b));
    await box.flush();
    const left = box.list().map((i) => (i.payload.kind === 'message' ? i.payload.body : ''));
    expect(left).toEqual(['bad', '3', '4']);
    const bad = box.list()[0]!;
    await box.discard(bad.id);
    expect(box.list()).toHaveLength(2);
  });

  it('clear forgets every item', async () => {
    const db = await freshDb();
    const box = new Outbox({ store: idbOutboxStore(db), sender: { send: async () => ({ ok: false, retry: true, reason: 'x' }) } });
    await box.add(msg('a'));
    await box.add(msg('b'));
    await box.clear();
    expect(box.list()).toEqual([]);
    expect(await db.getAll('outbox')).toEqual([]);
  });

  it('notifies listeners of every state change', async () => {
    const { sender } = scripted(() => ({ ok: true }));
    const box = new Outbox({ store: memoryOutboxStore(), sender });
    const seen: string[] = [];
    box.subscribe((items) => seen.push(items.map((i) => i.state).join(',')));
    await box.add(msg('x'));
    await box.flush();
    expect(seen).toContain('pending');
    expect(seen).toContain('sending');
    expect(seen.at(-1)).toBe('sent');
  });
});

describe('send outcomes', () => {
  it('retries network trouble and server faults, not refusals', () => {
    expect(outcomeOf(new ApiError(0, 'network', 'x'), 'offline')).toEqual({ ok: false, retry: true, reason: 'offline' });
    expect(outcomeOf(new ApiError(503, 'unavailable', 'busy'), 'offline')).toMatchObject({ retry: true });
    expect(outcomeOf(new ApiError(429, 'rate_limited', 'slow'), 'offline')).toMatchObject({ retry: true });
    expect(outcomeOf(new ApiError(403, 'forbidden', 'not yours'), 'offline')).toEqual({
      ok: false,
      retry: false,
      reason: 'not yours',
    });
    expect(outcomeOf(new TypeError('Failed to fetch'), 'offline')).toMatchObject({ retry: true });
  });
});

describe('read cache', () => {
  it('keeps the most recently opened chats only', async () => {
    const cache = new ReadCache(await freshDb());
    for (let i = 0; i < RECENT_CHATS + 3; i++) {
      await cache.set(`history:${i}`, [i]);
      await new Promise((r) => setTimeout(r, 1));
    }
    await cache.set('chats', ['list']);
    expect(await cache.get('history:0')).toBeUndefined();
    expect(await cache.get(`history:${RECENT_CHATS + 2}`)).toEqual([RECENT_CHATS + 2]);
    expect(await cache.get('chats')).toEqual(['list']);
  });
});
