// The line under a chat's name in the chat list: the last message as the
// reader would read it in the chat — mentions as "@Name", a system notice in
// the reader's words, language and zone (web/src/state/notices.ts), never the
// server's fallback text in the actor's language.
import { mentionsToText, type EntityRef, type Message } from '@api';
import { noticeText, type NoticeContext } from '@state/notices';

export interface PreviewContext {
  t: NoticeContext['t'];
  /** A person's name, if this phone knows them yet. */
  nameOf: (id: string) => string | undefined;
  /** The chat's record: a notice about it says "the deal". */
  here?: EntityRef | null;
}

const MAX = 80;

export function previewText(last: Message, c: PreviewContext): string {
  if (last.deleted_at) return c.t.t('chat.deleted');
  if (last.kind === 'system' && last.notice) {
    const actor = (last.author_id && c.nameOf(last.author_id)) || '…';
    const worded = noticeText(last.notice, { t: c.t, actor, nameOf: c.nameOf, here: c.here });
    if (worded) return cut(worded);
  }
  if (last.body.trim()) return cut(mentionsToText(last.body, c.nameOf));
  if (last.attachments.length) return cut(`📎 ${last.attachments.map((x) => x.filename).join(', ')}`);
  return '';
}

/** At most MAX characters, never splitting a character in two. */
function cut(s: string): string {
  const chars = [...s];
  return chars.length > MAX ? chars.slice(0, MAX).join('') : s;
}
