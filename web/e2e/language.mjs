// Checks a screen for what a person must never see: a raw id, or a phrase of
// the other language's UI (an English UI string on a Russian screen, a Russian
// one on an English screen). The phrases come from the app's own dictionaries
// (client/src/i18n/{en,ru}.ts), so a string that was left untranslated, or a notice
// the server wrote in the author's language, is caught by the test rather than
// by eye.
//
// What people wrote is theirs: message bodies, inputs, code blocks and values
// shown for copying are left out (a Russian message on an English screen is
// fine; the UI around it must be English).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dictionaries of the shared client package (`@artel/client/i18n`). */
const I18N = fileURLToPath(new URL('../../client/src/i18n/', import.meta.url));

/** The values of one dictionary file (`'key': "value",` lines). */
export function dictionary(file) {
  return values(readFileSync(file, 'utf8'));
}

/**
 * The values of the object literals `const ru = {…}` and `const en … = {…}` of
 * one file holding both languages (the mobile client's own strings).
 */
export function dictionaries(file) {
  const text = readFileSync(file, 'utf8');
  const block = (name) => {
    const start = text.search(new RegExp(`^const ${name}\\b`, 'm'));
    if (start < 0) throw new Error(`no const ${name} in ${file}`);
    return text.slice(start, text.indexOf('\n};', start));
  };
  return { ru: values(block('ru')), en: values(block('en')) };
}

function values(text) {
  const values = [];
  for (const m of text.matchAll(/^\s*'[^']+':\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`),?\s*$/gm)) {
    values.push((m[1] ?? m[2] ?? m[3]).replace(/\\(.)/g, '$1'));
  }
  return values;
}

const words = (s, re) => (s.match(re) ?? []).length;

/**
 * Phrases that identify a language's UI: the fixed parts of its strings (the
 * text between `{placeholders}`) with at least two words of that script and
 * eight characters, minus anything the other dictionary also says (brand
 * names, units).
 */
export function phrases(values, script, other) {
  const otherSet = new Set(other.flatMap((v) => v.split(/\{[^}]*\}/).map((f) => f.trim())));
  const out = new Set();
  for (const v of values) {
    for (const raw of v.split(/\{[^}]*\}/)) {
      const f = raw.trim().replace(/^[\s.,:;—–-]+|[\s.,:;—–-]+$/g, '');
      if (f.length >= 8 && words(f, script) >= 2 && !otherSet.has(f)) out.add(f);
    }
  }
  return [...out];
}

const LATIN = /[A-Za-z]{2,}/g;
const CYRILLIC = /[А-Яа-яЁё]{2,}/g;

/** Phrases of the shared dictionaries, plus `more` ({ ru, en } value lists, e.g. the mobile client's strings). */
export function loadPhrases(more = []) {
  const en = [...dictionary(join(I18N, 'en.ts')), ...more.flatMap((d) => d.en)];
  const ru = [...dictionary(join(I18N, 'ru.ts')), ...more.flatMap((d) => d.ru)];
  if (en.length < 100 || ru.length < 100) throw new Error(`dictionaries not read: en ${en.length}, ru ${ru.length}`);
  return { en: phrases(en, LATIN, ru), ru: phrases(ru, CYRILLIC, en) };
}

/** The screen's UI text: visible text minus what people wrote or copy. */
export async function uiText(page) {
  return page.evaluate(() => {
    const skip = 'input, textarea, select, code, pre, .msg-body:not(.muted), [contenteditable], [data-user-content], script, style, noscript';
    const parts = [];
    const walk = (el) => {
      if (el.matches?.(skip)) return;
      const style = el.nodeType === 1 ? getComputedStyle(el) : null;
      if (style && (style.display === 'none' || style.visibility === 'hidden')) return;
      for (const n of el.childNodes) {
        if (n.nodeType === 3) parts.push(n.textContent);
        else if (n.nodeType === 1) walk(n);
      }
      // Labels a screen reader (and so a person) is given count too.
      for (const a of ['aria-label', 'title', 'placeholder']) {
        const v = el.getAttribute?.(a);
        if (v) parts.push(v);
      }
    };
    walk(document.body);
    return { lang: document.documentElement.lang, text: parts.join('\n') };
  });
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;

/** What is wrong on the page: raw ids and the other language's phrases. */
export function findings({ lang, text }, dict) {
  const out = [];
  // An address is an address (a link's tooltip, a copied URL): ids in it are not shown as ids.
  const id = text.replace(/\bhttps?:\/\/\S+/g, '').match(UUID);
  if (id) out.push(`raw id ${id[0]} in «${context(text, id.index)}»`);
  const foreign = lang === 'ru' ? dict.en : lang === 'en' ? dict.ru : [];
  for (const p of foreign) {
    const at = text.indexOf(p);
    if (at >= 0) out.push(`${lang === 'ru' ? 'English' : 'Russian'} «${p}» in «${context(text, at)}»`);
  }
  if (lang !== 'ru' && lang !== 'en') out.push(`page language is "${lang}"`);
  return out;
}

function context(text, at) {
  return text.slice(Math.max(0, at - 30), at + 60).replace(/\s+/g, ' ').trim();
}
