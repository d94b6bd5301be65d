import { describe, expect, it } from 'vitest';
import type { ChatSummary } from '@artel/client';
import { tabTitle, totalUnread } from './title';

const s = (id: string, unread: number) => ({ chat: { id }, unread_count: unread }) as unknown as ChatSummary;

describe('tab title', () => {
  it('shows the unread count, the place and the app', () => {
    expect(tabTitle(3, '#general', 'Artel')).toBe('(3) #general · Artel');
    expect(tabTitle(0, '#общий', 'Артель')).toBe('#общий · Артель');
    expect(tabTitle(0, '', 'Artel')).toBe('Artel');
    expect(tabTitle(250, 'Tasks', 'Artel')).toBe('(99+) Tasks · Artel');
  });
  it('counts unread in every chat but the one open', () => {
    expect(totalUnread([s('a', 2), s('b', 3)], 'b')).toBe(2);
    expect(totalUnread(undefined, null)).toBe(0);
  });
});
