// A chat's loaded messages as one immutable value, and the pure functions that
// change it: server events, history pages, optimistic sends. Kept free of React
// so it is unit-tested on its own and shared by any view (chat, thread).
import type { Change, ChatEvent, Message } from '../api';

export type LocalState = 'pending' | 'failed';
/** Why a send was refused (the server's code and words), for the failed copy to say. */
export interface SendFailure {
  code: string;
  message: string;
}
export type LocalMessage = Message & { local?: LocalState; failure?: SendFailure };

/**
 * Codes after which the same send may go through (the connection dropped, the
 * server restarted): those get a Retry; a refusal (archived chat, no right)
 * gets its reason instead.
 */
const TRANSIENT = new Set(['closed', 'abandoned', 'network', 'timeout', 'internal', 'unavailable', 'rate_limited']);

export function canRetry(failure: SendFailure | undefined): boolean {
  return !failure || TRANSIENT.has(failure.code);
}

export interface MessageList {
  /** Sorted by seq; pending ones (seq = +∞ for ordering) at the end. */
  items: LocalMessage[];
  /** More history exists before the first item. */
  hasOlder: boolean;
}

export const emptyList: MessageList = { items: [], hasOlder: true };

const bySeq = (a: LocalMessage, b: LocalMessage) => {
  if (a.local && !b.local) return 1;
  if (!a.local && b.local) return -1;
  return a.seq - b.seq;
};

/** Inserts or replaces a committed message (a pending copy with its client_msg_id is replaced). */
export function upsert(list: MessageList, m: Message): MessageList {
  const items = list.items.filter(
    (x) => x.id !== m.id && !(x.local && m.client_msg_id && x.client_msg_id === m.client_msg_id),
  );
  items.push(m);
  items.sort(bySeq);
  return { ...list, items };
}

/** A history page (older or newer) merged in without duplicates. */
export function mergePage(list: MessageList, page: Message[], hasOlder?: boolean): MessageList {
  let next = list;
  for (const m of page) next = upsert(next, m);
  return hasOlder === undefined ? next : { ...next, hasOlder };
}

export function patch(list: MessageList, id: string, f: (m: LocalMessage) => LocalMessage): MessageList {
  let changed = false;
  const items = list.items.map((m) => {
    if (m.id !== id) return m;
    changed = true;
    return f(m);
  });
  return changed ? { ...list, items } : list;
}

/**
 * Applies a chat event to a list of top-level messages (`thread` = null) or to one
 * thread's replies (`thread` = its root id).
 */
export function applyEvent(list: MessageList, event: ChatEvent, thread: string | null): MessageList {
  const c: Change = event.change;
  switch (c.type) {
    case 'message_created': {
      const m = c.message;
      const root = m.thread_root_id ?? null;
      if (root === thread) return upsert(list, m);
      // A reply counts on its root in the chat's list.
      if (thread === null && root) {
        return patch(list, root, (r) => ({ ...r, reply_count: r.reply_count + 1, last_reply_at: m.created_at }));
      }
      return list;
    }
    case 'message_edited':
      return patch(list, c.message.id, (old) => ({ ...c.message, reactions: old.reactions }));
    case 'message_deleted': {
      let next = patch(list, c.message_id, (m) => ({
        ...m,
        body: '',
        html: '',
        attachments: [],
        deleted_at: event.created_at,
      }));
      if (thread === null && c.thread_root_id) {
        next = patch(next, c.thread_root_id, (r) => ({ ...r, reply_count: Math.max(0, r.reply_count - 1) }));
      }
      return next;
    }
    case 'reaction_added':
      return patch(list, c.message_id, (m) => {
        const groups = m.reactions.map((g) => ({ ...g, user_ids: [...g.user_ids] }));
        const g = groups.find((x) => x.emoji === c.emoji);
        if (g) {
          if (g.user_ids.includes(c.user_id)) return m;
          g.user_ids.push(c.user_id);
          g.count += 1;
        } else groups.push({ emoji: c.emoji, count: 1, user_ids: [c.user_id] });
        return { ...m, reactions: groups };
      });
    case 'reaction_removed':
      return patch(list, c.message_id, (m) => ({
        ...m,
        reactions: m.reactions
          .map((g) =>
            g.emoji === c.emoji && g.user_ids.includes(c.user_id)
              ? { ...g, count: g.count - 1, user_ids: g.user_ids.filter((u) => u !== c.user_id) }
              : g,
          )
          .filter((g) => g.count > 0),
      }));
    case 'message_pinned':
      return patch(list, c.message_id, (m) => ({ ...m, pinned_at: event.created_at }));
    case 'message_unpinned':
      return patch(list, c.message_id, (m) => ({ ...m, pinned_at: null }));
    default:
      return list;
  }
}

/** An optimistic message shown at once while the send is in flight. */
export function pendingMessage(input: {
  chatId: string;
  authorId: string;
  body: string;
  clientMsgId: string;
  threadRootId?: string | null;
  now?: Date;
}): LocalMessage {
  return {
    id: `local:${input.clientMsgId}`,
    chat_id: input.chatId,
    seq: Number.MAX_SAFE_INTEGER,
    author_id: input.authorId,
    kind: 'user',
    body: input.body,
    html: '',
    thread_root_id: input.threadRootId ?? null,
    client_msg_id: input.clientMsgId,
    mentions: [],
    mentions_all: false,
    created_at: (input.now ?? new Date()).toISOString(),
    edited_at: null,
    deleted_at: null,
    pinned_at: null,
    reply_count: 0,
    last_reply_at: null,
    reactions: [],
    attachments: [],
    local: 'pending',
  } as LocalMessage;
}

export function setLocal(list: MessageList, clientMsgId: string, local: LocalState, failure?: SendFailure): MessageList {
  return {
    ...list,
    items: list.items.map((m) => (m.local && m.client_msg_id === clientMsgId ? { ...m, local, failure } : m)),
  };
}

/** Drops a pending copy (a slash-command line that ran instead of being posted). */
export function dropLocal(list: MessageList, clientMsgId: string): MessageList {
  return { ...list, items: list.items.filter((m) => !(m.local && m.client_msg_id === clientMsgId)) };
}

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: string }
  | { kind: 'message'; key: string; message: LocalMessage; compact: boolean };

/**
 * What the chat view draws: day separators, the "new messages" marker after the
 * last read seq, and consecutive messages of one author within 5 minutes compacted.
 */
export function toRows(
  items: LocalMessage[],
  opts: { dayKey: (iso: string) => string; dayLabel: (iso: string) => string; lastReadSeq: number | null; me: string },
): Row[] {
  const rows: Row[] = [];
  let prev: LocalMessage | null = null;
  let prevDay = '';
  let markerPlaced = false;
  for (const m of items) {
    const day = opts.dayKey(m.created_at);
    if (day !== prevDay) {
      rows.push({ kind: 'day', key: `day:${day}`, label: opts.dayLabel(m.created_at) });
      prevDay = day;
      prev = null;
    }
    if (
      !markerPlaced &&
      opts.lastReadSeq !== null &&
      !m.local &&
      m.seq > opts.lastReadSeq &&
      m.author_id !== opts.me
    ) {
      rows.push({ kind: 'unread', key: 'unread' });
      markerPlaced = true;
      prev = null;
    }
    const compact =
      prev !== null &&
      prev.author_id === m.author_id &&
      prev.kind === m.kind &&
      m.kind === 'user' &&
      Date.parse(m.created_at) - Date.parse(prev.created_at) < 5 * 60_000;
    rows.push({ kind: 'message', key: m.local ? m.id : `m:${m.id}`, message: m, compact });
    prev = m;
  }
  return rows;
}
