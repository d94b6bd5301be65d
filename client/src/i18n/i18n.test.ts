import { describe, expect, it } from 'vitest';
import { detectLanguage, makeTranslator } from './index';
import { ru } from './ru';
import { en } from './en';

describe('i18n', () => {
  it('defaults to Russian when the browser asks for it, else English; a stored choice wins', () => {
    expect(detectLanguage(null, ['ru-RU', 'en-US'])).toBe('ru');
    expect(detectLanguage(null, ['de-DE', 'ru'])).toBe('ru');
    expect(detectLanguage(null, ['en-US', 'ru'])).toBe('en');
    expect(detectLanguage(null, ['de-DE'])).toBe('en');
    expect(detectLanguage('en', ['ru-RU'])).toBe('en');
  });

  it('has the same keys in both languages', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(ru).sort());
  });

  it('chooses Russian plural forms', () => {
    const t = makeTranslator('ru');
    expect(t.tn('board.count', 1)).toBe('1 сделка');
    expect(t.tn('board.count', 3)).toBe('3 сделки');
    expect(t.tn('board.count', 11)).toBe('11 сделок');
    expect(t.tn('board.count', 21)).toBe('21 сделка');
    expect(makeTranslator('en').tn('board.count', 1)).toBe('1 deal');
    expect(makeTranslator('en').tn('board.count', 2)).toBe('2 deals');
  });

  it('formats money from minor units with the currency digits', () => {
    const ruT = makeTranslator('ru');
    expect(ruT.money(1234550, 'RUB').replace(/\s/g, ' ')).toBe('12 345,50 ₽');
    expect(makeTranslator('en').money(1000, 'JPY')).toBe('JP¥1,000');
    expect(makeTranslator('en').money(199, 'USD')).toBe('US$1.99');
  });

  it('groups days in the user time zone and names today and yesterday', () => {
    const now = () => new Date('2026-03-10T12:00:00Z');
    const t = makeTranslator('en', 'Asia/Vladivostok', now);
    // 23:30 UTC on the 9th is already the 10th in Vladivostok (UTC+10).
    expect(t.dayKey('2026-03-09T23:30:00Z')).toBe('2026-03-10');
    expect(t.day('2026-03-09T23:30:00Z')).toBe('Today');
    expect(t.day('2026-03-09T05:00:00Z')).toBe('Yesterday');
    expect(makeTranslator('en', 'Not/AZone').timeZone).toBeUndefined();
  });
});
