// The line under a chat's name in the chat list: the last message as the
// reader would read it in the chat — mentions as "@Name", a system notice in
// the reader's words, language and zone (@artel/client/state/notices), never the
// server's fallback text in the actor's language.
import { mentionsToText, type EntityRef, type Message } from '@artel/client';
import { noticeText, type NoticeContext } from '@artel/client/state/notices';

export interface PreviewContext {
  t: NoticeContext['t'];
  /** A person's name, if this phone knows them yet. */
  nameOf: (id: string) => string | undefined;
  /** The chat's record: a notice about it says "the deal". */
  here?: EntityRef | null;
}

const MAX = 80;

export interface Preview {
  text: string;
  /** What someone wrote (a message, file names), not words of the app's own. */
  written: boolean;
}

export function preview(last: Message, c: PreviewContext): Preview {
  if (last.deleted_at) return { text: c.t.t('chat.deleted'), written: false };
  if (last.kind === 'system' && last.notice) {
    const actor = (last.author_id && c.nameOf(last.author_id)) || '…';
    const worded = noticeText(last.notice, { t: c.t, actor, nameOf: c.nameOf, here: c.here });
    if (worded) return { text: cut(worded), written: false };
  }
  if (last.body.trim()) return { text: cut(mentionsToText(last.body, c.nameOf)), written: true };
  if (last.attachments.length) return { text: cut(`📎 ${last.attachments.map((x) => x.filename).join(', ')}`), written: true };
  return { text: '', written: false };
}

/** The preview's text alone. */
export function previewText(last: Message, c: PreviewContext): string {
  return preview(last, c).text;
}

/** At most MAX characters, never splitting a character in two. */
function cut(s: string): string {
  const chars = [...s];
  return chars.length > MAX ? chars.slice(0, MAX).join('') : s;
}
