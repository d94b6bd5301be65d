// Whether the chat list a client holds is as new as the socket it just opened.

/**
 * True when `list` holds exactly the chats of the socket's `ready` frame, each
 * at the seq the socket starts from: nothing happened in them between the
 * list's load and the socket's start (every chat event advances its seq), so
 * the list need not be loaded again. With a thousand chats that second load
 * was a megabyte on every start.
 */
export function listMatchesCursors(
  list: readonly { chat: { id: string; last_seq: number } }[] | undefined,
  cursors: readonly { chat_id: string; last_seq: number }[],
): boolean {
  if (!list || list.length !== cursors.length) return false;
  const seqs = new Map(list.map((s) => [s.chat.id, s.chat.last_seq]));
  return cursors.every((c) => seqs.get(c.chat_id) === c.last_seq);
}
