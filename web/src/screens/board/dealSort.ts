// The deal list's order, as the server sorts it (`GET /deals?sort=&order=`):
// which column sorts how, and what a click on a column header does.

export type DealSortKey = 'board' | 'updated_at' | 'created_at' | 'amount' | 'close_date' | 'title';
export type SortOrder = 'asc' | 'desc';
export type DealSortState = { key: DealSortKey; order: SortOrder };

/** The list opens with the most recently changed deals first. */
export const DEFAULT_DEAL_SORT: DealSortState = { key: 'updated_at', order: 'desc' };

/** A header click: another column sorts ascending; the same one turns round. */
export function toggleSort(cur: DealSortState, key: DealSortKey): DealSortState {
  if (cur.key !== key) return { key, order: 'asc' };
  return { key, order: cur.order === 'asc' ? 'desc' : 'asc' };
}

/** `aria-sort` of a column header. */
export function ariaSort(cur: DealSortState, key: DealSortKey): 'ascending' | 'descending' | 'none' {
  if (cur.key !== key) return 'none';
  return cur.order === 'asc' ? 'ascending' : 'descending';
}
