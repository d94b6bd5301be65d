import { describe, expect, it } from 'vitest';
import type { Message } from '@artel/client';
import { badgeText, clockIn, inQuietHours, notifyReason, type NotifyContext } from './notify';

const msg = (over: Partial<Message> = {}): Message =>
  ({ id: 'm', chat_id: 'c', author_id: 'other', kind: 'user', body: 'hi', html: 'hi', mentions: [], mentions_all: false, attachments: [], reactions: [], reply_count: 0, seq: 1, created_at: '2026-12-07T10:00:00Z', ...over }) as Message;
const ctx = (over: Partial<NotifyContext> = {}): NotifyContext => ({
  me: 'me',
  chatKind: 'channel',
  muted: false,
  inView: false,
  myThread: false,
  inDnd: false,
  kinds: { mention: true, direct: true, thread: true, task_assigned: true },
  ...over,
});

describe('desktop notification rules', () => {
  it('notifies mentions, direct messages and replies in my threads', () => {
    expect(notifyReason(msg({ mentions: ['me'] }), ctx())).toBe('mention');
    expect(notifyReason(msg({ mentions_all: true }), ctx())).toBe('mention');
    expect(notifyReason(msg(), ctx({ chatKind: 'direct' }))).toBe('direct');
    expect(notifyReason(msg({ thread_root_id: 'r' }), ctx({ myThread: true }))).toBe('thread');
    expect(notifyReason(msg({ thread_root_id: 'r' }), ctx())).toBeNull();
    expect(notifyReason(msg(), ctx())).toBeNull();
  });

  it('stays quiet for my own messages, muted chats, the chat in view, quiet hours, switched-off kinds and notices', () => {
    const m = msg({ mentions: ['me'] });
    expect(notifyReason(msg({ author_id: 'me', mentions: ['me'] }), ctx())).toBeNull();
    expect(notifyReason(m, ctx({ muted: true }))).toBeNull();
    expect(notifyReason(m, ctx({ inView: true }))).toBeNull();
    expect(notifyReason(m, ctx({ inDnd: true }))).toBeNull();
    expect(notifyReason(m, ctx({ kinds: { mention: false, direct: true, thread: true, task_assigned: true } }))).toBeNull();
    expect(notifyReason(msg({ kind: 'system', mentions: ['me'] }), ctx())).toBeNull();
  });

  it('knows quiet hours, also across midnight, in my zone', () => {
    expect(inQuietHours('23:30', { from: '22:00', to: '08:00' })).toBe(true);
    expect(inQuietHours('07:59', { from: '22:00', to: '08:00' })).toBe(true);
    expect(inQuietHours('08:00', { from: '22:00', to: '08:00' })).toBe(false);
    expect(inQuietHours('13:00', { from: '12:00', to: '14:00' })).toBe(true);
    expect(inQuietHours('13:00', null)).toBe(false);
    expect(clockIn(new Date('2026-12-07T20:30:00Z'), 'Asia/Vladivostok')).toBe('06:30');
  });

  it('writes the badge', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(120)).toBe('99+');
  });
});
