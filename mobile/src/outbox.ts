// The offline outbox: messages, task completions and stage moves are written to
// IndexedDB first and sent from there, one at a time and in the order they were
// made, whenever the connection allows. Every item is idempotent on the server
// (messages carry client_msg_id; a completion or a move that already landed is
// recognised), so sending one again after a lost answer never doubles it. Each
// item shows its state: pending → sending → sent, or failed with a reason and a
// retry.

/**
 * A file sent with a queued message. Uploaded in the composer when the network
 * allows (then only `id` is kept); picked offline, its bytes wait in IndexedDB
 * (`blob`) and the sender uploads them first, keeping the id it got so a later
 * retry does not upload them again.
 */
export interface QueuedFile {
  /** Stable per file within the message (React key, progress). */
  key: string;
  name: string;
  size: number;
  /** The browser's idea of the type (the server sniffs its own). */
  type: string;
  /** The attachment id once uploaded. */
  id?: string;
  blob?: Blob;
}

export type OutboxPayload =
  | { kind: 'message'; chat_id: string; body: string; thread_root_id?: string | null; files?: QueuedFile[] }
  | { kind: 'complete_task'; task_id: string; version: number; title?: string }
  | { kind: 'move_deal'; deal_id: string; stage_id: string; version: number; stage_name?: string };

export type OutboxKind = OutboxPayload['kind'];
export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed';

export interface OutboxItem {
  /** Order of creation; the IndexedDB key. */
  seq: number;
  /** Unique id; a message's client_msg_id. */
  id: string;
  payload: OutboxPayload;
  state: OutboxState;
  /** Why it failed, in words for the user. */
  error?: string;
  attempts: number;
  created_at: string;
  sent_at?: string;
  /** What the server answered (the message, the task, the deal). */
  result?: unknown;
}

/** What sending one item came to. */
export type SendOutcome =
  | { ok: true; result?: unknown }
  /** The server cannot be reached (or had a passing fault): try again later. */
  | { ok: false; retry: true; reason: string }
  /** The server refused it: it will not go through as it is. */
  | { ok: false; retry: false; reason: string };

export interface Sender {
  /**
   * `save` stores a changed payload at once (an upload that went through), so
   * what was done survives a failure of the rest or a reload.
   */
  send(item: OutboxItem, save: (payload: OutboxPayload) => Promise<void>): Promise<SendOutcome>;
}

/** Where items are kept: IndexedDB in the app, memory or fake-indexeddb in tests. */
export interface OutboxStore {
  add(item: Omit<OutboxItem, 'seq'>): Promise<number>;
  put(item: OutboxItem): Promise<void>;
  all(): Promise<OutboxItem[]>;
  delete(seq: number): Promise<void>;
}

export interface OutboxOptions {
  store: OutboxStore;
  sender: Sender;
  newId?: () => string;
  now?: () => Date;
  /** How many sent items to keep for showing their state. */
  keepSent?: number;
  /** Serialises flushes across tabs (Web Locks) when given. */
  lock?: <T>(f: () => Promise<T>) => Promise<T>;
}

type Listener = (items: OutboxItem[]) => void;

export class Outbox {
  private items: OutboxItem[] = [];
  private readonly listeners = new Set<Listener>();
  private flushing: Promise<void> | null = null;
  private again = false;
  private loaded: Promise<void> | null = null;

  constructor(private readonly opts: OutboxOptions) {}

  /** Reads what a previous session left; an item caught mid-send goes back to pending. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const stored = await this.opts.store.all();
      for (const item of stored) {
        if (item.state === 'sending') {
          item.state = 'pending';
          await this.opts.store.put(item);
        }
      }
      this.items = stored.sort((a, b) => a.seq - b.seq);
      this.notify();
    })();
    return this.loaded;
  }

  /** Everything in the outbox, oldest first. */
  list(): OutboxItem[] {
    return this.items.slice();
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Queues one action and starts sending. Resolves once it is stored. */
  async add(payload: OutboxPayload, id?: string): Promise<OutboxItem> {
    await this.load();
    const draft: Omit<OutboxItem, 'seq'> = {
      id: id ?? this.newId(),
      payload,
      state: 'pending',
      attempts: 0,
      created_at: this.now().toISOString(),
    };
    const seq = await this.opts.store.add(draft);
    const item: OutboxItem = { ...draft, seq };
    this.items.push(item);
    this.notify();
    void this.flush();
    return item;
  }

  /** Puts a failed item back in the queue, in its original place. */
  async retry(id: string): Promise<void> {
    const item = this.items.find((i) => i.id === id);
    if (!item || item.state !== 'failed') return;
    await this.update(item, { state: 'pending', error: undefined });
    await this.flush();
  }

  /** Drops an item that is not on its way (a failed one the user gives up on). */
  async discard(id: string): Promise<void> {
    const item = this.items.find((i) => i.id === id);
    if (!item || item.state === 'sending') return;
    await this.opts.store.delete(item.seq);
    this.items = this.items.filter((i) => i !== item);
    this.notify();
  }

  /** Forgets everything (sign-out: another account must not send this one's queue). */
  async clear(): Promise<void> {
    await this.load();
    this.items = [];
    await this.flushing?.catch(() => {});
    for (const item of await this.opts.store.all()) await this.opts.store.delete(item.seq);
    this.items = [];
    this.notify();
  }

  /**
   * Sends every pending item in order. Stops at the first one the server cannot
   * be reached for (the rest wait behind it); a refused one is marked failed and
   * the next goes on. Concurrent calls share one run and trigger another after.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    const run = async () => {
      await this.load();
      do {
        this.again = false;
        const lock = this.opts.lock ?? ((f) => f());
        await lock(() => this.sendAll());
      } while (this.again);
    };
    this.flushing = run().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async sendAll(): Promise<void> {
    // Another tab may have sent some while we waited for the lock.
    const stored = new Map((await this.opts.store.all()).map((i) => [i.seq, i]));
    for (const item of this.items) {
      const fresh = stored.get(item.seq);
      if (fresh && fresh.state !== item.state) Object.assign(item, fresh);
    }
    for (const item of this.items.slice()) {
      if (item.state !== 'pending' || !this.items.includes(item)) continue;
      await this.update(item, { state: 'sending', attempts: item.attempts + 1 });
      let outcome: SendOutcome;
      try {
        outcome = await this.opts.sender.send(item, (payload) => this.update(item, { payload }));
      } catch (e) {
        outcome = { ok: false, retry: true, reason: e instanceof Error ? e.message : String(e) };
      }
      if (outcome.ok) {
        await this.update(item, { state: 'sent', sent_at: this.now().toISOString(), result: outcome.result, error: undefined });
      } else if (outcome.retry) {
        await this.update(item, { state: 'pending', error: outcome.reason });
        return; // offline: everything behind it waits, in order
      } else {
        await this.update(item, { state: 'failed', error: outcome.reason });
      }
    }
    await this.prune();
  }

  private async prune(): Promise<void> {
    const keep = this.opts.keepSent ?? 50;
    const sent = this.items.filter((i) => i.state === 'sent');
    const drop = sent.slice(0, Math.max(0, sent.length - keep));
    if (drop.length === 0) return;
    for (const item of drop) await this.opts.store.delete(item.seq);
    const gone = new Set(drop);
    this.items = this.items.filter((i) => !gone.has(i));
    this.notify();
  }

  private async update(item: OutboxItem, patch: Partial<OutboxItem>): Promise<void> {
    // Discarded or cleared meanwhile: do not bring it back.
    if (!this.items.includes(item)) return;
    Object.assign(item, patch);
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete (item as unknown as Record<string, unknown>)[k];
    }
    await this.opts.store.put({ ...item });
    this.notify();
  }

  private notify(): void {
    const snapshot = this.list();
    for (const fn of this.listeners) fn(snapshot);
  }

  private newId(): string {
    return this.opts.newId?.() ?? crypto.randomUUID();
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }
}

/** A store in memory (tests, and browsers without IndexedDB). */
export function memoryOutboxStore(): OutboxStore {
  const rows = new Map<number, OutboxItem>();
  let next = 1;
  return {
    async add(item) {
      const seq = next++;
      rows.set(seq, structuredClone({ ...item, seq }));
      return seq;
    },
    async put(item) {
      rows.set(item.seq, structuredClone(item));
    },
    async all() {
      return [...rows.values()].map((r) => structuredClone(r));
    },
    async delete(seq) {
      rows.delete(seq);
    },
  };
}
