// Pure helpers behind the record forms: money typed the way people type it,
// lists typed one per line or comma, custom values in the API's shapes, and
// the deal table's client-side order. Kept free of React for unit tests.
import type { Deal } from '@api';

/** Digits after the point in `currency` (kopecks: 2, yen: 0), as Intl knows them. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * "1 500,50", "1,500.50", "1500" → minor units; '' → 0; anything else → null
 * (the form says it is not a number instead of sending a guess).
 */
export function parseAmount(text: string, currency: string): number | null {
  let s = text.replace(/[\s\u00a0\u202f']/g, '');
  if (!s) return 0;
  const digits = minorDigits(currency);
  // Both separators: the last one is the decimal point ("1.500,50", "1,500.50").
  if (s.includes(',') && s.includes('.')) s = s.lastIndexOf(',') > s.lastIndexOf('.') ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  // One kind, repeated: thousands ("1,000,000", "1.000.000").
  else if ((s.match(/[,.]/g) ?? []).length > 1) s = s.replace(/[,.]/g, '');
  // One separator and exactly three digits after it cannot be kopecks or
  // cents: thousands ("320,000" typed in English). Otherwise a decimal ("1,5").
  else if (/^\d+[,.]\d{3}$/.test(s) && digits < 3) s = s.replace(/[,.]/, '');
  else s = s.replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(s)) return null;
  const [whole, frac = ''] = s.split('.');
  if (frac.length > digits) return null;
  return Number(whole) * 10 ** digits + Number((frac + '0'.repeat(digits)).slice(0, digits) || '0');
}

/** Minor units back to what the amount input shows ("1500.5" → "1500.50"). */
export function formatAmountInput(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(minor);
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${minor < 0 ? '-' : ''}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Phones, e-mails, tags: one per line or separated by commas/semicolons; blanks and repeats dropped. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\n,;]+/)) {
    const v = part.trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

export type FieldKind = 'text' | 'number' | 'money' | 'date' | 'list' | 'user' | 'link';

/** A custom value as its input holds it (a string, or several for a multi-choice list). */
export type CustomDraft = string | string[];

export function customToDraft(kind: FieldKind, multiple: boolean, v: unknown): CustomDraft {
  if (v === null || v === undefined) return multiple ? [] : '';
  if (multiple) return Array.isArray(v) ? v.map(String) : [String(v)];
  if (kind === 'money' && typeof v === 'object') {
    const m = v as { amount_minor?: number; currency?: string };
    return `${formatAmountInput(m.amount_minor ?? 0, m.currency ?? 'RUB')} ${m.currency ?? ''}`.trim();
  }
  return Array.isArray(v) ? v.map(String).join(', ') : String(v);
}

/**
 * The draft in the API's shape: null clears the value; `{ error }` when the
 * draft cannot be a value of the kind (the form says so next to the field).
 */
export function draftToCustom(kind: FieldKind, multiple: boolean, d: CustomDraft, defaultCurrency: string): unknown | { error: 'number' | 'money' } {
  if (multiple) return Array.isArray(d) && d.length ? d : null;
  const s = (Array.isArray(d) ? d.join(',') : d).trim();
  if (!s) return null;
  if (kind === 'number') {
    const n = Number(s.replace(/\s/g, '').replace(',', '.'));
    return Number.isFinite(n) ? n : { error: 'number' };
  }
  if (kind === 'money') {
    const m = /^(.*?)\s*([A-Za-z]{3})?$/.exec(s);
    const currency = (m?.[2] ?? defaultCurrency).toUpperCase();
    const minor = parseAmount(m?.[1] ?? '', currency);
    return minor === null ? { error: 'money' } : { amount_minor: minor, currency };
  }
  return s;
}

export function isDraftError(v: unknown): v is { error: 'number' | 'money' } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v;
}

export type DealSort = { key: 'title' | 'stage' | 'amount' | 'owner' | 'client' | 'close'; desc: boolean };

/** Orders a page of deals by a column; names come from the caller (stage, owner, client). */
export function sortDeals(
  deals: Deal[],
  sort: DealSort,
  names: { stage: (d: Deal) => string | number; owner: (d: Deal) => string; client: (d: Deal) => string },
  locale: string,
): Deal[] {
  const collator = new Intl.Collator(locale, { sensitivity: 'base', numeric: true });
  const val = (d: Deal): string | number => {
    switch (sort.key) {
      case 'title':
        return d.title;
      case 'stage':
        return names.stage(d);
      case 'amount':
        return d.amount_minor;
      case 'owner':
        return names.owner(d);
      case 'client':
        return names.client(d);
      case 'close':
        return d.expected_close_date ?? '';
    }
  };
  const out = [...deals].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    // Empty values last whatever the direction: a blank date is not "earliest".
    if (x === '' && y !== '') return 1;
    if (y === '' && x !== '') return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    return sort.desc ? -c : c;
  });
  return out;
}
