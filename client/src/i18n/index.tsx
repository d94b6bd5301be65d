// Russian and English: a dictionary per language, plural forms chosen with
// Intl.PluralRules, and dates, numbers and money formatted with Intl in the
// user's time zone. Russian is the default when the browser asks for it.
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { ru, type StringKey } from './ru';
import { en } from './en';

export type Lang = 'ru' | 'en';
const dictionaries: Record<Lang, Record<string, string>> = { ru, en };
const LANG_KEY = 'artel.lang';

/** Stored choice, else the browser's preference (any Russian → ru), else English. */
export function detectLanguage(
  stored: string | null = safeStorage(LANG_KEY),
  preferred: readonly string[] = globalThis.navigator?.languages ?? [],
): Lang {
  if (stored === 'ru' || stored === 'en') return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ru') return 'ru';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function rememberLanguage(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    /* private mode */
  }
}

function safeStorage(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

type PluralBase<K> = K extends `${infer B}#${string}` ? B : K;
export type Key = PluralBase<StringKey>;
export type Vars = Record<string, string | number>;

export interface Translator {
  lang: Lang;
  timeZone: string | undefined;
  t: (key: Key, vars?: Vars) => string;
  /** Picks the plural form by `count` (keys `key#one`, `key#few`, else `key`). */
  tn: (key: Key, count: number, vars?: Vars) => string;
  date: (iso: string | Date, opts?: Intl.DateTimeFormatOptions) => string;
  time: (iso: string | Date) => string;
  dateTime: (iso: string | Date) => string;
  /** "Today" / "Yesterday" / a full date, for day separators. */
  day: (iso: string | Date) => string;
  /** Day key (YYYY-MM-DD) in the user's time zone, to group by day. */
  dayKey: (iso: string | Date) => string;
  number: (n: number) => string;
  money: (amountMinor: number, currency: string) => string;
}

export function makeTranslator(lang: Lang, timeZone?: string, now: () => Date = () => new Date()): Translator {
  const dict = dictionaries[lang];
  const fallback = dictionaries.ru;
  const locale = lang === 'ru' ? 'ru-RU' : 'en-GB';
  const rules = new Intl.PluralRules(locale);
  const fill = (s: string, vars?: Vars) =>
    vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
  const tz = validTimeZone(timeZone);
  const fmtCache = new Map<string, Intl.DateTimeFormat>();
  const fmt = (opts: Intl.DateTimeFormatOptions) => {
    const k = JSON.stringify(opts);
    let f = fmtCache.get(k);
    if (!f) {
      f = new Intl.DateTimeFormat(locale, { ...opts, timeZone: tz });
      fmtCache.set(k, f);
    }
    return f;
  };
  const keyFmt = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  const asDate = (v: string | Date) => (typeof v === 'string' ? new Date(v) : v);
  const dayKey = (v: string | Date) => keyFmt.format(asDate(v));
  const t = (key: Key, vars?: Vars) => fill(dict[key] ?? fallback[key] ?? key, vars);
  // Formatters are costly to build (a list of a thousand chats with unread
  // badges spent most of its render making them): one each, built when first needed.
  let numberFmt: Intl.NumberFormat | undefined;
  const num = (n: number) => (numberFmt ??= new Intl.NumberFormat(locale)).format(n);
  const moneyFmt = new Map<string, Intl.NumberFormat | null>();
  const moneyOf = (currency: string) => {
    let f = moneyFmt.get(currency);
    if (f === undefined) {
      try {
        f = new Intl.NumberFormat(locale, { style: 'currency', currency });
      } catch {
        f = null;
      }
      moneyFmt.set(currency, f);
    }
    return f;
  };
  return {
    lang,
    timeZone: tz,
    t,
    tn: (key, count, vars) => {
      const form = rules.select(count);
      const s = dict[`${key}#${form}`] ?? dict[key] ?? key;
      return fill(s, { count: num(count), ...vars });
    },
    date: (v, opts) => fmt(opts ?? { day: 'numeric', month: 'long', year: 'numeric' }).format(asDate(v)),
    time: (v) => fmt({ hour: '2-digit', minute: '2-digit' }).format(asDate(v)),
    dateTime: (v) => fmt({ day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(asDate(v)),
    dayKey,
    day: (v) => {
      const k = dayKey(v);
      const today = now();
      if (k === dayKey(today)) return t('chat.today');
      if (k === dayKey(new Date(today.getTime() - 86_400_000))) return t('chat.yesterday');
      return fmt({ weekday: 'long', day: 'numeric', month: 'long' }).format(asDate(v));
    },
    number: num,
    money: (amountMinor, currency) => {
      const f = moneyOf(currency);
      if (!f) return `${num(amountMinor / 100)} ${currency}`;
      const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
      return f.format(amountMinor / 10 ** digits);
    },
  };
}

function validTimeZone(tz: string | undefined): string | undefined {
  if (!tz) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

const I18nContext = createContext<Translator>(makeTranslator('en'));

export function I18nProvider({ lang, timeZone, children }: { lang: Lang; timeZone?: string; children: ReactNode }) {
  const value = useMemo(() => makeTranslator(lang, timeZone), [lang, timeZone]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): Translator {
  return useContext(I18nContext);
}
