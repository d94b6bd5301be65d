// Message actions (task, notes, client card) work on a message's plain text:
// what it links back to, what phones and e-mails it holds, and how a quote of
// it reads in a record's notes. Pure, unit-tested.

/** The app's own address of a message: its chat scrolled to its seq (as search jumps). */
export function messageLink(origin: string, chatId: string, seq: number): string {
  return `${origin}/chats/${encodeURIComponent(chatId)}?seq=${seq}`;
}

const LINK = /(https?:\/\/[^\s/]+)\/chats\/([0-9a-fA-F-]{36})\?seq=(\d+)/g;

export interface LinkPart {
  text: string;
  /** Set when this part is a link to a message of this app. */
  chat?: { chatId: string; seq: number };
}

/**
 * Splits text into plain runs and links to messages on `origin` (another
 * server's links stay plain text: they would open a chat this one lacks).
 */
export function splitMessageLinks(text: string, origin: string): LinkPart[] {
  const out: LinkPart[] = [];
  let last = 0;
  for (const m of text.matchAll(LINK)) {
    const at = m.index ?? 0;
    if (m[1] !== origin) continue;
    if (at > last) out.push({ text: text.slice(last, at) });
    out.push({ text: m[0], chat: { chatId: m[2] ?? '', seq: Number(m[3]) } });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** A task title from a message: its first line, at most `max` characters. */
export function taskTitle(text: string, max = 120): string {
  const line = text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/** The message quoted for a record's notes: "> " lines, then who, when and a link back. */
export function noteQuote(text: string, author: string, when: string, link: string): string {
  const quoted = text
    .trim()
    .split('\n')
    .map((l) => `> ${l}`.trimEnd())
    .join('\n');
  return `${quoted}\n— ${author}, ${when} · ${link}`;
}

/** Notes with a quote appended after a blank line. */
export function appendNote(notes: string, quote: string): string {
  return notes.trim() ? `${notes.trimEnd()}\n\n${quote}` : quote;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// A run of digits with the separators people type: +7 (916) 123-45-67, 8 916 1234567.
const PHONE = /(?:\+|\b)\d[\d\s().-]{5,20}\d\b/g;

export const digits = (s: string) => s.replace(/\D/g, '');

/** Phones (7 to 15 digits) and e-mails in a message, each once, as written. */
export function findContacts(text: string): { phones: string[]; emails: string[] } {
  const emails = [...new Set((text.match(EMAIL) ?? []).map((e) => e.replace(/\.$/, '')))];
  // E-mails may hold digit runs; they are not phones.
  const rest = text.replace(EMAIL, ' ');
  const phones: string[] = [];
  for (const raw of rest.match(PHONE) ?? []) {
    const p = raw.trim();
    const n = digits(p).length;
    if (n < 7 || n > 15) continue;
    if (!phones.some((q) => digits(q) === digits(p))) phones.push(p);
  }
  return { phones, emails };
}

/**
 * Whether a phone as written is one the card already has (E.164 there). Without
 * the server's region rules, the national part decides: the last ten digits
 * (or all, when shorter) match the end of a stored number.
 */
export function hasPhone(e164s: string[], raw: string): boolean {
  const d = digits(raw);
  const tail = d.length > 10 ? d.slice(-10) : d;
  return e164s.some((e) => {
    const x = digits(e);
    return x === d || (tail.length >= 7 && x.endsWith(tail));
  });
}

export function hasEmail(emails: string[], email: string): boolean {
  return emails.some((e) => e.toLowerCase() === email.toLowerCase());
}
