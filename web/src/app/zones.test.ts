import { describe, expect, it } from 'vitest';
import { zoneLabel, zoneOptions } from './zones';

describe('time-zone picker', () => {
  const browser = ['Africa/Abidjan', 'Europe/London', 'Europe/Moscow'];

  it('keeps a UTC user in UTC instead of the first zone of the list', () => {
    const options = zoneOptions('UTC', browser);
    expect(options[0]).toEqual({ value: 'UTC', label: 'UTC' });
    expect(options.filter((o) => o.value === 'UTC')).toHaveLength(1);
  });

  it('offers an Etc zone the browser does not list, kept as it is and shown as UTC', () => {
    const options = zoneOptions('Etc/UTC', browser);
    expect(options.map((o) => o.value)).toEqual(['UTC', 'Etc/UTC', ...browser]);
    expect(options[1]!.label).toBe('UTC');
  });

  it('reads Etc/GMT±N as the UTC offset it means (the POSIX sign is inverted)', () => {
    expect(zoneLabel('Etc/GMT+3')).toBe('UTC−03:00');
    expect(zoneLabel('Etc/GMT-10')).toBe('UTC+10:00');
    expect(zoneLabel('Etc/GMT')).toBe('UTC');
    expect(zoneLabel('Europe/Moscow')).toBe('Europe/Moscow');
  });

  it('does not repeat a listed zone', () => {
    expect(zoneOptions('Europe/London', browser).map((o) => o.value)).toEqual(['UTC', ...browser]);
  });
});
