import { describe, expect, it } from 'vitest';
import type { LocalMessage, Row } from '@artel/client/state/messages';
import { landingRow, newBelow } from './scroll';

const msg = (seq: number, author = 'other', extra: Partial<LocalMessage> = {}) => ({ seq, author_id: author, thread_root_id: null, ...extra }) as LocalMessage;
const row = (m: LocalMessage): Row => ({ kind: 'message', key: `m${m.seq}`, message: m, compact: false });

describe('where a chat opens', () => {
  const rows: Row[] = [{ kind: 'day', key: 'd', label: 'Today' }, row(msg(1)), row(msg(2)), { kind: 'unread', key: 'unread' }, row(msg(3)), row(msg(4))];
  it('lands on the newest message when all is read', () => {
    const read = rows.filter((r) => r.kind !== 'unread');
    expect(landingRow(read)).toEqual({ index: read.length - 1, align: 'end', atEnd: true });
  });
  it('lands on the "new messages" line when something is unread', () => {
    expect(landingRow(rows)).toEqual({ index: 3, align: 'start', atEnd: false });
  });
  it('lands on a searched message first', () => {
    expect(landingRow(rows, 2)).toEqual({ index: 2, align: 'center', atEnd: false });
    expect(landingRow(rows, 99).index).toBe(3);
  });
});

describe('new messages below', () => {
  it("counts others' top-level messages after the last one seen", () => {
    const items = [msg(1), msg(2, 'me'), msg(3), msg(4, 'other', { thread_root_id: 'x' }), msg(5), msg(6, 'other', { local: 'pending' })];
    expect(newBelow(items, 2, 'me')).toBe(2);
    expect(newBelow(items, 5, 'me')).toBe(0);
  });
});
