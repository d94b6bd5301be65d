// Search results for display: the server's snippet HTML read into text and
// <mark> runs (nothing else is ever turned into markup), and where a hit leads.
import type { SearchHit, SearchKind } from '@artel/client';
import type { Route } from '../app/router';

export interface SnippetPart {
  text: string;
  mark: boolean;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the character references an HTML escaper produces; anything else stays as written. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (all, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return NAMED[ref] ?? all;
  });
}

/**
 * Splits a snippet into plain and marked runs. Only the exact tags <mark> and
 * </mark> are honoured; any other tag (which the server never sends) is kept
 * as literal text, and the runs are rendered as text nodes, so no markup but
 * <mark> can reach the page.
 */
export function snippetParts(html: string): SnippetPart[] {
  const out: SnippetPart[] = [];
  let mark = false;
  for (const piece of html.split(/(<mark>|<\/mark>)/i)) {
    const tag = piece.toLowerCase();
    if (tag === '<mark>') mark = true;
    else if (tag === '</mark>') mark = false;
    else if (piece) {
      const text = decodeEntities(piece);
      const last = out[out.length - 1];
      if (last && last.mark === mark) last.text += text;
      else out.push({ text, mark });
    }
  }
  return out;
}

/** Where a hit opens: a message in its chat at its seq, a record on its card. */
export function hitRoute(hit: SearchHit): Route | null {
  if (hit.kind === 'message') return hit.chat_id ? { name: 'chat', chatId: hit.chat_id, ...(hit.seq ? { seq: hit.seq } : {}) } : null;
  switch (hit.kind) {
    case 'deal':
      return { name: 'deal', id: hit.id };
    case 'contact':
      return { name: 'contact', id: hit.id };
    case 'company':
      return { name: 'company', id: hit.id };
    case 'task':
      return { name: 'tasks', taskId: hit.id };
  }
  return null;
}

/** The record a message's chat belongs to, if any. */
export function entityRoute(e: SearchHit['entity']): Route | null {
  if (!e) return null;
  if (e.kind === 'deal') return { name: 'deal', id: e.id };
  if (e.kind === 'contact') return { name: 'contact', id: e.id };
  if (e.kind === 'company') return { name: 'company', id: e.id };
  if (e.kind === 'task') return { name: 'tasks', taskId: e.id };
  return null;
}

/** The order groups are shown in, whatever order the server sent. */
export const KIND_ORDER: readonly SearchKind[] = ['message', 'deal', 'contact', 'company', 'task'];

/** The operators, for the help under the box. */
export const OPERATORS: readonly { example: string; key: string }[] = [
  { example: 'from:@anna', key: 'from' },
  { example: 'in:#general', key: 'in' },
  { example: 'deal:"Supply"', key: 'deal' },
  { example: 'stage:negotiation', key: 'stage' },
  { example: 'has:file has:link', key: 'has' },
  { example: 'before:2026-12-01 after:2026-11-01', key: 'dates' },
  { example: 'is:thread', key: 'thread' },
  { example: '"exact phrase"', key: 'phrase' },
  { example: '-word', key: 'exclude' },
];
