// The pipeline's deals as a table beside the board: filters by stage, owner and
// text on the server, a page at a time (the API pages by offset and limit), and
// sortable columns. The API has no sort order for deals, so a header sorts the
// page on screen (said in the table's caption).
import { useEffect, useMemo, useState } from 'react';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Deal } from '@api';
import { api, realtime } from '../../app/session';
import { usePipelines, useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate, pathOf } from '../../app/router';
import { useI18n } from '../../i18n';
import { errorMessage } from '../../ui/errors';
import { sortDeals, type DealSort } from '../records/forms';

export const TABLE_PAGE = 50;

export function DealsTable({ pipelineId, ownerId, text }: { pipelineId: string; ownerId: string; text: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const pipelines = usePipelines();
  const stages = useMemo(() => pipelines.data?.find((p) => p.id === pipelineId)?.stages ?? [], [pipelines.data, pipelineId]);
  const [stageId, setStageId] = useState('');
  const [page, setPage] = useState(0);
  const [sort, setSort] = useState<DealSort>({ key: 'title', desc: false });
  useEffect(() => setPage(0), [stageId, ownerId, text]);
  const list = useQuery({
    queryKey: ['deals', 'table', pipelineId, stageId, ownerId, text, page],
    queryFn: () =>
      unwrap(
        api.http.GET('/deals', {
          params: {
            query: {
              pipeline_id: pipelineId,
              stage_id: stageId || undefined,
              owner_id: ownerId || undefined,
              text: text || undefined,
              // One more than shown: whether a next page exists.
              limit: TABLE_PAGE + 1,
              offset: page * TABLE_PAGE,
            },
          },
        }),
      ),
  });
  // Someone's change on this pipeline: reload the page shown (the board screen
  // around this table keeps the pipeline watched).
  useEffect(
    () =>
      realtime.on('board', (e) => {
        if (e.pipeline_id === pipelineId) void qc.invalidateQueries({ queryKey: ['deals', 'table', pipelineId] });
      }),
    [pipelineId, qc],
  );
  const rows = list.data?.slice(0, TABLE_PAGE) ?? [];
  const hasNext = (list.data?.length ?? 0) > TABLE_PAGE;
  const clientIds = [...new Set(rows.flatMap((d) => [d.contact_id ? `contact:${d.contact_id}` : '', d.company_id ? `company:${d.company_id}` : '']).filter(Boolean))];
  const clients = useQueries({
    queries: clientIds.map((k) => {
      const [kind, id] = k.split(':') as ['contact' | 'company', string];
      return {
        queryKey: [kind, id],
        queryFn: () =>
          kind === 'contact'
            ? unwrap(api.http.GET('/contacts/{id}', { params: { path: { id } } }))
            : unwrap(api.http.GET('/companies/{id}', { params: { path: { id } } })),
        staleTime: 60_000,
      };
    }),
  });
  const names = new Map(clientIds.map((k, i) => [k, clients[i]?.data?.name ?? '']));
  const clientOf = (d: Deal) =>
    [d.contact_id && names.get(`contact:${d.contact_id}`), d.company_id && names.get(`company:${d.company_id}`)].filter(Boolean).join(', ');
  const stageOrder = (d: Deal) => stages.findIndex((s) => s.id === d.stage_id);
  const sorted = sortDeals(rows, sort, { stage: stageOrder, owner: (d) => userName(users.data, d.owner_id), client: clientOf }, t.lang === 'ru' ? 'ru' : 'en');
  const header = (key: DealSort['key'], label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
        <button type="button" className="th-sort" onClick={() => setSort({ key, desc: active ? !sort.desc : false })}>
          {label}
          <span aria-hidden="true">{active ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <div className="page-body deals-table">
      <div className="row" style={{ marginBottom: 12 }}>
        <select className="select" style={{ width: 'auto' }} aria-label={t.t('deals.filterStage')} value={stageId} onChange={(e) => setStageId(e.target.value)}>
          <option value="">{t.t('deals.anyStage')}</option>
          {stages.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </div>
      {list.isError && <p className="error-text" role="alert">{errorMessage(list.error, t)}</p>}
      {list.isPending && <div className="skeleton" style={{ height: 120 }} />}
      {list.data && rows.length === 0 && <div className="empty">{t.t('board.empty')}</div>}
      {rows.length > 0 && (
        <table className="data">
          <caption className="sr-only">{t.t('deals.caption')}</caption>
          <thead>
            <tr>
              {header('title', t.t('field.title'))}
              {header('stage', t.t('card.stage'))}
              {header('amount', t.t('card.amount'))}
              {header('owner', t.t('card.owner'))}
              {header('client', t.t('deals.client'))}
              {header('close', t.t('card.closeDate'))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((d) => {
              const to = { name: 'deal' as const, id: d.id };
              return (
                <tr key={d.id} data-deal-id={d.id}>
                  <td>
                    <a href={pathOf(to)} onClick={(e) => (e.preventDefault(), navigate(to))}>
                      {d.title}
                    </a>
                  </td>
                  <td>{stages.find((s) => s.id === d.stage_id)?.name ?? ''}</td>
                  <td className="num">{t.money(d.amount_minor, d.currency)}</td>
                  <td>{userName(users.data, d.owner_id)}</td>
                  <td>{clientOf(d) || t.t('common.none')}</td>
                  <td>{d.expected_close_date ? t.date(d.expected_close_date + 'T12:00:00Z', { day: 'numeric', month: 'short', year: 'numeric' }) : t.t('common.none')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {(page > 0 || hasNext) && (
        <nav className="row pager" aria-label={t.t('deals.pages')} style={{ marginTop: 12 }}>
          <button type="button" className="btn" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
            {t.t('deals.prev')}
          </button>
          <span className="muted">{t.t('deals.page', { page: page + 1 })}</span>
          <button type="button" className="btn" disabled={!hasNext} onClick={() => setPage((p) => p + 1)}>
            {t.t('deals.next')}
          </button>
        </nav>
      )}
    </div>
  );
}
