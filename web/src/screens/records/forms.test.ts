import { describe, expect, it } from 'vitest';
import { customToDraft, draftToCustom, formatAmountInput, isDraftError, parseAmount, splitList } from './forms';
import { csvHeader, guessMapping, IMPORT_TARGETS } from './csv';

describe('amounts as people type them', () => {
  it('reads Russian and English separators', () => {
    expect(parseAmount('1 500,50', 'RUB')).toBe(150050);
    expect(parseAmount('1,500.50', 'USD')).toBe(150050);
    expect(parseAmount('1.500,5', 'EUR')).toBe(150050);
    expect(parseAmount('1500', 'RUB')).toBe(150000);
    expect(parseAmount('2,5', 'RUB')).toBe(250);
    expect(parseAmount('1,000,000', 'USD')).toBe(100000000);
    expect(parseAmount('320,000', 'RUB')).toBe(32000000);
    expect(parseAmount('1.500', 'EUR')).toBe(150000);
    expect(parseAmount('1.000.000', 'RUB')).toBe(100000000);
    expect(parseAmount('', 'RUB')).toBe(0);
  });
  it('refuses what is not an amount instead of guessing', () => {
    expect(parseAmount('abc', 'RUB')).toBeNull();
    expect(parseAmount('1.2345', 'RUB')).toBeNull();
    expect(parseAmount('-5', 'RUB')).toBeNull();
  });
  it('knows currencies without minor units', () => {
    expect(parseAmount('1500', 'JPY')).toBe(1500);
    expect(parseAmount('1500.5', 'JPY')).toBeNull();
  });
  it('formats back for the input', () => {
    expect(formatAmountInput(150050, 'RUB')).toBe('1500.50');
    expect(formatAmountInput(5, 'RUB')).toBe('0.05');
    expect(formatAmountInput(1500, 'JPY')).toBe('1500');
  });
});

describe('lists', () => {
  it('splits on lines, commas and semicolons, dropping blanks and repeats', () => {
    expect(splitList('a, b\n\nc; a')).toEqual(['a', 'b', 'c']);
    expect(splitList('  ')).toEqual([]);
  });
});

describe('custom values', () => {
  it('round-trips money and lists', () => {
    expect(customToDraft('money', false, { amount_minor: 150000, currency: 'RUB' })).toBe('1500.00 RUB');
    expect(draftToCustom('money', false, '1 500,50 usd', 'RUB')).toEqual({ amount_minor: 150050, currency: 'USD' });
    expect(draftToCustom('money', false, '700', 'RUB')).toEqual({ amount_minor: 70000, currency: 'RUB' });
    expect(customToDraft('list', true, ['a', 'b'])).toEqual(['a', 'b']);
    expect(draftToCustom('list', true, [], 'RUB')).toBeNull();
  });
  it('clears with null and flags bad numbers', () => {
    expect(draftToCustom('text', false, '  ', 'RUB')).toBeNull();
    expect(draftToCustom('number', false, '3,5', 'RUB')).toBe(3.5);
    expect(isDraftError(draftToCustom('number', false, 'x', 'RUB'))).toBe(true);
    expect(isDraftError(draftToCustom('money', false, 'lots', 'RUB'))).toBe(true);
  });
});

describe('CSV header for the import mapping', () => {
  it('finds the delimiter and honours quotes', () => {
    expect(csvHeader('Имя;Телефон;"Почта; рабочая"\nx;y;z')).toEqual({ headers: ['Имя', 'Телефон', 'Почта; рабочая'], delimiter: ';' });
    expect(csvHeader('\uFEFFname,phone\r\n')).toEqual({ headers: ['name', 'phone'], delimiter: ',' });
    expect(csvHeader('').headers).toEqual([]);
  });
  it('guesses fields from Russian and English headers, each once', () => {
    const targets = [...IMPORT_TARGETS.contact, 'custom.budget'];
    expect(guessMapping(['ФИО', 'Телефон', 'E-mail', 'budget', 'Имя', 'Прочее'], targets)).toEqual({
      ФИО: 'name',
      Телефон: 'phones',
      'E-mail': 'emails',
      budget: 'custom.budget',
    });
  });
});
