import { describe, expect, it } from 'vitest';
import { dueInZone, todayIn } from './zone';
import { formatSize } from './files';

describe('due times in the user\'s zone', () => {
  it('uses the profile zone, with its offset on that day', () => {
    expect(dueInZone('2026-12-08', '15:00', 'Europe/Moscow')).toBe('2026-12-08T15:00:00+03:00');
    expect(dueInZone('2026-12-08', '15:00', 'Asia/Vladivostok')).toBe('2026-12-08T15:00:00+10:00');
    expect(dueInZone('2026-12-08', '15:00', 'Europe/London')).toBe('2026-12-08T15:00:00+00:00');
    expect(dueInZone('2026-07-08', '15:00', 'Europe/London')).toBe('2026-07-08T15:00:00+01:00');
    expect(dueInZone('2026-07-08', '09:30', 'America/St_Johns')).toBe('2026-07-08T09:30:00-02:30');
    // The moment it names is that wall time there.
    const at = new Date(dueInZone('2026-12-08', '15:00', 'Asia/Vladivostok')!);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Vladivostok', hour: '2-digit', minute: '2-digit' }).format(at)).toBe('15:00');
  });

  it('a date alone stays a date; no date is no due', () => {
    expect(dueInZone('2026-12-08', '', 'Europe/Moscow')).toBe('2026-12-08');
    expect(dueInZone('', '10:00', 'Europe/Moscow')).toBeNull();
  });

  it('today is the zone\'s today', () => {
    const late = new Date('2026-12-07T20:30:00Z');
    expect(todayIn('Asia/Vladivostok', late)).toBe('2026-12-08');
    expect(todayIn('Europe/London', late)).toBe('2026-12-07');
  });
});

describe('file sizes', () => {
  it('reads in each language', () => {
    expect(formatSize(820, 'en')).toBe('820\u00a0B');
    expect(formatSize(14_500, 'en')).toBe('14\u00a0KB');
    expect(formatSize(3_355_443, 'ru')).toBe('3,2\u00a0МБ');
  });
});
