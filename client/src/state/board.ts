// A deal board as one immutable value and the pure functions that change it:
// live board events, optimistic drags, more cards paged into a column.
//
// A big column arrives with its first cards only (`next_cursor` says more
// follow), while its count and sums cover the whole column. So a column holds a
// loaded prefix of its cards: a live card lands in it only when it sorts within
// that prefix (`edge`, the position of the last card read from the server); the
// rest waits for its page. Counts and sums of a column held whole are recomputed
// from its cards, exactly as the server computes them; those of a partial column
// follow each change by difference, and when a change concerns a card this
// client never loaded (it may or may not be counted already), the board is
// marked `totalsStale` and its heads are read again.
import type { Board, BoardChange, BoardColumn, Deal } from '../api';

export interface BoardFilter {
  ownerId?: string;
  text?: string;
}

/** A column as a client holds it. */
export type ColumnView = BoardColumn & {
  /** While more cards follow: the position of the last one read from the server. */
  edge?: number;
};

/** A board as a client holds it. */
export type BoardView = Omit<Board, 'columns'> & {
  columns: ColumnView[];
  /** Counts and sums may be off: read the column heads again (`per_column=0`). */
  totalsStale?: boolean;
};

/** The board as the server sent it, ready for live changes. */
export function fromServer(board: Board): BoardView {
  return { ...board, columns: board.columns.map((c) => withEdge(c, c.deals)) };
}

function withEdge(col: ColumnView, loaded: Deal[]): ColumnView {
  const last = loaded[loaded.length - 1];
  const { edge: _old, ...rest } = col;
  return col.next_cursor && last ? { ...rest, edge: last.position } : rest;
}

const partial = (c: ColumnView) => Boolean(c.next_cursor);

/** Whether a deal passes the filter the board was loaded with (for live upserts). */
export function matches(deal: Deal, f: BoardFilter): boolean {
  if (deal.archived_at) return false;
  if (f.ownerId && deal.owner_id !== f.ownerId) return false;
  if (f.text && !deal.title.toLowerCase().includes(f.text.trim().toLowerCase())) return false;
  return true;
}

/** Counts and sums from the cards: a column held whole. */
function recount(col: ColumnView, deals: Deal[]): ColumnView {
  const sums = new Map<string, number>();
  for (const d of deals) sums.set(d.currency, (sums.get(d.currency) ?? 0) + d.amount_minor);
  return { ...col, deals, count: deals.length, sums: sortedSums(sums) };
}

function sortedSums(sums: Map<string, number>) {
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amount_minor]) => ({ currency, amount_minor }));
}

/**
 * The column with `deals` as its cards; a partial column's heads change by
 * `sign` times `deal` (-1 a card left, +1 one came, 0 unknown: left as they are).
 */
function update(col: ColumnView, deals: Deal[], deal: Deal, sign: -1 | 0 | 1): ColumnView {
  if (!partial(col)) return recount(col, deals);
  if (sign === 0) return { ...col, deals };
  const sums = new Map(col.sums.map((s) => [s.currency, s.amount_minor] as const));
  const sum = Math.max(0, (sums.get(deal.currency) ?? 0) + sign * deal.amount_minor);
  // A currency whose sum falls to nothing leaves the heads (its zero-amount
  // deals, if any, come back with the next read of the heads).
  if (sign > 0 || sum > 0) sums.set(deal.currency, sum);
  else sums.delete(deal.currency);
  return { ...col, deals, count: Math.max(0, col.count + sign), sums: sortedSums(sums) };
}

/** The board without the card (if shown), its column's heads following. */
function without(board: BoardView, deal: Deal): BoardView {
  return {
    ...board,
    columns: board.columns.map((c) =>
      c.deals.some((d) => d.id === deal.id) ? update(c, c.deals.filter((d) => d.id !== deal.id), deal, -1) : c,
    ),
  };
}

/**
 * Puts a deal in its stage's column: at `index` for a local move, else by
 * position — in a partial column only when it sorts within the loaded cards
 * (or was shown there already). `counted`: whether the heads take it in.
 */
function place(board: BoardView, deal: Deal, index: number | undefined, counted: boolean, shownHere: boolean): BoardView {
  return {
    ...board,
    columns: board.columns.map((c) => {
      if (c.stage.id !== deal.stage_id) return c;
      const deals = [...c.deals];
      const visible = index !== undefined || !partial(c) || shownHere || (c.edge !== undefined && deal.position <= c.edge);
      if (visible) {
        if (index === undefined) {
          const at = deals.findIndex((d) => d.position > deal.position);
          deals.splice(at < 0 ? deals.length : at, 0, deal);
        } else deals.splice(Math.max(0, Math.min(index, deals.length)), 0, deal);
      }
      return update(c, deals, deal, counted ? 1 : 0);
    }),
  };
}

function columnOf(board: BoardView, dealId: string): ColumnView | undefined {
  return board.columns.find((c) => c.deals.some((d) => d.id === dealId));
}

/** Applies a live change; `null` means "reload the board" (its stages changed). */
export function applyBoardChange(board: BoardView, change: BoardChange, filter: BoardFilter): BoardView | null {
  switch (change.type) {
    case 'deal_upserted': {
      const deal = change.deal;
      // An event built from an older read of the deal (a task saved while the
      // card moved) must not move the card back: versions only grow.
      const shown = findDeal(board, deal.id);
      if (shown && shown.version > deal.version) return board;
      const from = columnOf(board, deal.id);
      // A card never loaded may sit counted in some column's unloaded tail.
      const unsure = !shown && board.columns.some(partial);
      const base = shown ? without(board, shown) : board;
      const next =
        deal.pipeline_id !== board.pipeline.id || !matches(deal, filter)
          ? base
          : place(base, deal, undefined, !unsure, from?.stage.id === deal.stage_id);
      return unsure ? { ...next, totalsStale: true } : next;
    }
    case 'deal_hidden':
    case 'deal_removed': {
      const shown = findDeal(board, change.deal_id);
      if (shown) return without(board, shown);
      return board.columns.some(partial) ? { ...board, totalsStale: true } : board;
    }
    case 'stages_changed':
      return null;
  }
}

export function findDeal(board: BoardView, dealId: string): Deal | undefined {
  for (const c of board.columns) {
    const d = c.deals.find((x) => x.id === dealId);
    if (d) return d;
  }
  return undefined;
}

/** The optimistic result of dropping a card: in `stageId` at `index` (among the others). */
export function moveLocally(board: BoardView, dealId: string, stageId: string, index: number): BoardView {
  const deal = findDeal(board, dealId);
  if (!deal) return board;
  return place(without(board, deal), { ...deal, stage_id: stageId }, index, true, true);
}

/** The deal as the server answered, in place of its card (heads follow its amount). */
export function replaceDeal(board: BoardView, deal: Deal): BoardView {
  const old = findDeal(board, deal.id);
  if (!old) return board;
  return {
    ...board,
    columns: board.columns.map((c) => {
      const i = c.deals.findIndex((d) => d.id === deal.id);
      if (i < 0) return c;
      const deals = c.deals.map((d) => (d.id === deal.id ? deal : d));
      return partial(c) ? update(update(c, deals, old, -1), deals, deal, 1) : recount(c, deals);
    }),
  };
}

/** The next cards of a column, read from its cursor, merged in place. */
export function appendPage(board: BoardView, stageId: string, page: Deal[], nextCursor: string | null): BoardView {
  return {
    ...board,
    columns: board.columns.map((c) => {
      if (c.stage.id !== stageId) return c;
      const have = new Set(c.deals.map((d) => d.id));
      const deals = [...c.deals, ...page.filter((d) => !have.has(d.id))].sort((a, b) =>
        a.position !== b.position ? a.position - b.position : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
      );
      return withEdge({ ...c, deals, next_cursor: nextCursor }, page.length ? page : c.deals);
    }),
  };
}

/**
 * The heads (count and sums) of `heads` — the same board read again with no
 * cards — on the cards held; `null` when its stages differ (reload instead).
 */
export function withTotals(board: BoardView, heads: Board): BoardView | null {
  if (heads.columns.length !== board.columns.length) return null;
  const columns: ColumnView[] = [];
  for (const c of board.columns) {
    const h = heads.columns.find((x) => x.stage.id === c.stage.id);
    if (!h) return null;
    columns.push(partial(c) ? { ...c, count: h.count, sums: h.sums } : c);
  }
  return { ...board, columns, totalsStale: false };
}
