// Pure helpers behind the record forms: money typed the way people type it,
// lists typed one per line or comma, custom values in the API's shapes. Kept
// free of React for unit tests.

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
