import { describe, expect, it } from 'vitest';
import type { Board, Deal } from '../api';
import { appendPage, applyBoardChange, fromServer, moveLocally, replaceDeal, withTotals, type BoardView } from './board';

function deal(id: string, stage: string, position: number, amount = 1000, currency = 'RUB'): Deal {
  return {
    id,
    title: `Deal ${id}`,
    amount_minor: amount,
    currency,
    pipeline_id: 'p',
    stage_id: stage,
    position,
    owner_id: 'o1',
    participants: [],
    tags: [],
    version: 1,
    created_by: 'o1',
    created_at: '',
    updated_at: '',
    stage_entered_at: '',
    custom: {},
  } as Deal;
}
function board(): Board {
  const stage = (id: string, position: number) =>
    ({ id, pipeline_id: 'p', name: id, color: '#888', kind: 'open', position }) as Board['columns'][number]['stage'];
  return {
    pipeline: { id: 'p', name: 'Sales', position: 0, stages: [] } as unknown as Board['pipeline'],
    columns: [
      { stage: stage('s1', 0), count: 2, sums: [{ currency: 'RUB', amount_minor: 3000 }], deals: [deal('a', 's1', 1, 1000), deal('b', 's1', 2, 2000)] },
      { stage: stage('s2', 1), count: 0, sums: [], deals: [] },
    ],
  };
}
const summary = (b: BoardView) =>
  b.columns.map((c) => `${c.stage.id}:${c.deals.map((d) => d.id).join('')}:${c.count}:${c.sums.map((s) => `${s.amount_minor}${s.currency}`).join('+')}`);

describe('board', () => {
  it('moves a card between columns with counts and sums', () => {
    const b = moveLocally(board(), 'b', 's2', 0);
    expect(summary(b)).toEqual(['s1:a:1:1000RUB', 's2:b:1:2000RUB']);
  });

  it('reorders within a column', () => {
    expect(summary(moveLocally(board(), 'b', 's1', 0))).toEqual(['s1:ba:2:3000RUB', 's2::0:']);
  });

  it('applies live upserts by position, hides, removes and filters', () => {
    let b = applyBoardChange(board(), { type: 'deal_upserted', deal: deal('c', 's1', 1.5 as number, 500, 'USD') }, {})!;
    expect(summary(b)[0]).toBe('s1:acb:3:3000RUB+500USD');
    b = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('a', 's2', 1), version: 2 } }, {})!;
    expect(summary(b)).toEqual(['s1:cb:2:2000RUB+500USD', 's2:a:1:1000RUB']);
    b = applyBoardChange(b, { type: 'deal_hidden', deal_id: 'c' }, {})!;
    b = applyBoardChange(b, { type: 'deal_removed', deal_id: 'a' }, {})!;
    expect(summary(b)).toEqual(['s1:b:1:2000RUB', 's2::0:']);
    // A deal that no longer matches the owner filter leaves the board.
    b = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('b', 's1', 2), owner_id: 'o2' } }, { ownerId: 'o1' })!;
    expect(summary(b)[0]).toBe('s1::0:');
    expect(applyBoardChange(b, { type: 'stages_changed' }, {})).toBeNull();
  });

  it('never lets an older version of a card move it back', () => {
    let b = applyBoardChange(board(), { type: 'deal_upserted', deal: { ...deal('a', 's2', 1), version: 3 } }, {})!;
    expect(summary(b)[1]).toBe('s2:a:1:1000RUB');
    // Built from a read of version 2 (before the move), logged after it.
    const stale = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('a', 's1', 1), version: 2 } }, {})!;
    expect(summary(stale)).toEqual(summary(b));
    // The same version again (a task change on the card) still applies.
    b = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('a', 's2', 1), version: 3, title: 'renamed' } }, {})!;
    expect(b.columns[1]!.deals[0]!.title).toBe('renamed');
  });

  describe('a big column held in part', () => {
    // s1 holds 10 deals worth 10,000 RUB; the first two are loaded (edge 2).
    function big(): BoardView {
      const b = board();
      return fromServer({
        ...b,
        columns: [{ ...b.columns[0]!, count: 10, sums: [{ currency: 'RUB', amount_minor: 10_000 }], next_cursor: 'c1' }, b.columns[1]!],
      } as Board);
    }

    it('shows a live card only within the loaded cards, and counts it either way', () => {
      let b = big();
      expect(b.columns[0]!.edge).toBe(2);
      // A card of s2 moves into s1 within the loaded part: shown, counted.
      b = { ...b, columns: [b.columns[0]!, { ...b.columns[1]!, count: 1, sums: [{ currency: 'RUB', amount_minor: 700 }], deals: [deal('x', 's2', 5, 700)] }] };
      b = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('x', 's1', 1.5 as number, 700), version: 2 } }, {})!;
      expect(summary(b)).toEqual(['s1:axb:11:10700RUB', 's2::0:']);
      expect(b.totalsStale).toBeFalsy();
      // A loaded card moves below the loaded part: a card shown stays in view.
      b = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('a', 's1', 99, 1000), version: 2 } }, {})!;
      expect(summary(b)[0]).toBe('s1:xba:11:10700RUB');
      // A card never loaded here (from s1's unloaded tail) moves to s2: the heads are unsure.
      b = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('q', 's2', 1, 300), version: 3 } }, {})!;
      expect(summary(b)).toEqual(['s1:xba:11:10700RUB', 's2:q:1:300RUB']);
      expect(b.totalsStale).toBe(true);
      const heads = { ...b, columns: [{ ...b.columns[0]!, deals: [], count: 10, sums: [{ currency: 'RUB', amount_minor: 10_400 }] }, { ...b.columns[1]!, deals: [] }] } as Board;
      b = withTotals(b, heads)!;
      expect(summary(b)).toEqual(['s1:xba:10:10400RUB', 's2:q:1:300RUB']);
      expect(b.totalsStale).toBe(false);
    });

    it('pages in the next cards after the loaded ones, without repeats', () => {
      let b = big();
      b = appendPage(b, 's1', [deal('b', 's1', 2), deal('c', 's1', 3), deal('d', 's1', 4)], 'c2');
      expect(summary(b)[0]).toBe('s1:abcd:10:10000RUB');
      expect(b.columns[0]!.edge).toBe(4);
      b = appendPage(b, 's1', [deal('e', 's1', 5)], null);
      expect(b.columns[0]!.next_cursor).toBeNull();
      expect(b.columns[0]!.edge).toBeUndefined();
      // Held whole now: its heads come from its cards again.
      b = applyBoardChange(b, { type: 'deal_removed', deal_id: 'e' }, {})!;
      expect(summary(b)[0]).toBe('s1:abcd:4:5000RUB');
    });

    it('keeps a card dropped at the end of the loaded part in view', () => {
      let b = big();
      b = moveLocally(b, 'a', 's1', 1);
      expect(summary(b)[0]).toBe('s1:ba:10:10000RUB');
      // The server placed it after the edge; the echo keeps it where it is shown.
      b = replaceDeal(b, { ...deal('a', 's1', 3), version: 2 });
      b = applyBoardChange(b, { type: 'deal_upserted', deal: { ...deal('a', 's1', 3), version: 2 } }, {})!;
      expect(summary(b)[0]).toBe('s1:ba:10:10000RUB');
      // A card hidden from a part-held board, unseen here: the heads are read again.
      expect(applyBoardChange(b, { type: 'deal_hidden', deal_id: 'zz' }, {})!.totalsStale).toBe(true);
    });
  });
});
