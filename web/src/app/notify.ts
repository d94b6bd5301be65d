// Desktop notifications, the favicon's unread badge and an optional sound.
// The server pushes to subscribed devices; an open tab shows its own
// notifications from the socket's events with the same rules (src/state/notify).
// Permission is asked only from Settings, never on page load.
import { useSyncExternalStore } from 'react';
import type { QueryClient } from '@tanstack/react-query';
import type { ChatSummary, Message, MyTasks, Task } from '@artel/client';
import { unwrap } from '@artel/client';
import type { Translator } from '@artel/client/i18n';
import { badgeText, clockIn, inQuietHours, notifyReason, type Kinds } from '../state/notify';
import { chatName, userName } from './names';
import { activeChatId, keys } from './live';
import { navigate } from './router';
import { api, realtime } from './session';
import type { MessageList } from '@artel/client/state/messages';

interface Prefs {
  enabled: boolean;
  sound: boolean;
}
const PREFS_KEY = 'artel.notify';
const MUTED_KEY = 'artel.muted';

function loadPrefs(): Prefs {
  try {
    return { enabled: false, sound: false, ...(JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>) };
  } catch {
    return { enabled: false, sound: false };
  }
}
let prefs = loadPrefs();
const listeners = new Set<() => void>();

export function useNotifyPrefs(): Prefs {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => prefs,
  );
}

export function setNotifyPrefs(next: Partial<Prefs>) {
  prefs = { ...prefs, ...next };
  localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  listeners.forEach((l) => l());
}

export const notificationsSupported = () => typeof Notification !== 'undefined';

/**
 * Chats I muted, per user: the chat list (`GET /chats`, `muted`) is the truth,
 * so a mute made on the phone counts here; the copy in localStorage only
 * covers the first moments before the list arrives.
 */
function mutedKey() {
  return `${MUTED_KEY}.${api.session()?.user.id ?? ''}`;
}
let mutedCache: Set<string> | null = null;
export function mutedChats(): Set<string> {
  if (!mutedCache) {
    try {
      mutedCache = new Set(JSON.parse(localStorage.getItem(mutedKey()) ?? '[]') as string[]);
    } catch {
      mutedCache = new Set();
    }
  }
  return mutedCache;
}
export function rememberMute(chatId: string, muted: boolean) {
  const s = new Set(mutedChats());
  if (muted) s.add(chatId);
  else s.delete(chatId);
  mutedCache = s;
  localStorage.setItem(mutedKey(), JSON.stringify([...s]));
  listeners.forEach((l) => l());
}
/** The chat list arrived: its `muted` flags replace what this browser knew. */
export function syncMutes(chats: readonly { chat: { id: string }; muted: boolean }[]) {
  const s = new Set(chats.filter((c) => c.muted).map((c) => c.chat.id));
  const known = mutedChats();
  if (s.size === known.size && [...s].every((id) => known.has(id))) return;
  mutedCache = s;
  localStorage.setItem(mutedKey(), JSON.stringify([...s]));
  listeners.forEach((l) => l());
}
export function useMuted(chatId: string): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => mutedChats().has(chatId),
  );
}

/** A short two-tone chime made on the spot (no sound file to ship). */
let audio: AudioContext | null = null;
export function chime() {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    const t0 = ctx.currentTime;
    for (const [i, f] of [880, 1320].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = f;
      const start = t0 + i * 0.09;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.15, start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.18);
    }
  } catch {
    /* no audio output: the notification itself still shows */
  }
}

interface ServerSettings {
  kinds: Kinds;
  dnd?: { from: string; to: string } | null;
}
const ALL_ON: ServerSettings = { kinds: { mention: true, direct: true, thread: true, task_assigned: true } };

function show(title: string, body: string, tag: string, open: () => void) {
  if (!prefs.enabled || !notificationsSupported() || Notification.permission !== 'granted') return;
  const n = new Notification(title, { body, tag, lang: document.documentElement.lang || undefined });
  n.onclick = () => {
    window.focus();
    open();
    n.close();
  };
  if (prefs.sound) chime();
}

/** Starts listening; returns the stop function. `t` speaks the user's language. */
export function connectNotifications(qc: QueryClient, t: () => Translator): () => void {
  let settings: ServerSettings = ALL_ON;
  const loadSettings = () =>
    void unwrap(api.http.GET('/me/notifications'))
      .then((s) => (settings = s as ServerSettings))
      .catch(() => undefined);
  loadSettings();
  const settingsTimer = setInterval(loadSettings, 5 * 60_000);
  const quiet = () => inQuietHours(clockIn(new Date(), api.session()?.user.time_zone), settings.dnd);

  const myThread = (m: Message, me: string): boolean => {
    const root = m.thread_root_id;
    if (!root) return false;
    const list = qc.getQueryData<MessageList>(keys.messages(m.chat_id));
    if (list?.items.some((x) => x.id === root && x.author_id === me)) return true;
    const thread = qc.getQueryData<MessageList>(keys.thread(root));
    return Boolean(thread?.items.some((x) => x.author_id === me));
  };

  const offEvent = realtime.on('event', (e) => {
    const c = e.change;
    if (c.type !== 'message_created') return;
    const me = api.session()?.user.id ?? '';
    const summary = qc.getQueryData<ChatSummary[]>(keys.chats)?.find((s) => s.chat.id === e.chat_id);
    const reason = notifyReason(c.message, {
      me,
      chatKind: summary?.chat.kind,
      muted: mutedChats().has(e.chat_id),
      inView: activeChatId() === e.chat_id && document.visibilityState === 'visible',
      myThread: myThread(c.message, me),
      kinds: settings.kinds,
      inDnd: quiet(),
    });
    if (!reason) return;
    const tr = t();
    const users = qc.getQueryData<{ id: string; name: string }[]>(keys.users);
    const dir = new Map((users ?? []).map((u) => [u.id, u]));
    const who = userName(dir as never, c.message.author_id);
    const chat = summary ? chatName(summary.chat, me, dir as never) : '';
    const title = tr.t(reason === 'mention' ? 'notify.mention' : reason === 'direct' ? 'notify.direct' : 'notify.reply', { who, chat });
    const body = c.message.body.replace(/<@([0-9a-f-]{36})>/gi, (_, id: string) => `@${dir.get(id.toLowerCase())?.name ?? '…'}`).slice(0, 200);
    const seq = c.message.thread_root_id ? undefined : e.seq;
    show(title, body, `msg-${c.message.id}`, () => navigate({ name: 'chat', chatId: e.chat_id, seq }));
  });

  // No socket frame announces a task assigned to me: my open tasks are
  // compared every minute and when the window gets focus, and a new one
  // someone else gave me is announced.
  let known: Set<string> | null = null;
  let polled = 0;
  const pollTasks = async () => {
    if (Date.now() - polled < 3000) return;
    polled = Date.now();
    try {
      const mine = await unwrap(api.http.GET('/tasks/mine'));
      const all: Task[] = (['overdue', 'today', 'upcoming', 'no_due_date'] as (keyof MyTasks)[]).flatMap((k) => (mine[k] as Task[] | undefined) ?? []);
      const me = api.session()?.user.id ?? '';
      if (known) {
        for (const task of all) {
          if (known.has(task.id) || task.creator_id === me || !settings.kinds.task_assigned || quiet()) continue;
          const users = qc.getQueryData<{ id: string; name: string }[]>(keys.users);
          const who = users?.find((u) => u.id === task.creator_id)?.name ?? '…';
          show(t().t('notify.task', { who }), task.title, `task-${task.id}`, () => navigate({ name: 'tasks', taskId: task.id }));
        }
      }
      known = new Set(all.map((x) => x.id));
    } catch {
      /* offline: try again next minute */
    }
  };
  void pollTasks();
  const taskTimer = setInterval(() => void pollTasks(), 60_000);
  const onPoll = () => void pollTasks();
  window.addEventListener('focus', onPoll);

  // The favicon's badge follows the chat list's unread counts.
  const drawBadge = () => {
    const chats = qc.getQueryData<ChatSummary[]>(keys.chats);
    const unread = (chats ?? []).reduce((n, s) => n + (mutedChats().has(s.chat.id) ? 0 : s.unread_count), 0);
    setFavicon(badgeText(unread));
  };
  const offCache = qc.getQueryCache().subscribe((ev) => {
    if (ev.query.queryKey[0] === keys.chats[0] && ev.query.queryKey.length === 1) drawBadge();
  });
  listeners.add(drawBadge);
  drawBadge();

  return () => {
    offEvent();
    offCache();
    listeners.delete(drawBadge);
    clearInterval(settingsTimer);
    clearInterval(taskTimer);
    window.removeEventListener('focus', onPoll);
    setFavicon('');
  };
}

let lastBadge: string | null = null;
/** The app's "A" tile, with a red count in its corner when there is unread. */
function setFavicon(text: string) {
  if (text === lastBadge || typeof document === 'undefined') return;
  lastBadge = text;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d');
  if (!g) return;
  g.fillStyle = '#2456c9';
  g.beginPath();
  g.roundRect(0, 0, 64, 64, 16);
  g.fill();
  g.fillStyle = '#fff';
  g.font = 'bold 36px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText('A', 32, 36);
  if (text) {
    const w = text.length > 1 ? 44 : 34;
    g.fillStyle = '#d92d20';
    g.beginPath();
    g.roundRect(64 - w, 0, w, 34, 17);
    g.fill();
    g.fillStyle = '#fff';
    g.font = `bold ${text.length > 2 ? 20 : 26}px sans-serif`;
    g.fillText(text, 64 - w / 2, 18);
  }
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    document.head.appendChild(link);
  }
  link.type = 'image/png';
  link.href = canvas.toDataURL('image/png');
  link.dataset.unread = text || '0';
}
