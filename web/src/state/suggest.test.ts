import { describe, expect, it } from 'vitest';
import type { Pipeline } from '@artel/client';
import type { Suggestion } from './commands';
import { fit, narrowStale, orderStages } from './suggest';

const stage = (label: string, from = 6, detail = 'open'): Suggestion => ({ kind: 'stage', insert: label, replace_from: from, label, detail });
const pipeline = (names: string[]): Pipeline =>
  ({ id: 'p', name: 'Продажи', stages: names.map((name, position) => ({ id: `s${position}`, name, position, kind: 'open' })) }) as unknown as Pipeline;

describe('command suggestions on the client', () => {
  it('scores names as the server does (exact, word prefix, substring), ё as е', () => {
    expect(fit('Переговоры', 'переговоры')).toBe(3);
    expect(fit('Счёт выставлен', 'выст')).toBe(2);
    expect(fit('Квалификация', 'лиф')).toBe(1);
    expect(fit('Счёт', 'счет')).toBe(3);
    expect(fit('Договор', 'пер')).toBe(0);
  });

  it('narrows a list kept from the last keystroke to what still fits the line', () => {
    // The answer for "/этап " (every stage) while "/этап пер" is on its way.
    const old = [stage('Договор'), stage('Квалификация'), stage('Переговоры'), stage('Первичный контакт')];
    expect(narrowStale('/этап пер', old).map((s) => s.label)).toEqual(['Переговоры', 'Первичный контакт']);
    expect(narrowStale('/этап ', old)).toHaveLength(4);
    const commands: Suggestion[] = [
      { kind: 'command', insert: '/task ', replace_from: 0, label: '/task' },
      { kind: 'command', insert: '/move ', replace_from: 0, label: '/move' },
    ];
    expect(narrowStale('/ta', commands).map((s) => s.label)).toEqual(['/task']);
    // A finished command word: the list of commands no longer applies.
    expect(narrowStale('/task ', commands)).toEqual([]);
  });

  it('offers stages in funnel order, best fit first, not alphabetically', () => {
    const funnel = pipeline(['Первичный контакт', 'Квалификация', 'Переговоры', 'Договор', 'Успешно', 'Провал']);
    const alphabetical = ['Договор', 'Квалификация', 'Первичный контакт', 'Переговоры', 'Провал', 'Успешно'].map((n) => stage(n));
    expect(orderStages('/этап ', alphabetical, [funnel]).map((s) => s.label)).toEqual([
      'Первичный контакт',
      'Квалификация',
      'Переговоры',
      'Договор',
      'Успешно',
      'Провал',
    ]);
    const some = [stage('Переговоры'), stage('Первичный контакт')];
    expect(orderStages('/этап пер', some, [funnel]).map((s) => s.label)).toEqual(['Первичный контакт', 'Переговоры']);
    // An exact name leads whatever its place in the funnel.
    expect(orderStages('/этап переговоры', [stage('Первичный контакт'), stage('Переговоры')], [funnel])[0]?.label).toBe('Переговоры');
    // Unknown to the cached funnels (renamed a moment ago): the server's order stands.
    expect(orderStages('/этап ', [stage('Б'), stage('А')], [funnel]).map((s) => s.label)).toEqual(['Б', 'А']);
  });
});
