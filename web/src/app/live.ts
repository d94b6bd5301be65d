// Feeds the socket's events into TanStack Query's cache, so every screen that
// shows a chat, its list entry or a thread updates live, and holds the
// short-lived state the server does not store (typing, presence).
import { useSyncExternalStore } from 'react';
import type { QueryClient } from '@tanstack/react-query';
import type { ChatEvent, ChatSummary, EntityRef, Ephemeral, Member, PresenceStatus, User } from '@artel/client';
import { listMatchesCursors } from '../state/cursors';
import { applyEvent, type MessageList } from '@artel/client/state/messages';
import { realtime } from './session';

export const keys = {
  chats: ['chats'] as const,
  users: ['users'] as const,
  messages: (chatId: string) => ['messages', chatId] as const,
  members: (chatId: string) => ['members', chatId] as const,
  thread: (rootId: string) => ['thread', rootId] as const,
  pipelines: ['pipelines'] as const,
  board: (pipelineId: string) => ['board', pipelineId] as const,
  myTasks: ['tasks', 'mine'] as const,
};

/**
 * Record views (deal, contact, company cards, boards, task lists) after a
 * change made elsewhere than on them, such as a slash-command in a record's
 * chat: what they hold is stale, and a move from a stale version is refused.
 * With `entity`, only that record's card (boards and task lists always).
 */
export function refreshRecords(qc: QueryClient, entity?: EntityRef | null) {
  if (entity) void qc.invalidateQueries({ queryKey: [entity.kind, entity.id] });
  else for (const k of ['deal', 'contact', 'company']) void qc.invalidateQueries({ queryKey: [k] });
  void qc.invalidateQueries({ queryKey: ['board'] });
  void qc.invalidateQueries({ queryKey: ['tasks'] });
  void qc.invalidateQueries({ queryKey: ['task'] });
}

/** Ids already asked for, so an id the directory does not list is asked about once. */
const askedUsers = new Set<string>();
/**
 * Someone this client does not know yet (a teammate who joined after the
 * directory loaded) wrote, was mentioned or was added: reload the directory,
 * so they are named and found by Ctrl+K without a page reload.
 */
export function learnUsers(qc: QueryClient, ids: Iterable<string | null | undefined>) {
  const list = qc.getQueryData<User[]>(keys.users);
  if (!list) return; // its first load is still to come and will have them
  const missing = [...ids].filter((id): id is string => !!id && !askedUsers.has(id) && !list.some((u) => u.id === id));
  if (!missing.length) return;
  missing.forEach((id) => askedUsers.add(id));
  void qc.invalidateQueries({ queryKey: keys.users });
}

/** The chat the user is looking at (its messages count as read). */
let activeChat: string | null = null;
export function setActiveChat(id: string | null) {
  activeChat = id;
}
export function activeChatId(): string | null {
  return activeChat;
}

type Typing = Map<string, Map<string, number>>;
let typing: Typing = new Map();
const presence = new Map<string, PresenceStatus>();
const ephemeralListeners = new Set<() => void>();
let ephemeralVersion = 0;
function bump() {
  ephemeralVersion += 1;
  ephemeralListeners.forEach((l) => l());
}

export function useEphemeral(): number {
  return useSyncExternalStore(
    (l) => {
      ephemeralListeners.add(l);
      return () => ephemeralListeners.delete(l);
    },
    () => ephemeralVersion,
  );
}

export function typingIn(chatId: string, me: string, now = Date.now()): string[] {
  const m = typing.get(chatId);
  if (!m) return [];
  return [...m.entries()].filter(([u, until]) => u !== me && until > now).map(([u]) => u);
}

export function presenceOf(userId: string): PresenceStatus {
  return presence.get(userId) ?? 'offline';
}

export function setPresence(entries: { user_id: string; status: string }[]) {
  for (const e of entries) presence.set(e.user_id, e.status as PresenceStatus);
  bump();
}

export function connectLive(qc: QueryClient, me: () => string | undefined): () => void {
  const offs = [
    realtime.on('event', (e) => onEvent(qc, e, me())),
    realtime.on('resync', (chatId) => {
      void qc.invalidateQueries({ queryKey: keys.messages(chatId) });
      void qc.invalidateQueries({ queryKey: keys.chats });
    }),
    realtime.on('ready', (chats, seeded) => {
      // The list may predate the socket: load it again unless it is as new.
      if (!listMatchesCursors(qc.getQueryData<ChatSummary[]>(keys.chats), chats)) void qc.invalidateQueries({ queryKey: keys.chats });
      // History loaded before the socket had a cursor for the chat may miss
      // what was sent meanwhile (the server replays only from a cursor).
      for (const chatId of seeded) {
        if (qc.getQueryState(keys.messages(chatId))) void qc.invalidateQueries({ queryKey: keys.messages(chatId) });
      }
      if (seeded.length) void qc.invalidateQueries({ queryKey: ['thread'] });
      // Tasks assigned while the socket was away were told to no one: reload.
      void qc.invalidateQueries({ queryKey: keys.myTasks });
    }),
    realtime.on('ephemeral', (e) => onEphemeral(qc, e, me())),
  ];
  const sweep = setInterval(() => {
    const now = Date.now();
    let changed = false;
    const next: Typing = new Map();
    for (const [chat, m] of typing) {
      const live = new Map([...m].filter(([, until]) => until > now));
      if (live.size !== m.size) changed = true;
      if (live.size) next.set(chat, live);
    }
    if (changed) {
      typing = next;
      bump();
    }
  }, 1000);
  return () => {
    offs.forEach((o) => o());
    clearInterval(sweep);
  };
}

function onEvent(qc: QueryClient, e: ChatEvent, me: string | undefined) {
  qc.setQueryData<MessageList>(keys.messages(e.chat_id), (l) => (l ? applyEvent(l, e, null) : l));
  const c = e.change;
  if (c.type === 'message_created' && c.message.thread_root_id) {
    qc.setQueryData<MessageList>(keys.thread(c.message.thread_root_id), (l) =>
      l ? applyEvent(l, e, c.message.thread_root_id ?? null) : l,
    );
  } else if (c.type !== 'message_created') {
    // Edits, deletions and reactions may concern a reply in an open thread.
    for (const q of qc.getQueryCache().findAll({ queryKey: ['thread'] })) {
      const root = q.queryKey[1] as string;
      qc.setQueryData<MessageList>(keys.thread(root), (l) => (l ? applyEvent(l, e, root) : l));
    }
  }
  if (c.type === 'message_created') learnUsers(qc, [c.message.author_id, ...c.message.mentions]);
  if (c.type === 'message_pinned' || c.type === 'message_unpinned') void qc.invalidateQueries({ queryKey: ['pins', e.chat_id] });
  // The chat's Files panel (c-files): a message with files came, or one went.
  if ((c.type === 'message_created' && c.message.attachments.length > 0) || c.type === 'message_deleted')
    void qc.invalidateQueries({ queryKey: ['files', e.chat_id] });
  if (c.type === 'member_added') learnUsers(qc, [c.user_id]);
  if (c.type === 'message_created' && c.message.kind !== 'user') {
    // A command or a bot changed the chat's record (stage, task): its card
    // and the boards show it at once, for everyone in the chat.
    const entity = qc.getQueryData<ChatSummary[]>(keys.chats)?.find((s) => s.chat.id === e.chat_id)?.chat.entity;
    if (entity) refreshRecords(qc, entity);
  }
  if (c.type === 'message_created') {
    // A message ends the author's typing notice.
    if (c.message.author_id && typing.get(e.chat_id)?.delete(c.message.author_id)) bump();
    const known = qc.getQueryData<ChatSummary[]>(keys.chats);
    if (known && !known.some((s) => s.chat.id === e.chat_id)) {
      void qc.invalidateQueries({ queryKey: keys.chats });
      return;
    }
    qc.setQueryData<ChatSummary[]>(keys.chats, (list) =>
      list
        ?.map((s) => {
          if (s.chat.id !== e.chat_id) return s;
          const mine = c.message.author_id === me;
          const topLevel = !c.message.thread_root_id;
          const counts = !mine && topLevel && activeChat !== e.chat_id;
          const mentioned = counts && (c.message.mentions.includes(me ?? '') || c.message.mentions_all);
          return {
            ...s,
            chat: { ...s.chat, last_seq: e.seq, last_activity_at: e.created_at },
            last_message: topLevel ? c.message : s.last_message,
            unread_count: s.unread_count + (counts ? 1 : 0),
            mention_count: s.mention_count + (mentioned ? 1 : 0),
          };
        })
        .sort((a, b) => (a.chat.last_activity_at < b.chat.last_activity_at ? 1 : -1)),
    );
  } else if (c.type === 'chat_updated' || c.type === 'member_added' || c.type === 'member_removed') {
    void qc.invalidateQueries({ queryKey: keys.chats });
    // The members panel and the header's count follow who came and went.
    if (c.type !== 'chat_updated') void qc.invalidateQueries({ queryKey: keys.members(e.chat_id) });
    // A chat open without its summary (not a member's list) follows too: an
    // archived deal chat turns read-only at once.
    else qc.setQueryData(['chat', c.chat.id], c.chat);
  }
}

function onEphemeral(qc: QueryClient, e: Ephemeral, me: string | undefined) {
  switch (e.type) {
    case 'typing': {
      const m = typing.get(e.chat_id) ?? new Map<string, number>();
      m.set(e.user_id, Date.now() + 5000);
      typing.set(e.chat_id, m);
      bump();
      break;
    }
    case 'presence_changes':
      // A digest of who changed since the last one (at most one a second).
      setPresence(e.entries);
      break;
    case 'read_up_to':
      // Who has read how far: the author's "seen by" line.
      qc.setQueryData<Member[]>(keys.members(e.chat_id), (list) =>
        list?.map((m) => (m.user_id === e.user_id && e.seq > m.last_read_seq ? { ...m, last_read_seq: e.seq } : m)),
      );
      if (e.user_id === me) {
        qc.setQueryData<ChatSummary[]>(keys.chats, (list) =>
          list?.map((s) =>
            s.chat.id === e.chat_id && e.seq >= s.last_read_seq
              ? { ...s, last_read_seq: e.seq, unread_count: 0, mention_count: 0 }
              : s,
          ),
        );
      }
      break;
    case 'joined_chat':
      void qc.invalidateQueries({ queryKey: keys.chats });
      break;
    case 'task_reminder':
      void qc.invalidateQueries({ queryKey: keys.myTasks });
      window.dispatchEvent(new CustomEvent('artel:reminder', { detail: e }));
      break;
    case 'task_assigned':
    case 'task_unassigned':
      // Given a task or taken off one (by someone, a command or a stage rule):
      // "My tasks" and any task list or open task reload at once.
      void qc.invalidateQueries({ queryKey: ['tasks'] });
      void qc.invalidateQueries({ queryKey: ['task', e.task_id] });
      break;
    case 'client_merged':
      // Someone merged two clients: both cards read again (the merged-away one
      // then opens the survivor), as do lists, deals, tasks and chats of them.
      void qc.invalidateQueries({ queryKey: [e.kind, e.from_id] });
      void qc.invalidateQueries({ queryKey: [e.kind, e.into_id] });
      void qc.invalidateQueries({ queryKey: [e.kind === 'contact' ? 'contacts' : 'companies'] });
      void qc.invalidateQueries({ queryKey: [e.kind, 'duplicates'] });
      void qc.invalidateQueries({ queryKey: ['deals'] });
      void qc.invalidateQueries({ queryKey: ['tasks'] });
      void qc.invalidateQueries({ queryKey: keys.chats });
      break;
    default:
      break;
  }
}
