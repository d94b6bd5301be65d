// The client's IndexedDB: the outbox, and a read cache of what was last seen
// (chats, recently opened chats' history, tasks, deals) for reading offline.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { OutboxItem, OutboxStore } from './outbox';

interface ArtelDB extends DBSchema {
  outbox: { key: number; value: OutboxItem; indexes: { id: string } };
  cache: { key: string; value: { key: string; at: number; value: unknown } };
}

export type Db = IDBPDatabase<ArtelDB>;

export function openDb(name = 'artel-mobile'): Promise<Db> {
  return openDB<ArtelDB>(name, 1, {
    upgrade(db) {
      const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
      outbox.createIndex('id', 'id', { unique: true });
      db.createObjectStore('cache', { keyPath: 'key' });
    },
  });
}

export function idbOutboxStore(db: Db): OutboxStore {
  return {
    async add(item) {
      // The key path fills `seq`; the cast is because the item has none yet.
      return db.add('outbox', item as OutboxItem);
    },
    async put(item) {
      await db.put('outbox', item);
    },
    all: () => db.getAll('outbox'),
    async delete(seq) {
      await db.delete('outbox', seq);
    },
  };
}

/** How many chats' histories are kept for offline reading. */
export const RECENT_CHATS = 20;

/** The read cache: last good answer per key, with recently opened chats' history bounded. */
export class ReadCache {
  constructor(private readonly db: Db) {}

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.db.get('cache', key))?.value as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db.put('cache', { key, at: Date.now(), value });
    if (key.startsWith('history:')) await this.trimHistories();
  }

  async clear(): Promise<void> {
    await this.db.clear('cache');
  }

  private async trimHistories(): Promise<void> {
    const all = await this.db.getAll('cache');
    const histories = all.filter((r) => r.key.startsWith('history:')).sort((a, b) => b.at - a.at);
    for (const old of histories.slice(RECENT_CHATS)) await this.db.delete('cache', old.key);
  }
}
