import { describe, expect, it } from 'vitest';
import type { ChatEvent, Message } from '../api';
import { applyEvent, emptyList, mergePage, pendingMessage, setLocal, toRows, upsert } from './messages';

function msg(seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    chat_id: 'c',
    seq,
    author_id: 'a',
    kind: 'user',
    body: `b${seq}`,
    html: `<p>b${seq}</p>`,
    thread_root_id: null,
    client_msg_id: null,
    mentions: [],
    mentions_all: false,
    created_at: `2026-03-10T10:${String(seq).padStart(2, '0')}:00Z`,
    edited_at: null,
    deleted_at: null,
    pinned_at: null,
    reply_count: 0,
    last_reply_at: null,
    reactions: [],
    attachments: [],
    ...extra,
  } as Message;
}
const ev = (seq: number, change: ChatEvent['change']): ChatEvent =>
  ({ chat_id: 'c', seq, created_at: '2026-03-10T11:00:00Z', change }) as ChatEvent;

describe('message list', () => {
  it('keeps seq order and never shows a message twice', () => {
    let l = mergePage(emptyList, [msg(3), msg(1), msg(2)], false);
    l = mergePage(l, [msg(2), msg(4)]);
    expect(l.items.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(l.hasOlder).toBe(false);
  });

  it('replaces the optimistic copy when the committed message arrives', () => {
    let l = upsert(emptyList, msg(1));
    l = upsert(l, pendingMessage({ chatId: 'c', authorId: 'me', body: 'hi', clientMsgId: 'k' }));
    expect(l.items.map((m) => m.local ?? 'ok')).toEqual(['ok', 'pending']);
    l = setLocal(l, 'k', 'failed');
    expect(l.items[1]?.local).toBe('failed');
    l = applyEvent(l, ev(2, { type: 'message_created', message: msg(2, { client_msg_id: 'k', author_id: 'me' }) }), null);
    expect(l.items.map((m) => [m.seq, m.local])).toEqual([
      [1, undefined],
      [2, undefined],
    ]);
  });

  it('applies edits, deletions, reactions and pins', () => {
    let l = mergePage(emptyList, [msg(1)]);
    l = applyEvent(l, ev(2, { type: 'reaction_added', message_id: 'm1', user_id: 'u', emoji: '👍' }), null);
    l = applyEvent(l, ev(3, { type: 'reaction_added', message_id: 'm1', user_id: 'v', emoji: '👍' }), null);
    l = applyEvent(l, ev(4, { type: 'reaction_added', message_id: 'm1', user_id: 'v', emoji: '👍' }), null);
    expect(l.items[0]?.reactions).toEqual([{ emoji: '👍', count: 2, user_ids: ['u', 'v'] }]);
    l = applyEvent(l, ev(5, { type: 'message_edited', message: msg(1, { body: 'new', edited_at: 'x' }) }), null);
    expect(l.items[0]).toMatchObject({ body: 'new', edited_at: 'x' });
    expect(l.items[0]?.reactions[0]?.count).toBe(2);
    l = applyEvent(l, ev(6, { type: 'reaction_removed', message_id: 'm1', user_id: 'u', emoji: '👍' }), null);
    l = applyEvent(l, ev(7, { type: 'reaction_removed', message_id: 'm1', user_id: 'v', emoji: '👍' }), null);
    expect(l.items[0]?.reactions).toEqual([]);
    l = applyEvent(l, ev(8, { type: 'message_pinned', message_id: 'm1', by: 'u' }), null);
    expect(l.items[0]?.pinned_at).toBe('2026-03-10T11:00:00Z');
    l = applyEvent(l, ev(9, { type: 'message_deleted', message_id: 'm1', thread_root_id: null }), null);
    expect(l.items[0]).toMatchObject({ body: '', html: '', deleted_at: '2026-03-10T11:00:00Z' });
  });

  it('routes thread replies to their thread and counts them on the root', () => {
    const reply = msg(2, { id: 'r', thread_root_id: 'm1' });
    let chat = mergePage(emptyList, [msg(1)]);
    let thread = emptyList;
    const e = ev(2, { type: 'message_created', message: reply });
    chat = applyEvent(chat, e, null);
    thread = applyEvent(thread, e, 'm1');
    expect(chat.items.map((m) => [m.id, m.reply_count])).toEqual([['m1', 1]]);
    expect(thread.items.map((m) => m.id)).toEqual(['r']);
    chat = applyEvent(chat, ev(3, { type: 'message_deleted', message_id: 'r', thread_root_id: 'm1' }), null);
    expect(chat.items[0]?.reply_count).toBe(0);
  });

  it('draws day separators, the unread marker and compact runs', () => {
    const items = [
      msg(1, { created_at: '2026-03-09T10:00:00Z' }),
      msg(2, { created_at: '2026-03-10T10:00:00Z' }),
      msg(3, { created_at: '2026-03-10T10:01:00Z' }),
      msg(4, { created_at: '2026-03-10T10:02:00Z', author_id: 'b' }),
      msg(5, { created_at: '2026-03-10T10:03:00Z', author_id: 'b' }),
    ];
    const rows = toRows(items, {
      dayKey: (iso) => iso.slice(0, 10),
      dayLabel: (iso) => iso.slice(0, 10),
      lastReadSeq: 3,
      me: 'a',
    });
    expect(rows.map((r) => (r.kind === 'message' ? `${r.message.seq}${r.compact ? 'c' : ''}` : r.kind))).toEqual([
      'day',
      '1',
      'day',
      '2',
      '3c',
      'unread',
      '4',
      '5c',
    ]);
  });
});

describe('dropLocal', () => {
  it('removes only the pending copy with that key', async () => {
    const { dropLocal, pendingMessage, upsert, emptyList } = await import('./messages');
    let l = upsert(emptyList, pendingMessage({ chatId: 'c', authorId: 'u', body: '/task x', clientMsgId: 'k1', threadRootId: null }));
    l = upsert(l, pendingMessage({ chatId: 'c', authorId: 'u', body: 'hi', clientMsgId: 'k2', threadRootId: null }));
    expect(dropLocal(l, 'k1').items.map((m) => m.client_msg_id)).toEqual(['k2']);
  });

  it('a refused send keeps its reason and offers no Retry; a dropped connection does', async () => {
    const { canRetry } = await import('./messages');
    let l = upsert(emptyList, pendingMessage({ chatId: 'c', authorId: 'u', body: 'hi', clientMsgId: 'k', threadRootId: null }));
    l = setLocal(l, 'k', 'failed', { code: 'chat_archived', message: 'this chat is archived' });
    const failed = l.items[0]!;
    expect(failed.failure?.code).toBe('chat_archived');
    expect(canRetry(failed.failure)).toBe(false);
    expect(canRetry({ code: 'closed', message: '' })).toBe(true);
    expect(canRetry(undefined)).toBe(true);
    // A retry's pending copy replaces the failed one, reason and all.
    l = upsert(l, pendingMessage({ chatId: 'c', authorId: 'u', body: 'hi', clientMsgId: 'k', threadRootId: null }));
    expect(l.items.map((m) => [m.local, m.failure])).toEqual([['pending', undefined]]);
  });
});
