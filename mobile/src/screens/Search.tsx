// Search (the server's /search contract): messages, deals, contacts, companies
// and tasks in one list, with highlighted snippets.
import { Fragment, useEffect, useState, type ReactNode } from 'react';
import { ApiError, search, type SearchHit, type SearchResponse } from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { useApp } from '../context';
import { navigate } from '../router';
import { useM, type MKey } from '../strings';
import { Header } from './common';

/** The snippet as React nodes: only <mark> survives, everything else is text. */
export function snippetNodes(html: string): ReactNode[] {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const out: ReactNode[] = [];
  doc.body.childNodes.forEach((n, i) => {
    if (n.nodeName === 'MARK') out.push(<mark key={i}>{n.textContent}</mark>);
    else out.push(<Fragment key={i}>{n.textContent}</Fragment>);
  });
  return out;
}

function open(hit: SearchHit) {
  if (hit.kind === 'message' && hit.chat_id) navigate({ name: 'chat', chatId: hit.chat_id });
  else if (hit.kind === 'deal') navigate({ name: 'deal', id: hit.id });
  else if (hit.kind === 'task') navigate({ name: 'tasks', taskId: hit.id });
  else if (hit.entity?.kind === 'deal') navigate({ name: 'deal', id: hit.entity.id });
}

export function SearchScreen({ q }: { q: string }) {
  const { api } = useApp();
  const { t, dateTime } = useI18n();
  const m = useM();
  const [text, setText] = useState(q);
  const [results, setResults] = useState<SearchResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const query = text.trim();
    if (!query) {
      setResults(null);
      setError(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      history.replaceState(null, '', `/m/search?q=${encodeURIComponent(query)}`);
      search(api, { q: query, limit: 10 }).then(
        (r) => {
          if (!live) return;
          setResults(r);
          setError(null);
        },
        (e: unknown) => {
          if (!live) return;
          setResults(null);
          setError(
            e instanceof ApiError && (e.status === 404 || e.code === 'route_not_found')
              ? m('search.unavailable')
              : e instanceof ApiError
                ? e.message
                : String(e),
          );
        },
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, text]);
  return (
    <>
      <Header title={m('nav.search')} />
      <form className="searchbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={m('search.placeholder')}
          aria-label={t('common.search')}
          enterKeyHint="search"
        />
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {results?.catching_up && <p className="note">{m('search.catchingUp')}</p>}
      {results && results.groups.length === 0 && <p className="muted">{m('search.none')}</p>}
      {results?.groups.map((g) => (
        <section key={g.kind} aria-label={m(`search.kind.${g.kind}` as MKey)}>
          <h2 className="group">
            {m(`search.kind.${g.kind}` as MKey)} <span className="muted small">{g.total}</span>
          </h2>
          <ul className="list">
            {g.hits.map((h) => (
              <li key={`${h.kind}:${h.id}`}>
                <button type="button" className="row" onClick={() => open(h)}>
                  <span className="row-main">
                    <span className="row-title">{h.title}</span>
                    <span className="row-sub">{snippetNodes(h.snippet)}</span>
                  </span>
                  <span className="muted small">{dateTime(h.at)}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}
