// Deal history entries read as sentences in each language: people and stages by name.
import { describe, expect, it } from 'vitest';
import type { History } from '@artel/client';
import { describeChange } from './screens/Deal';
import { stageNames } from './stages';
import { mobileStrings } from './strings';

const h = (field: string, old: unknown, next: unknown, actor: string | null = 'u1'): History =>
  ({ id: 'h', at: '2026-12-07T10:00:00Z', actor_id: actor, field, old, new: next }) as History;

describe('deal history in words', () => {
  stageNames.set('s1', 'Квалификация');
  stageNames.set('s2', 'Переговоры');
  const names: Record<string, string> = { u1: 'Анна Петрова', u2: 'Bob Smith' };
  const ctx = (lang: 'ru' | 'en') => ({
    m: mobileStrings(lang),
    nameOf: (id: string) => names[id] ?? '…',
    money: (v: number) => `${v / 100} ₽`,
    date: (iso: string) => iso,
  });

  it('stage moves, owners and creation, in Russian and English', () => {
    expect(describeChange(h('stage_id', 's1', 's2'), ctx('ru'))).toBe('Анна Петрова переносит сделку: «Квалификация» → «Переговоры»');
    expect(describeChange(h('stage_id', 's1', 's2'), ctx('en'))).toBe('Анна Петрова moved the deal from “Квалификация” to “Переговоры”');
    expect(describeChange(h('owner_id', 'u1', 'u2'), ctx('en'))).toBe('Анна Петрова changed the owner: Анна Петрова → Bob Smith');
    expect(describeChange(h('amount_minor', 100000, 250000), ctx('ru'))).toBe('Анна Петрова меняет поле «Сумма»: 1000 ₽ → 2500 ₽');
    expect(describeChange(h('created', null, {}), ctx('ru'))).toBe('Анна Петрова создаёт сделку');
  });

  it('no raw field names or ids for what it does not know', () => {
    expect(describeChange(h('custom', {}, { x: 1 }), ctx('ru'))).toBe('Анна Петрова меняет карточку');
    expect(describeChange(h('stage_id', null, 's9', null), ctx('en'))).toBe('Artel moved the deal from “—” to “…”');
  });
});
