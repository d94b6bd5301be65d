// A deal board as one immutable value and the pure functions that change it:
// live board events, optimistic drags. Counts and per-currency sums are recomputed
// from the cards, exactly as the server computes them.
import type { Board, BoardChange, BoardColumn, Deal } from '@api';

export interface BoardFilter {
  ownerId?: string;
  text?: string;
}

/** Whether a deal passes the filter the board was loaded with (for live upserts). */
export function matches(deal: Deal, f: BoardFilter): boolean {
  if (deal.archived_at) return false;
  if (f.ownerId && deal.owner_id !== f.ownerId) return false;
  if (f.text && !deal.title.toLowerCase().includes(f.text.trim().toLowerCase())) return false;
  return true;
}

function recount(col: BoardColumn, deals: Deal[]): BoardColumn {
  const sums = new Map<string, number>();
  for (const d of deals) sums.set(d.currency, (sums.get(d.currency) ?? 0) + d.amount_minor);
  return {
    ...col,
    deals,
    count: deals.length,
    sums: [...sums.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, amount_minor]) => ({ currency, amount_minor })),
  };
}

function without(board: Board, dealId: string): Board {
  return {
    ...board,
    columns: board.columns.map((c) =>
      c.deals.some((d) => d.id === dealId) ? recount(c, c.deals.filter((d) => d.id !== dealId)) : c,
    ),
  };
}

/** Puts a deal in its stage's column by position (or at `index` for a local move). */
export function place(board: Board, deal: Deal, index?: number): Board {
  const base = without(board, deal.id);
  return {
    ...base,
    columns: base.columns.map((c) => {
      if (c.stage.id !== deal.stage_id) return c;
      const deals = [...c.deals];
      if (index === undefined) {
        const at = deals.findIndex((d) => d.position > deal.position);
        deals.splice(at < 0 ? deals.length : at, 0, deal);
      } else deals.splice(Math.max(0, Math.min(index, deals.length)), 0, deal);
      return recount(c, deals);
    }),
  };
}

/** Applies a live change; `null` means "reload the board" (its stages changed). */
export function applyBoardChange(board: Board, change: BoardChange, filter: BoardFilter): Board | null {
  switch (change.type) {
    case 'deal_upserted': {
      // An event built from an older read of the deal (a task saved while the
      // card moved) must not move the card back: versions only grow.
      const shown = findDeal(board, change.deal.id);
      if (shown && shown.version > change.deal.version) return board;
      if (change.deal.pipeline_id !== board.pipeline.id || !matches(change.deal, filter)) {
        return without(board, change.deal.id);
      }
      return place(board, change.deal);
    }
    case 'deal_hidden':
    case 'deal_removed':
      return without(board, change.deal_id);
    case 'stages_changed':
      return null;
  }
}

export function findDeal(board: Board, dealId: string): Deal | undefined {
  for (const c of board.columns) {
    const d = c.deals.find((x) => x.id === dealId);
    if (d) return d;
  }
  return undefined;
}

/** The optimistic result of dropping a card: in `stageId` at `index` (among the others). */
export function moveLocally(board: Board, dealId: string, stageId: string, index: number): Board {
  const deal = findDeal(board, dealId);
  if (!deal) return board;
  return place(board, { ...deal, stage_id: stageId }, index);
}
