// The browser tab's title: unread count, where I am, the app's name, e.g.
// "(3) #general · Artel". Pure; Shell keeps document.title in step with it.
import type { ChatSummary } from '@artel/client';

/** Unread messages in all my chats (muted ones count as the server counts them). */
export function totalUnread(chats: ChatSummary[] | undefined, activeChatId: string | null): number {
  let n = 0;
  for (const s of chats ?? []) if (s.chat.id !== activeChatId) n += s.unread_count;
  return n;
}

export function tabTitle(unread: number, place: string, app: string): string {
  const parts = [place, app].filter(Boolean).join(' · ');
  return unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${parts}` : parts;
}
