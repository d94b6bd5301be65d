// A search snippet: text with the matched words in <mark>, built as React
// nodes from the parsed runs (never as HTML), so nothing else can render.
import { useMemo } from 'react';
import { snippetParts } from '../../state/search';

export function Snippet({ html }: { html: string }) {
  const parts = useMemo(() => snippetParts(html), [html]);
  return (
    <p className="snippet">
      {parts.map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </p>
  );
}
