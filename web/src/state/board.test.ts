import { describe, expect, it } from 'vitest';
import type { Board, Deal } from '@api';
import { applyBoardChange, moveLocally } from './board';

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
const summary = (b: Board) =>
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
});
