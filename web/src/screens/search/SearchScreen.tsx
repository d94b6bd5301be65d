// Search: one box with operators (help below it), results grouped by kind
// (messages, deals, contacts, companies, tasks) with highlighted snippets; a
// message opens its chat at that message, a record opens its card. "More"
// pages through one group with its cursor. GET /api/v1/search.
import { useEffect, useState, type FormEvent } from 'react';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { ApiError, search, SEARCH_KINDS, type SearchGroup, type SearchHit, type SearchKind } from '@artel/client';
import { api } from '../../app/session';
import { navigate, pathOf } from '../../app/router';
import { useI18n, type Key } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { entityRoute, hitRoute, KIND_ORDER, OPERATORS } from '../../state/search';
import { Snippet } from './Snippet';

type Sort = 'relevance' | 'newest';

export default function SearchScreen({ q }: { q: string }) {
  const t = useI18n();
  const [input, setInput] = useState(q);
  const [sort, setSort] = useState<Sort>('relevance');
  const [kinds, setKinds] = useState<SearchKind[]>([]);
  useEffect(() => setInput(q), [q]);
  const query = q.trim();
  const results = useQuery({
    queryKey: ['search', query, sort, kinds],
    queryFn: ({ signal }) => search(api, { q: query, sort, kinds }, signal),
    enabled: query.length > 0,
    retry: false,
    staleTime: 15_000,
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate({ name: 'search', q: input.trim() });
  };
  const toggleKind = (k: SearchKind) => setKinds((ks) => (ks.includes(k) ? ks.filter((x) => x !== k) : [...ks, k]));

  const groups = [...(results.data?.groups ?? [])].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const err = results.error;
  const unavailable = err instanceof ApiError && (err.status === 404 || err.status === 405);
  return (
    <>
      <header className="page-head">
        <h1>{t.t('nav.search')}</h1>
      </header>
      <div className="page-body search-page">
        <form role="search" className="row" onSubmit={submit}>
          <input
            className="input"
            type="search"
            style={{ maxWidth: 560 }}
            aria-label={t.t('common.search')}
            aria-describedby="search-ops"
            placeholder={t.t('search.placeholder')}
            value={input}
            maxLength={500}
            autoFocus
            onChange={(e) => setInput(e.target.value)}
          />
          <select className="select" style={{ width: 'auto' }} aria-label={t.t('search.sort')} value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
            <option value="relevance">{t.t('search.sortRelevance')}</option>
            <option value="newest">{t.t('search.sortNewest')}</option>
          </select>
          <button className="btn btn-primary" type="submit">
            {t.t('common.search')}
          </button>
        </form>
        <fieldset className="search-kinds">
          <legend className="hint">{t.t('search.only')}</legend>
          {SEARCH_KINDS.map((k) => (
            <label key={k} className="check">
              <input type="checkbox" checked={kinds.includes(k)} onChange={() => toggleKind(k)} />
              {t.t(`search.kind.${k}` as Key)}
            </label>
          ))}
        </fieldset>
        <details className="search-help" id="search-ops">
          <summary>{t.t('search.operators')}</summary>
          <dl>
            {OPERATORS.map((o) => (
              <div key={o.key}>
                <dt>
                  <code>{o.example}</code>
                </dt>
                <dd>{t.t(`search.op.${o.key}` as Key)}</dd>
              </div>
            ))}
          </dl>
        </details>

        {results.data?.catching_up && (
          <p className="banner" role="status">
            {t.t('search.catchingUp')}
          </p>
        )}
        {results.isFetching && !results.data && (
          <div aria-busy="true">
            <div className="skeleton" style={{ width: '60%' }} />
            <div className="skeleton" style={{ width: '80%' }} />
          </div>
        )}
        {err && (
          <p className="error-text" role="alert">
            {unavailable ? t.t('search.unavailable') : errorMessage(err, t)}
          </p>
        )}
        {results.isSuccess && groups.length === 0 && <p className="empty">{t.t('search.nothing', { q: query })}</p>}
        {groups.map((g) => (
          <Group key={g.kind} group={g} q={query} sort={sort} />
        ))}
      </div>
    </>
  );
}

/** One kind's hits; "more" fetches the next page of this kind alone. */
function Group({ group, q, sort }: { group: SearchGroup; q: string; sort: Sort }) {
  const t = useI18n();
  const more = useInfiniteQuery({
    queryKey: ['search-more', q, sort, group.kind, group.next_cursor],
    queryFn: ({ pageParam }) => search(api, { q, sort, kinds: [group.kind], cursor: pageParam }),
    initialPageParam: group.next_cursor,
    getNextPageParam: (last) => last.groups.find((x) => x.kind === group.kind)?.next_cursor ?? null,
    enabled: false,
  });
  const extra = more.data?.pages.flatMap((p) => p.groups.find((x) => x.kind === group.kind)?.hits ?? []) ?? [];
  const hits = [...group.hits, ...extra.filter((h) => !group.hits.some((x) => x.id === h.id))];
  const hasMore = more.data ? more.hasNextPage : Boolean(group.next_cursor);
  const headingId = `search-${group.kind}`;
  return (
    <section className="section search-group" aria-labelledby={headingId} data-kind={group.kind}>
      <h2 id={headingId}>
        {t.t(`search.kind.${group.kind}` as Key)} <span className="badge">{group.total}</span>
      </h2>
      <ul className="list search-hits">
        {hits.map((h) => (
          <Hit key={`${h.kind}:${h.id}`} hit={h} />
        ))}
      </ul>
      {hasMore && (
        <button type="button" className="btn btn-ghost" disabled={more.isFetching} onClick={() => void (more.data ? more.fetchNextPage() : more.refetch())}>
          {t.t('search.more')}
        </button>
      )}
    </section>
  );
}

function Hit({ hit }: { hit: SearchHit }) {
  const t = useI18n();
  const to = hitRoute(hit);
  const record = hit.kind === 'message' ? entityRoute(hit.entity) : null;
  return (
    <li className="search-hit" data-hit-id={hit.id}>
      <div className="search-hit-head">
        {to ? (
          <a href={pathOf(to)} onClick={(e) => (e.preventDefault(), navigate(to))}>
            {hit.kind === 'message' ? `# ${hit.title}` : hit.title}
          </a>
        ) : (
          <span>{hit.title}</span>
        )}
        {hit.at && (
          <time className="hint" dateTime={hit.at}>
            {t.dateTime(hit.at)}
          </time>
        )}
        {record && (
          <a className="hint" href={pathOf(record)} onClick={(e) => (e.preventDefault(), navigate(record))}>
            {t.t('chat.openRecord')}
          </a>
        )}
      </div>
      <Snippet html={hit.snippet} />
    </li>
  );
}
