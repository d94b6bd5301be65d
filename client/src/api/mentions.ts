// Mentions travel as `<@uuid>` in a message's source, and the server's HTML
// keeps them as that text (escaped): both clients show them as "@Name", in
// messages and in previews, from the user directory they hold.

const ID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const IN_TEXT = new RegExp(`<@(${ID})>`, 'g');
const IN_HTML = new RegExp(`&lt;@(${ID})&gt;`, 'g');
// Code is shown as written: a mention inside it stays source.
const CODE = /(<(code|pre)\b[\s\S]*?<\/\2>)/;

/** A name for a user id, or undefined while the user is unknown to this client. */
export type NameOf = (id: string) => string | undefined;

/** The user ids a markdown source mentions, each once. */
export function mentionedIds(source: string): string[] {
  return [...new Set([...source.matchAll(IN_TEXT)].map((m) => (m[1] ?? '').toLowerCase()))];
}

/** Plain text (a preview, a pending message): `<@uuid>` becomes "@Name". */
export function mentionsToText(source: string, nameOf: NameOf): string {
  return source.replace(IN_TEXT, (_, id: string) => `@${nameOf(id.toLowerCase()) ?? '…'}`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The server's sanitised HTML with each mention as a highlighted "@Name"
 * (`mention-me` when it names `me`). Names are escaped, so the result is as
 * safe as the input.
 */
export function mentionsToHtml(html: string, nameOf: NameOf, me?: string): string {
  if (!html.includes('&lt;@')) return html;
  const parts = html.split(CODE);
  let out = '';
  // split() with two groups yields [text, code, tagName, text, code, tagName, …].
  for (let i = 0; i < parts.length; i += 3) {
    out += (parts[i] ?? '').replace(IN_HTML, (_, raw: string) => {
      const id = raw.toLowerCase();
      const cls = id === me ? 'mention mention-me' : 'mention';
      return `<span class="${cls}" data-user-id="${id}">@${escapeHtml(nameOf(id) ?? '…')}</span>`;
    });
    if (i + 1 < parts.length) out += parts[i + 1];
  }
  return out;
}
