// What the merge dialog asks: for each single-value field either card fills,
// whether the two differ (then the user picks) and what the server does when
// not told (the staying card's value, or the other's where it is empty).
import type { Company, Contact } from '@artel/client';

export type Pick = 'keep' | 'take';

export interface MergeField {
  key: string;
  into: unknown;
  from: unknown;
  /** Both filled and different: the user picks one. */
  conflict: boolean;
  /** What the server keeps when not told. */
  default: Pick;
}

const SINGLE: Record<'contact' | 'company', string[]> = {
  contact: ['name', 'position', 'company_id', 'address', 'owner_id', 'source', 'notes'],
  company: ['name', 'website', 'address', 'owner_id', 'source', 'notes'],
};

export function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/** The rows of the dialog: fields either card fills, custom ones (`custom.<key>`) after. */
export function singleFields(kind: 'contact' | 'company', into: Contact | Company, from: Contact | Company, customKeys: string[]): MergeField[] {
  const get = (r: Contact | Company, key: string): unknown =>
    key.startsWith('custom.') ? (r.custom as Record<string, unknown>)[key.slice(7)] : (r as unknown as Record<string, unknown>)[key];
  const keys = [...SINGLE[kind], ...customKeys.map((k) => `custom.${k}`)];
  const out: MergeField[] = [];
  for (const key of keys) {
    const a = get(into, key);
    const b = get(from, key);
    if (isEmpty(a) && isEmpty(b)) continue;
    const differ = JSON.stringify(a) !== JSON.stringify(b);
    // Notes of both are joined: nothing to pick.
    const conflict = key !== 'notes' && !isEmpty(a) && !isEmpty(b) && differ;
    out.push({ key, into: a, from: b, conflict, default: isEmpty(a) ? 'take' : 'keep' });
  }
  return out;
}

/** The request's `fields`: the choice for every field that had one. */
export function mergePicks(rows: MergeField[], picks: Record<string, Pick>): Record<string, Pick> {
  const out: Record<string, Pick> = {};
  for (const r of rows) if (r.conflict) out[r.key] = picks[r.key] ?? r.default;
  return out;
}
