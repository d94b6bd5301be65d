// The pipeline's deals as a table beside the board: filters by stage, owner and
// text, sorted by the server (column headers choose the order), a page at a
// time with the server's cursor, each row naming its client.
import { useEffect, useMemo, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Deal } from '@artel/client';
import { api, realtime } from '../../app/session';
import { usePipelines, useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate, pathOf } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { ariaSort, DEFAULT_DEAL_SORT, toggleSort, type DealSortKey, type DealSortState } from './dealSort';

export const TABLE_PAGE = 50;

/** The client a deal is for, as its row and card show it. */
export function clientOf(d: Deal): string {
  return [d.contact_name, d.company_name].filter(Boolean).join(', ');
}

export function DealsTable({ pipelineId, ownerId, text }: { pipelineId: string; ownerId: string; text: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const pipelines = usePipelines();
  const stages = useMemo(() => pipelines.data?.find((p) => p.id === pipelineId)?.stages ?? [], [pipelineId, pipelines.data]);
  const [stageId, setStageId] = useState('');
  const [sort, setSort] = useState<DealSortState>(DEFAULT_DEAL_SORT);
  // Cursors of the pages walked through: the last one is the page shown
  // (undefined: the first page), so "previous" is a pop. Another filter or
  // order starts again from its first page (a cursor belongs to one order).
  const walk = JSON.stringify([stageId, ownerId, text, sort.key, sort.order]);
  const [paging, setPaging] = useState<{ walk: string; cursors: (string | undefined)[] }>({ walk, cursors: [undefined] });
  const cursors = paging.walk === walk ? paging.cursors : [undefined];
  const setCursors = (f: (c: (string | undefined)[]) => (string | undefined)[]) => setPaging({ walk, cursors: f(cursors) });
  const cursor = cursors[cursors.length - 1];
  const list = useQuery({
    queryKey: ['deals', 'table', pipelineId, stageId, ownerId, text, sort.key, sort.order, cursor ?? ''],
    queryFn: async () => {
      const call = api.http.GET('/deals', {
        params: {
          query: {
            pipeline_id: pipelineId,
            stage_id: stageId || undefined,
            owner_id: ownerId || undefined,
            text: text || undefined,
            sort: sort.key,
            order: sort.order,
            cursor,
            limit: TABLE_PAGE,
          },
        },
      });
      const rows = await unwrap(call);
      return { rows, next: (await call).response.headers.get('x-next-cursor') ?? undefined };
    },
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
  const rows = list.data?.rows ?? [];
  const next = list.data?.next;
  const header = (key: DealSortKey, label: string) => {
    const aria = ariaSort(sort, key);
    return (
      <th scope="col" aria-sort={aria}>
        <button type="button" className="th-sort" onClick={() => setSort((s) => toggleSort(s, key))}>
          {label}
          <span aria-hidden="true">{aria === 'none' ? '' : aria === 'descending' ? ' ▼' : ' ▲'}</span>
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
          <caption className="sr-only">{t.t('deals.captionSorted')}</caption>
          <thead>
            <tr>
              {header('title', t.t('field.title'))}
              {header('board', t.t('card.stage'))}
              {header('amount', t.t('card.amount'))}
              <th scope="col">{t.t('card.owner')}</th>
              <th scope="col">{t.t('deals.client')}</th>
              {header('close_date', t.t('card.closeDate'))}
              {header('updated_at', t.t('deals.updated'))}
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => {
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
                  <td data-testid="client">{clientOf(d) || t.t('common.none')}</td>
                  <td>{d.expected_close_date ? t.date(d.expected_close_date + 'T12:00:00Z', { day: 'numeric', month: 'short', year: 'numeric' }) : t.t('common.none')}</td>
                  <td>
                    <time dateTime={d.updated_at}>{t.dateTime(d.updated_at)}</time>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {(cursors.length > 1 || next) && (
        <nav className="row pager" aria-label={t.t('deals.pages')} style={{ marginTop: 12 }}>
          <button type="button" className="btn" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t.t('deals.prev')}
          </button>
          <span className="muted">{t.t('deals.page', { page: cursors.length })}</span>
          <button type="button" className="btn" disabled={!next} onClick={() => next && setCursors((c) => [...c, next])}>
            {t.t('deals.next')}
          </button>
        </nav>
      )}
    </div>
  );
}
