import { describe, expect, it } from 'vitest';
import { mentionedIds, mentionsToHtml, mentionsToText } from './mentions';

const a = '01a24ff2-1111-4222-8333-444455556666';
const b = '01a24ff2-aaaa-4bbb-8ccc-dddd0000eeee';
const names = new Map([[a, 'Анна <Петрова>']]);
const nameOf = (id: string) => names.get(id);

describe('mentions', () => {
  it('lists each mentioned id once', () => {
    expect(mentionedIds(`hi <@${a}> <@${b}> <@${a}> <@nope>`)).toEqual([a, b]);
  });

  it('reads as @Name in text, unknown users as @…', () => {
    expect(mentionsToText(`cc <@${a}>, <@${b}>`, nameOf)).toBe('cc @Анна <Петрова>, @…');
  });

  it('renders escaped, highlighted names in HTML, mine marked, code left alone', () => {
    const html = `<p>cc &lt;@${a}&gt; and &lt;@${b}&gt;</p><pre><code>&lt;@${a}&gt;</code></pre><p><code>&lt;@${b}&gt;</code> &lt;@${a}&gt;</p>`;
    expect(mentionsToHtml(html, nameOf, a)).toBe(
      `<p>cc <span class="mention mention-me" data-user-id="${a}">@Анна &#60;Петрова&#62;</span> and ` +
        `<span class="mention" data-user-id="${b}">@…</span></p><pre><code>&lt;@${a}&gt;</code></pre>` +
        `<p><code>&lt;@${b}&gt;</code> <span class="mention mention-me" data-user-id="${a}">@Анна &#60;Петрова&#62;</span></p>`,
    );
  });

  it('leaves HTML without mentions as it is', () => {
    expect(mentionsToHtml('<p>a &lt; b</p>', nameOf)).toBe('<p>a &lt; b</p>');
  });
});
