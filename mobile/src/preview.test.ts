// The chat list's preview reads like the chat: names for mentions, notices in
// the reader's language, never an id or the server's fallback text.
import { describe, expect, it } from 'vitest';
import type { Message } from '@artel/client';
import { makeTranslator } from '@artel/client/i18n';
import { preview, previewText } from './preview';

const anna = '0190a1b2-0000-7000-8000-000000000001';
const bob = '0190a1b2-0000-7000-8000-000000000002';
const names: Record<string, string> = { [anna]: 'Анна Петрова', [bob]: 'Bob Smith' };
const nameOf = (id: string) => names[id];
const msg = (over: Partial<Message>): Message =>
  ({
    id: 'm1',
    chat_id: 'c1',
    seq: 1,
    kind: 'user',
    author_id: anna,
    body: '',
    html: '',
    created_at: '2026-12-07T10:00:00Z',
    mentions: [],
    mentions_all: false,
    reactions: [],
    reply_count: 0,
    attachments: [],
    ...over,
  }) as Message;

describe('chat-list preview', () => {
  it('shows mentions as @Name', () => {
    const m = msg({ body: `Готово, <@${bob}>`, mentions: [bob] });
    expect(previewText(m, { t: makeTranslator('en'), nameOf })).toBe('Готово, @Bob Smith');
  });

  it('words a notice for the reader, not with the server\'s text in the actor\'s language', () => {
    const moved = msg({
      kind: 'system',
      body: 'Анна Петрова: сделка перемещена с этапа «Новая» на «Переговоры»',
      notice: { type: 'deal_moved', deal_id: 'd1', title: 'Поставка труб', from: 'Новая', to: 'Переговоры' },
    });
    const here = { kind: 'deal' as const, id: 'd1' };
    expect(previewText(moved, { t: makeTranslator('en'), nameOf, here })).toBe('Анна Петрова moved the deal from “Новая” to “Переговоры”');
    expect(previewText(moved, { t: makeTranslator('ru'), nameOf, here })).toBe('Анна Петрова: сделка перемещена с этапа «Новая» на «Переговоры»');
    expect(previewText(moved, { t: makeTranslator('en'), nameOf })).toBe('Анна Петрова moved the deal “Поставка труб” from “Новая” to “Переговоры”');
  });

  it('a hook\'s message is its text; a deleted one says so; files by name', () => {
    const hook = msg({ kind: 'bot', author_id: null, body: 'CPU 95%', notice: { type: 'hook', hook_id: 'h', name: 'Мониторинг' } });
    expect(previewText(hook, { t: makeTranslator('en'), nameOf })).toBe('CPU 95%');
    expect(previewText(msg({ body: 'x', deleted_at: '2026-12-07T10:01:00Z' }), { t: makeTranslator('en'), nameOf })).toBe('Message deleted');
    const file = msg({ attachments: [{ filename: 'смета.pdf' } as Message['attachments'][number]] });
    expect(previewText(file, { t: makeTranslator('ru'), nameOf })).toBe('📎 смета.pdf');
  });

  it('marks what people wrote, so the language check leaves it out, and not the app\'s own words', () => {
    const t = makeTranslator('en');
    expect(preview(msg({ body: 'Доброе утро' }), { t, nameOf }).written).toBe(true);
    const moved = msg({ kind: 'system', body: 'x', notice: { type: 'deal_moved', deal_id: 'd1', title: 'T', from: 'A', to: 'B' } });
    expect(preview(moved, { t, nameOf }).written).toBe(false);
    expect(preview(msg({ body: 'x', deleted_at: '2026-12-07T10:01:00Z' }), { t, nameOf }).written).toBe(false);
  });
});
