import { describe, expect, it } from 'vitest';
import { appendNote, findContacts, hasEmail, hasPhone, messageLink, noteQuote, splitMessageLinks, taskTitle } from './actions';

const chat = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

describe('message actions', () => {
  it('links to a message as search does, and finds such links in text', () => {
    const link = messageLink('https://artel.test', chat, 42);
    expect(link).toBe(`https://artel.test/chats/${chat}?seq=42`);
    const parts = splitMessageLinks(`Call back\n\nFrom: ${link} ok`, 'https://artel.test');
    expect(parts.map((p) => p.text)).toEqual(['Call back\n\nFrom: ', link, ' ok']);
    expect(parts[1]?.chat).toEqual({ chatId: chat, seq: 42 });
    expect(splitMessageLinks(link, 'https://other.test')).toEqual([{ text: link }]);
  });

  it('takes a title from the first non-empty line', () => {
    expect(taskTitle('\n  Send the offer  \nsecond')).toBe('Send the offer');
    expect(taskTitle('x'.repeat(200), 10)).toBe('xxxxxxxxx…');
  });

  it('quotes a message with author, date and link, after existing notes', () => {
    const q = noteQuote('Budget is 2M\n\nby Friday', 'Анна', '7 дек. 14:00', 'L');
    expect(q).toBe('> Budget is 2M\n>\n> by Friday\n— Анна, 7 дек. 14:00 · L');
    expect(appendNote('', q)).toBe(q);
    expect(appendNote('Old\n', q)).toBe(`Old\n\n${q}`);
  });

  it('finds phones and e-mails as written, once each', () => {
    const f = findContacts('Звоните +7 (916) 123-45-67 или 8 916 123 45 67, почта ivan.petrov@romashka.ru. В 2026 году, заказ 12345.');
    expect(f.emails).toEqual(['ivan.petrov@romashka.ru']);
    expect(f.phones).toEqual(['+7 (916) 123-45-67', '8 916 123 45 67']);
    expect(findContacts('write to a1234567@x.io').phones).toEqual([]);
  });

  it('knows a phone or e-mail already on the card', () => {
    expect(hasPhone(['+79161234567'], '8 (916) 123-45-67')).toBe(true);
    expect(hasPhone(['+79161234567'], '+7 916 000 00 00')).toBe(false);
    expect(hasEmail(['Ivan@Romashka.ru'], 'ivan@romashka.ru')).toBe(true);
  });
});
