import { describe, expect, it } from 'vitest';
import { listMatchesCursors } from './cursors';

const summary = (id: string, last_seq: number) => ({ chat: { id, last_seq } });

describe('listMatchesCursors', () => {
  it('holds when every chat of the socket is in the list at its seq', () => {
    expect(listMatchesCursors([summary('a', 3), summary('b', 7)], [{ chat_id: 'b', last_seq: 7 }, { chat_id: 'a', last_seq: 3 }])).toBe(true);
    expect(listMatchesCursors([], [])).toBe(true);
  });

  it('fails on a message or change since the list was loaded', () => {
    expect(listMatchesCursors([summary('a', 3)], [{ chat_id: 'a', last_seq: 4 }])).toBe(false);
  });

  it('fails on a chat joined or left since', () => {
    expect(listMatchesCursors([summary('a', 3)], [{ chat_id: 'a', last_seq: 3 }, { chat_id: 'b', last_seq: 1 }])).toBe(false);
    expect(listMatchesCursors([summary('a', 3), summary('b', 1)], [{ chat_id: 'a', last_seq: 3 }])).toBe(false);
    expect(listMatchesCursors([summary('a', 3)], [{ chat_id: 'b', last_seq: 3 }])).toBe(false);
  });

  it('fails while no list is loaded', () => {
    expect(listMatchesCursors(undefined, [])).toBe(false);
  });
});
