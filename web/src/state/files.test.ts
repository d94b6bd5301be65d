import { describe, expect, it } from 'vitest';
import { fileSize, isInlineImage } from './files';

describe('fileSize', () => {
  it('picks the unit and the language', () => {
    expect(fileSize(820, 'en')).toBe('820\u00a0B');
    expect(fileSize(820, 'ru')).toBe('820\u00a0Б');
    expect(fileSize(14 * 1024, 'en')).toBe('14\u00a0KB');
    expect(fileSize(3.2 * 1024 * 1024, 'en')).toBe('3.2\u00a0MB');
    expect(fileSize(3.2 * 1024 * 1024, 'ru')).toBe('3,2\u00a0МБ');
    expect(fileSize(5 * 1024 ** 4, 'en')).toBe('5,120\u00a0GB');
    expect(fileSize(0, 'ru')).toBe('0\u00a0Б');
  });
});

describe('isInlineImage', () => {
  it('only raster images are shown inline', () => {
    expect(isInlineImage('image/png')).toBe(true);
    expect(isInlineImage('image/webp')).toBe(true);
    expect(isInlineImage('image/svg+xml')).toBe(false);
    expect(isInlineImage('application/pdf')).toBe(false);
  });
});
