// Deals on a phone: the board one stage at a time. Stages are tabs with their
// counts (tap one, or swipe the list sideways for the next); the list follows
// the board live, and a deal opens its card.
import { useEffect, useRef, useState, type KeyboardEvent, type TouchEvent } from 'react';
import { readBoard, readColumnPage, unwrap, type Pipeline } from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { appendPage, applyBoardChange, fromServer, withTotals, type BoardView } from '@artel/client/state/board';
import { useApp, useCached } from '../context';
import { navigate } from '../router';
import { stageNames } from '../stages';
import { useM } from '../strings';
import { Header } from './common';

/** How far a finger must travel sideways (px) to count as a swipe. */
const SWIPE = 60;

export function DealsScreen({ pipelineId, stageId }: { pipelineId?: string; stageId?: string }) {
  const { api, rt } = useApp();
  const { t, money, date, dateTime } = useI18n();
  const m = useM();
  const pipelines = useCached<Pipeline[]>('pipelines', () => unwrap(api.http.GET('/pipelines')));
  for (const p of pipelines.data ?? []) for (const s of p.stages) stageNames.set(s.id, s.name);
  const open = (pipelines.data ?? []).filter((p) => !p.archived_at);
  const pid = pipelineId && open.some((p) => p.id === pipelineId) ? pipelineId : open[0]?.id;
  // Each stage's first cards; more are read at the end of its list.
  const board = useCached<BoardView>(pid ? `board:${pid}` : null, async () => fromServer(await readBoard(api, pid!)));
  const { reload, set } = board;

  useEffect(() => {
    if (!pid) return;
    rt.watchBoard(pid);
    const offBoard = rt.on('board', (e) => {
      if (e.pipeline_id !== pid) return;
      let stale = false;
      set((b) => {
        if (!b) return b;
        const next = applyBoardChange(b, e.change, {});
        if (!next) stale = true;
        return next ?? b;
      });
      if (stale) reload();
    });
    const offResync = rt.on('boardResync', (id) => id === pid && reload());
    return () => {
      offBoard();
      offResync();
      rt.unwatchBoard(pid);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rt, pid, reload]);

  // A change to a card never loaded here leaves the counts unsure: read them again.
  const totalsStale = Boolean(board.data?.totalsStale);
  useEffect(() => {
    if (!totalsStale || !pid) return;
    const h = setTimeout(() => {
      readBoard(api, pid, {}, 0).then(
        (heads) => {
          let stages = false;
          set((b) => {
            if (!b) return b;
            const next = withTotals(b, heads);
            if (!next) stages = true;
            return next ?? b;
          });
          if (stages) reload();
        },
        () => reload(),
      );
    }, 300);
    return () => clearTimeout(h);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [totalsStale, pid, api, reload]);

  const [loadingMore, setLoadingMore] = useState(false);
  const loadMore = (stageId: string, cursor: string) => {
    if (!pid || loadingMore) return;
    setLoadingMore(true);
    readColumnPage(api, pid, stageId, cursor)
      .then(({ deals, next }) => set((b) => (b ? appendPage(b, stageId, deals, next) : b)))
      .catch(() => reload())
      .finally(() => setLoadingMore(false));
  };

  const columns = board.data?.columns ?? [];
  const index = Math.max(
    0,
    columns.findIndex((c) => c.stage.id === stageId),
  );
  const column = columns[index];
  const select = (i: number) => {
    const c = columns[(i + columns.length) % columns.length];
    if (c && pid) navigate({ name: 'deals', pipeline: pid, stage: c.stage.id }, true);
  };

  // The selected tab stays in view when chosen by a swipe.
  const tabs = useRef<HTMLDivElement>(null);
  useEffect(() => {
    tabs.current?.querySelector<HTMLElement>('[aria-selected="true"]')?.scrollIntoView?.({ block: 'nearest', inline: 'center' });
  }, [index]);

  const touch = useRef<{ x: number; y: number } | null>(null);
  const onTouchStart = (e: TouchEvent) => {
    const p = e.touches[0];
    touch.current = p ? { x: p.clientX, y: p.clientY } : null;
  };
  const onTouchEnd = (e: TouchEvent) => {
    const start = touch.current;
    const p = e.changedTouches[0];
    touch.current = null;
    if (!start || !p) return;
    const dx = p.clientX - start.x;
    const dy = p.clientY - start.y;
    if (Math.abs(dx) >= SWIPE && Math.abs(dx) > 2 * Math.abs(dy)) select(index + (dx < 0 ? 1 : -1));
  };
  const onTabKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const next = index + (e.key === 'ArrowRight' ? 1 : -1);
    select(next);
    const c = columns[(next + columns.length) % columns.length];
    if (c) requestAnimationFrame(() => document.getElementById(`stage-tab-${c.stage.id}`)?.focus());
  };

  return (
    <>
      <Header title={m('deals.title')} />
      {open.length > 1 && (
        <label className="pipeline-pick">
          <span className="small muted">{m('deals.pipeline')}</span>
          <select value={pid} onChange={(e) => navigate({ name: 'deals', pipeline: e.target.value }, true)}>
            {open.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {pipelines.data && open.length === 0 && <p className="muted">{m('deals.noPipelines')}</p>}
      {!board.data && !board.error && pid && <p className="muted">{t('app.loading')}</p>}
      {board.error && !board.data && (
        <p role="alert" className="error">
          {board.error.status === 403 ? m('err.forbidden') : board.error.status === 0 ? m('out.offline') : board.error.message}
        </p>
      )}
      {board.data && column && (
        <>
          <div className="stage-tabs" role="tablist" aria-label={m('deals.stages')} ref={tabs}>
            {columns.map((c, i) => (
              <button
                key={c.stage.id}
                id={`stage-tab-${c.stage.id}`}
                type="button"
                role="tab"
                className="stage-tab"
                aria-selected={i === index}
                aria-controls="stage-panel"
                tabIndex={i === index ? 0 : -1}
                onClick={() => select(i)}
                onKeyDown={onTabKey}
              >
                <span className="swatch" style={{ background: c.stage.color }} aria-hidden="true" />
                <span>{c.stage.name}</span>
                <span className="stage-count">{c.count}</span>
              </button>
            ))}
          </div>
          <div
            id="stage-panel"
            role="tabpanel"
            className="stage-panel"
            aria-labelledby={`stage-tab-${column.stage.id}`}
            onTouchStart={onTouchStart}
            onTouchEnd={onTouchEnd}
          >
            <div className="stage-sum">
              <span>
                {m('deals.count', { count: column.count })}
                {column.sums.map((s) => ` · ${money(s.amount_minor, s.currency)}`).join('')}
              </span>
              <span className="stage-steps">
                <button type="button" className="small" aria-label={m('deals.prevStage')} onClick={() => select(index - 1)}>
                  ‹
                </button>
                <button type="button" className="small" aria-label={m('deals.nextStage')} onClick={() => select(index + 1)}>
                  ›
                </button>
              </span>
            </div>
            <p className="small muted" style={{ margin: '0 12px 6px' }}>
              {m('deals.swipe')}
            </p>
            {column.deals.length === 0 ? (
              <p className="muted">{m('deals.empty')}</p>
            ) : (
              <ul className="list" aria-label={column.stage.name}>
                {column.deals.map((d) => {
                  const next = d.next_task;
                  const due = next?.due_at ? (next.due_has_time ? dateTime(next.due_at) : date(next.due_at, { day: 'numeric', month: 'short' })) : null;
                  return (
                    <li key={d.id} data-deal-id={d.id}>
                      <button type="button" className="row deal-row" onClick={() => navigate({ name: 'deal', id: d.id })}>
                        <span className="row-main">
                          <span className="row-title">{d.title}</span>
                          {next && (
                            <span className="row-sub">
                              {m('deals.next', { title: next.title })}
                              {due ? ` · ${due}` : ''}
                            </span>
                          )}
                        </span>
                        <span className="row-side">{money(d.amount_minor, d.currency)}</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
            {column.next_cursor && (
              <button type="button" className="more-cards" disabled={loadingMore} onClick={() => loadMore(column.stage.id, column.next_cursor!)}>
                {column.count > column.deals.length ? t('board.more', { count: column.count - column.deals.length }) : t('board.moreSome')}
              </button>
            )}
          </div>
        </>
      )}
      {board.stale && board.error && board.data && <p className="note">{m('chat.offlineCopy')}</p>}
    </>
  );
}
