import { describe, expect, it } from 'vitest';
import type { EntityKind, History, User } from '@artel/client';
import { makeTranslator } from '@artel/client/i18n';
import { describeHistory } from './history';

const anna = { id: 'u1', name: 'Анна Петрова' } as User;
const users = new Map([[anna.id, anna]]);
const entry = (field: string, old: unknown = null, next: unknown = null): History => ({
  id: 'h1',
  at: '2026-03-10T12:00:00Z',
  actor_id: anna.id,
  field,
  old,
  new: next,
});

describe('record history in words', () => {
  it('says what was created, in Russian and English, by the record kind', () => {
    const ru = makeTranslator('ru');
    const en = makeTranslator('en');
    const said = (kind: EntityKind) => [describeHistory(entry('created'), kind, users, ru), describeHistory(entry('created'), kind, users, en)];
    expect(said('deal')).toEqual(['Анна Петрова создал(а) сделку', 'Анна Петрова created the deal']);
    expect(said('contact')).toEqual(['Анна Петрова создал(а) контакт', 'Анна Петрова created the contact']);
    expect(said('company')).toEqual(['Анна Петрова создал(а) компанию', 'Анна Петрова created the company']);
    expect(said('task')).toEqual(['Анна Петрова создал(а) задачу', 'Анна Петрова created the task']);
  });

  it('says what was archived and restored by the record kind', () => {
    const archived = entry('archived_at', null, '2026-03-10T12:00:00Z');
    const restored = entry('archived_at', '2026-03-10T12:00:00Z', null);
    expect(describeHistory(archived, 'company', users, makeTranslator('ru'))).toBe('Анна Петрова перенёс(ла) компанию в архив');
    expect(describeHistory(restored, 'deal', users, makeTranslator('en'))).toBe('Анна Петрова restored the deal from the archive');
    // Contacts and companies record the archive as its own entries.
    expect(describeHistory(entry('archived', null, '2026-03-10T12:00:00Z'), 'contact', users, makeTranslator('en'))).toBe('Анна Петрова archived the contact');
    expect(describeHistory(entry('restored', '2026-03-10T12:00:00Z', null), 'company', users, makeTranslator('ru'))).toBe('Анна Петрова вернул(а) компанию из архива');
  });

  it('never says "record" for a creation', () => {
    for (const kind of ['deal', 'contact', 'company', 'task'] as const) {
      expect(describeHistory(entry('created'), kind, users, makeTranslator('ru'))).not.toMatch(/запись/);
      expect(describeHistory(entry('created'), kind, users, makeTranslator('en'))).not.toMatch(/record/);
    }
  });
});
