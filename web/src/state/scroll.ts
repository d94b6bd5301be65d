// Where a chat opens and what the "jump to latest" button counts. Pure, unit-tested.
import type { LocalMessage, Row } from '@artel/client/state/messages';

/**
 * The row a reopened chat lands on: the message asked for (a search hit), else
 * the "new messages" line when something is unread, else the newest row.
 */
export function landingRow(rows: Row[], jumpTo?: number): { index: number; align: 'start' | 'center' | 'end'; atEnd: boolean } {
  if (jumpTo) {
    const i = rows.findIndex((r) => r.kind === 'message' && r.message.seq === jumpTo);
    if (i >= 0) return { index: i, align: 'center', atEnd: false };
  }
  const unread = rows.findIndex((r) => r.kind === 'unread');
  if (unread >= 0) return { index: unread, align: 'start', atEnd: false };
  return { index: rows.length - 1, align: 'end', atEnd: true };
}

/** Messages from others after `seenSeq` (the newest one the reader saw at the bottom). */
export function newBelow(items: LocalMessage[], seenSeq: number, me: string): number {
  let n = 0;
  for (const m of items) if (!m.local && m.seq > seenSeq && m.author_id !== me && !m.thread_root_id) n += 1;
  return n;
}
