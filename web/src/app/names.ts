// Display names of chats and people, shared by the sidebar, switcher and headers.
import type { Chat, User } from '@artel/client';

export function userName(users: Map<string, User> | undefined, id: string | null | undefined): string {
  if (!id) return '';
  return users?.get(id)?.name ?? '…';
}

export function chatName(chat: Chat, me: string, users: Map<string, User> | undefined): string {
  if (chat.kind === 'direct') {
    const other = chat.direct_user_ids?.find((u) => u !== me) ?? me;
    return userName(users, other);
  }
  return chat.name ?? '…';
}

export function chatGlyph(chat: Chat): string {
  if (chat.entity) return chat.entity.kind === 'deal' ? '₽' : chat.entity.kind === 'task' ? '✓' : '◎';
  if (chat.kind === 'direct') return '@';
  if (chat.kind === 'group') return '⋯';
  return chat.is_private ? '🔒' : '#';
}

export function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase())
      .join('') || '?'
  );
}
