import { describe, expect, it } from 'vitest';
import { makeTranslator, type Lang } from '../i18n';
import { botName, noticeText, type Notice } from './notices';

// 14:00 UTC on Monday 7 December 2026: 17:00 in Moscow, 14:00 in London.
const now = new Date('2026-12-07T14:00:00Z');
const people: Record<string, string> = { anna: 'Анна Петрова', bob: 'Bob Smith' };
const ctx = (lang: Lang, zone: string, here: { kind: 'deal'; id: string } | null = null) => ({
  t: makeTranslator(lang, zone, () => now),
  actor: 'Анна Петрова',
  nameOf: (id: string) => people[id],
  here,
  now,
});
const task = (extra: Partial<Extract<Notice, { type: 'task_created' }>> = {}): Notice => ({
  type: 'task_created',
  task_id: 't1',
  title: 'Позвонить',
  assignee_ids: [],
  assignee_names: [],
  due_at: '2026-12-08T12:00:00Z',
  due_date: null,
  priority: 'normal',
  ...extra,
});

describe('notices worded for each reader', () => {
  it('a task due tomorrow: Russian in Moscow time, English in London time', () => {
    expect(noticeText(task(), ctx('ru', 'Europe/Moscow'))).toBe('Анна Петрова: задача «Позвонить», срок — завтра, 15:00');
    expect(noticeText(task(), ctx('en', 'Europe/London'))).toBe('Анна Петрова set the task “Позвонить” due tomorrow at 12:00');
  });

  it('names the day when it is not near, with the year only when it is another one', () => {
    expect(noticeText(task({ due_at: '2026-12-20T09:30:00Z' }), ctx('en', 'Europe/London'))).toBe(
      'Анна Петрова set the task “Позвонить” due 20 December at 09:30',
    );
    expect(noticeText(task({ due_at: '2027-01-20T09:30:00Z' }), ctx('ru', 'Europe/Moscow'))).toBe(
      'Анна Петрова: задача «Позвонить», срок — 20 января 2027 г., 12:30',
    );
  });

  it('a date-only task is the same calendar day in every zone, named from each reader\'s today', () => {
    const n = task({ due_at: null, due_date: '2026-12-08' });
    // 06:00 on the 7th in Los Angeles; already 00:00 on the 8th in Vladivostok.
    expect(noticeText(n, ctx('en', 'America/Los_Angeles'))).toBe('Анна Петрова set the task “Позвонить” due tomorrow');
    expect(noticeText(n, ctx('ru', 'Asia/Vladivostok'))).toBe('Анна Петрова: задача «Позвонить», срок — сегодня');
  });

  it('says who does it (current names first) and how urgent it is', () => {
    const n = task({ assignee_ids: ['bob', 'gone'], assignee_names: ['Bob', 'Ушедший'], priority: 'high', due_at: null });
    expect(noticeText(n, ctx('ru', 'Europe/Moscow'))).toBe(
      'Анна Петрова: задача «Позвонить», исполнитель — Bob Smith, Ушедший, приоритет — высокий',
    );
    expect(noticeText(n, ctx('en', 'Europe/London'))).toBe('Анна Петрова set the task “Позвонить” for Bob Smith, Ушедший, high priority');
  });

  it('a deal in its own chat is "the deal"; elsewhere it is named', () => {
    const moved: Notice = { type: 'deal_moved', deal_id: 'd1', title: 'Поставка', from: 'Новая', to: 'Переговоры' };
    expect(noticeText(moved, ctx('ru', 'Europe/Moscow', { kind: 'deal', id: 'd1' }))).toBe(
      'Анна Петрова: сделка перемещена с этапа «Новая» на «Переговоры»',
    );
    expect(noticeText(moved, ctx('en', 'Europe/London'))).toBe('Анна Петрова moved the deal “Поставка” from “Новая” to “Переговоры”');
  });

  it('never guesses the actor\'s gender in Russian', () => {
    const all: Notice[] = [
      task(),
      { type: 'task_completed', task_id: 't', title: 'x', next_due_at: '2026-12-14T06:00:00Z' },
      { type: 'task_assigned', task_id: 't', title: 'x', assignee_ids: ['bob'], assignee_names: ['Bob'] },
      { type: 'deal_created', deal_id: 'd', title: 'x', stage: 'Новая', amount_minor: 15_000_000, currency: 'RUB', owner_id: 'bob', owner_name: 'Bob' },
      { type: 'deal_archived', deal_id: 'd', title: 'x', archived: true },
      { type: 'owner_changed', record: 'company', record_id: 'c', title: 'Ромашка', owner_id: 'bob', owner_name: 'Bob' },
      { type: 'command_undone', line: 'задача x' },
    ];
    for (const n of all) {
      const text = noticeText(n, ctx('ru', 'Europe/Moscow'));
      expect(text).toBeTruthy();
      expect(text).not.toMatch(/\(а\)|[«»]{2}|\{/);
    }
  });

  it('a hook message is signed with the hook name, not worded; unknown types fall back', () => {
    const hook: Notice = { type: 'hook', hook_id: 'h', name: 'Мониторинг' };
    expect(noticeText(hook, ctx('en', 'UTC'))).toBeNull();
    expect(botName(hook)).toBe('Мониторинг');
    expect(noticeText({ type: 'from_the_future' } as unknown as Notice, ctx('en', 'UTC'))).toBeNull();
  });
});
