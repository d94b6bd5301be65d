import { describe, expect, it } from 'vitest';
import { dueInput, dueValue, localInput } from './tasks';

describe('task due dates in the form', () => {
  it('keeps a date-only task on its calendar date', () => {
    expect(dueInput({ due_at: '2026-11-24T00:00:00Z', due_has_time: false })).toEqual({ date: '2026-11-24', time: '' });
    expect(dueValue({ date: '2026-11-24', time: '' })).toBe('2026-11-24');
  });

  it('round-trips a timed task through the local time zone', () => {
    const at = new Date(2026, 10, 24, 11, 30); // 24 Nov 11:30 local
    const shown = dueInput({ due_at: at.toISOString(), due_has_time: true });
    expect(shown).toEqual({ date: '2026-11-24', time: '11:30' });
    const sent = dueValue(shown);
    expect(sent).toMatch(/^2026-11-24T11:30:00[+-]\d\d:\d\d$/);
    expect(new Date(sent as string).getTime()).toBe(at.getTime());
  });

  it('no date means no due date', () => {
    expect(dueInput({ due_at: null, due_has_time: false })).toEqual({ date: '', time: '' });
    expect(dueValue({ date: '', time: '10:00' })).toBeNull();
  });

  it('formats datetime-local values', () => {
    expect(localInput(new Date(2026, 0, 5, 7, 3))).toBe('2026-01-05T07:03');
  });
});
