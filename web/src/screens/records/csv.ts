// Just enough CSV on the client to offer a column mapping before an import:
// the header row, the delimiter, and a guess of which header is which field
// (the server parses the file itself).

export const IMPORT_TARGETS = {
  contact: ['name', 'phones', 'emails', 'company', 'position', 'address', 'tags', 'owner_email', 'source', 'notes'],
  company: ['name', 'phones', 'emails', 'website', 'address', 'tags', 'owner_email', 'source', 'notes'],
} as const;

/** The first line's cells (quotes honoured) and the delimiter it uses. */
export function csvHeader(text: string): { headers: string[]; delimiter: ';' | ',' } {
  const body = text.replace(/^\uFEFF/, '');
  const line = firstRecord(body);
  const delimiter = count(line, ';') > count(line, ',') ? ';' : ',';
  if (!line.trim()) return { headers: [], delimiter };
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) cells.push(cur.trim()), (cur = '');
    else cur += ch;
  }
  cells.push(cur.trim());
  return { headers: cells.filter((c, i) => c && cells.indexOf(c) === i), delimiter };
}

function firstRecord(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (!quoted && (text[i] === '\n' || text[i] === '\r')) return text.slice(0, i);
  }
  return text;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** Words people put in headers, Russian and English, by field. */
const SYNONYMS: Record<string, string[]> = {
  name: ['name', 'full name', 'fio', 'имя', 'фио', 'название', 'наименование', 'контакт', 'компания название'],
  phones: ['phone', 'phones', 'tel', 'telephone', 'mobile', 'телефон', 'телефоны', 'мобильный', 'тел'],
  emails: ['email', 'emails', 'e-mail', 'mail', 'почта', 'эл. почта', 'электронная почта'],
  company: ['company', 'organization', 'компания', 'организация'],
  position: ['position', 'title', 'job title', 'должность'],
  website: ['website', 'site', 'url', 'web', 'сайт'],
  address: ['address', 'адрес'],
  tags: ['tags', 'tag', 'теги', 'метки'],
  owner_email: ['owner', 'owner_email', 'owner email', 'ответственный'],
  source: ['source', 'источник'],
  notes: ['notes', 'note', 'comment', 'заметки', 'примечание', 'комментарий'],
};

/** header → target for the headers that look like a field (each target used once). */
export function guessMapping(headers: string[], targets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const h of headers) {
    const k = h.trim().toLowerCase();
    const target =
      targets.find((x) => x === k) ??
      targets.find((x) => x.startsWith('custom.') && x.slice(7) === k) ??
      targets.find((x) => SYNONYMS[x]?.includes(k));
    if (target && !used.has(target)) {
      out[h] = target;
      used.add(target);
    }
  }
  return out;
}
