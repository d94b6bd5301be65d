// Which messages earn a desktop notification: the rules the server's push
// planner applies (who, not the author, not muted, not on screen, kind
// switched on, not in do-not-disturb hours), decided here from what the
// client holds. Pure, unit-tested.
import type { Chat, Message } from '@artel/client';

type ChatKind = Chat['kind'];

export type Reason = 'mention' | 'direct' | 'thread';

export interface Kinds {
  mention: boolean;
  direct: boolean;
  thread: boolean;
  task_assigned: boolean;
}

export interface NotifyContext {
  me: string;
  chatKind: ChatKind | undefined;
  muted: boolean;
  /** The chat is open in a visible tab. */
  inView: boolean;
  /** A reply in a thread I started or replied in. */
  myThread: boolean;
  kinds: Kinds;
  inDnd: boolean;
}

export function notifyReason(m: Message, c: NotifyContext): Reason | null {
  if (m.author_id === c.me || m.deleted_at) return null;
  if (m.kind !== 'user' && m.kind !== 'bot') return null;
  if (c.muted || c.inView || c.inDnd) return null;
  if ((m.mentions.includes(c.me) || m.mentions_all) && c.kinds.mention) return 'mention';
  if (c.chatKind === 'direct' && c.kinds.direct) return 'direct';
  if (m.thread_root_id && c.myThread && c.kinds.thread) return 'thread';
  return null;
}

/** "HH:MM" now in a time zone. */
export function clockIn(now: Date, timeZone: string | undefined): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(now);
  } catch {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now);
  }
}

/** Whether a clock time falls in quiet hours "from"–"to" (which may run past midnight). */
export function inQuietHours(clock: string, dnd: { from: string; to: string } | null | undefined): boolean {
  if (!dnd || dnd.from === dnd.to) return false;
  return dnd.from < dnd.to ? clock >= dnd.from && clock < dnd.to : clock >= dnd.from || clock < dnd.to;
}

/** The favicon's badge text: nothing, a count, or 99+. */
export function badgeText(unread: number): string {
  return unread <= 0 ? '' : unread > 99 ? '99+' : String(unread);
}
