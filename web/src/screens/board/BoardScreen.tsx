// The deal board of one pipeline: a column per stage with count and sums, cards
// dragged between and within columns (mouse, touch or keyboard), live updates
// from everyone else through the socket's board watch, filters, quick create.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  closestCorners,
  pointerWithin,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import { ApiError, readBoard, readColumnPage, unwrap, type Deal, type User } from '@artel/client';
import { api, realtime } from '../../app/session';
import { usePipelines, useUsers } from '../../app/data';
import { keys } from '../../app/live';
import { userName } from '../../app/names';
import { navigate, pathOf } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import {
  appendPage,
  applyBoardChange,
  findDeal,
  fromServer,
  moveLocally,
  replaceDeal,
  withTotals,
  type BoardFilter,
  type BoardView,
  type ColumnView,
} from '@artel/client/state/board';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { Icon } from '../../ui/Icon';
import { LossDialog } from '../records/LossDialog';
import { clientOf, DealsTable } from './DealsTable';
import { DealForm } from './DealForm';

type View = 'board' | 'list';
/**
 * Where a dragged card lands: under the pointer first — the card it is over,
 * else the column (its empty lower part included). Corners alone pick the
 * card's own old place when a tall column's corners are far away, so a drop
 * into an empty column on a big screen did nothing. The keyboard has no
 * pointer and keeps corners.
 */
const dropTarget: CollisionDetection = (args) => {
  const within = pointerWithin(args);
  if (within.length === 0) return closestCorners(args);
  const card = within.find((c) => !String(c.id).startsWith('col:'));
  return card ? [card] : within;
};

const VIEW_KEY = 'artel.dealsView';
function storedView(): View {
  try {
    return localStorage.getItem(VIEW_KEY) === 'list' ? 'list' : 'board';
  } catch {
    return 'board';
  }
}

export default function BoardScreen({ pipelineId }: { pipelineId?: string }) {
  const t = useI18n();
  const pipelines = usePipelines();
  const id = pipelineId ?? pipelines.data?.[0]?.id;
  if (pipelines.isPending) return <div className="page-body skeleton" style={{ height: 200 }} />;
  if (!id) return <div className="empty">{t.t('board.empty')}</div>;
  return <PipelineBoard key={id} pipelineId={id} />;
}

function PipelineBoard({ pipelineId }: { pipelineId: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const me = api.session()?.user.id ?? '';
  const role = api.session()?.user.role;
  const isAdmin = role === 'owner' || role === 'admin';
  const pipelines = usePipelines();
  const users = useUsers();
  const [ownerId, setOwnerId] = useState('');
  const [view, setViewState] = useState<View>(storedView);
  const [creating, setCreating] = useState(false);
  const setView = (v: View) => {
    setViewState(v);
    try {
      localStorage.setItem(VIEW_KEY, v);
    } catch {
      /* private mode: the choice lasts this visit */
    }
  };
  const [textInput, setTextInput] = useState('');
  const [text, setText] = useState('');
  useEffect(() => {
    const h = setTimeout(() => setText(textInput.trim()), 300);
    return () => clearTimeout(h);
  }, [textInput]);
  const filter: BoardFilter = useMemo(() => ({ ownerId: ownerId || undefined, text: text || undefined }), [ownerId, text]);
  const key = useMemo(() => ['board', pipelineId, filter] as const, [pipelineId, filter]);
  const query = useQuery({
    queryKey: key,
    // Each column's first cards; the rest page in as the column scrolls.
    queryFn: async () => fromServer(await readBoard(api, pipelineId, filter)),
    staleTime: Infinity,
    // Live events keep it fresh only while it is open: a board opened again
    // (after a deal's card, where a chat command may have moved deals) reloads.
    refetchOnMount: 'always',
    // The list view pages deals itself: loading every card of the board for it
    // made the list as slow to open as the board.
    enabled: view === 'board',
  });
  const board = query.data;
  const setBoard = useCallback((f: (b: BoardView) => BoardView | null) => {
    const cur = qc.getQueryData<BoardView>(key);
    if (!cur) return;
    const next = f(cur);
    if (next) qc.setQueryData(key, next);
    else void qc.invalidateQueries({ queryKey: key });
  }, [qc, key]);

  // Live: follow this pipeline's board for as long as it is open.
  useEffect(() => {
    realtime.watchBoard(pipelineId);
    const offEvent = realtime.on('board', (e) => {
      if (e.pipeline_id !== pipelineId) return;
      // Stages renamed, added or reordered in the editor: the pipeline list too.
      if (e.change.type === 'stages_changed') void qc.invalidateQueries({ queryKey: keys.pipelines });
      setBoard((b) => applyBoardChange(b, e.change, filter));
    });
    const offResync = realtime.on('boardResync', (p) => {
      if (p === pipelineId) void qc.invalidateQueries({ queryKey: ['board', pipelineId] });
    });
    return () => {
      offEvent();
      offResync();
      realtime.unwatchBoard(pipelineId);
    };
  }, [pipelineId, filter, setBoard, qc]);

  // A change to a card this client never loaded leaves the heads unsure: read
  // them again (once for a burst of such changes).
  const totalsStale = Boolean(board?.totalsStale);
  useEffect(() => {
    if (!totalsStale) return;
    const h = setTimeout(() => {
      readBoard(api, pipelineId, filter, 0)
        .then((heads) => setBoard((b) => withTotals(b, heads)))
        .catch(() => void qc.invalidateQueries({ queryKey: key }));
    }, 300);
    return () => clearTimeout(h);
  }, [totalsStale, pipelineId, filter, setBoard, qc, key]);

  // The next cards of a column, from its cursor (one read at a time per column).
  const loading = useRef(new Set<string>());
  const loadMore = useCallback(
    (stageId: string) => {
      const col = qc.getQueryData<BoardView>(key)?.columns.find((c) => c.stage.id === stageId);
      const cursor = col?.next_cursor;
      if (!cursor || loading.current.has(stageId)) return;
      loading.current.add(stageId);
      readColumnPage(api, pipelineId, stageId, cursor, filter)
        .then(({ deals, next }) => setBoard((b) => appendPage(b, stageId, deals, next)))
        .catch((err: unknown) => toast.show(errorMessage(err, t)))
        .finally(() => loading.current.delete(stageId));
    },
    [qc, key, pipelineId, filter, setBoard, t],
  );

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const [dragging, setDragging] = useState<Deal | null>(null);
  const [losing, setLosing] = useState<{ deal: Deal; stageId: string; index: number } | null>(null);
  /** The reason goes on the deal first, then the move (a lost deal never lacks one). */
  const markLost = async (reason: string) => {
    if (!losing) return;
    const { deal, stageId, index } = losing;
    try {
      const withReason = await unwrap(api.http.PATCH('/deals/{id}', { params: { path: { id: deal.id } }, body: { version: deal.version, loss_reason: reason } }));
      const moved = await unwrap(
        api.http.POST('/deals/{id}/move', { params: { path: { id: deal.id } }, body: { version: withReason.version, stage_id: stageId, index } }),
      );
      setBoard((b) => replaceDeal(moveLocally(b, deal.id, stageId, index), moved));
      setLosing(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        void qc.invalidateQueries({ queryKey: key });
        throw new Error(t.t('board.conflict'));
      }
      throw err;
    }
  };
  const onDragStart = (e: DragStartEvent) => setDragging(board ? findDeal(board, String(e.active.id)) ?? null : null);
  const onDragEnd = async (e: DragEndEvent) => {
    setDragging(null);
    if (!board || !e.over) return;
    const dealId = String(e.active.id);
    const deal = findDeal(board, dealId);
    if (!deal) return;
    const overId = String(e.over.id);
    let stageId: string;
    let index: number;
    if (overId.startsWith('col:')) {
      stageId = overId.slice(4);
      const col = board.columns.find((c) => c.stage.id === stageId);
      // Dropped on the column itself: after its last card on screen (a big
      // column holds only its first cards; a card dropped there stays in view).
      index = col ? col.deals.filter((d) => d.id !== dealId).length : 0;
    } else {
      const col = board.columns.find((c) => c.deals.some((d) => d.id === overId));
      if (!col) return;
      stageId = col.stage.id;
      index = col.deals.findIndex((d) => d.id === overId);
    }
    const from = board.columns.find((c) => c.deals.some((d) => d.id === dealId));
    if (from?.stage.id === stageId && from.deals.findIndex((d) => d.id === dealId) === index) return;
    // Into a lost stage only with the reason why (asked first; the card stays until then).
    const target = board.columns.find((c) => c.stage.id === stageId)?.stage;
    if (target?.kind === 'lost' && from?.stage.id !== stageId) return setLosing({ deal, stageId, index });
    setBoard((b) => moveLocally(b, dealId, stageId, index));
    try {
      const moved = await unwrap(
        api.http.POST('/deals/{id}/move', { params: { path: { id: dealId } }, body: { version: deal.version, stage_id: stageId, index } }),
      );
      setBoard((b) => replaceDeal(b, moved));
    } catch (err) {
      toast.show(err instanceof ApiError && err.status === 409 ? t.t('board.conflict') : errorMessage(err, t));
      void qc.invalidateQueries({ queryKey: key });
    }
  };

  // What a screen reader hears while a card moves: the deal's title and the
  // stage's name in the reader's language (dnd-kit's own say raw ids in English).
  const stageOf = (id: string | number | undefined) => {
    if (!board || id === undefined) return undefined;
    const key = String(id);
    return key.startsWith('col:')
      ? board.columns.find((c) => c.stage.id === key.slice(4))?.stage.name
      : board.columns.find((c) => c.deals.some((d) => d.id === key))?.stage.name;
  };
  const titleOf = (id: string | number) => (board ? findDeal(board, String(id))?.title : undefined) ?? '';
  const announcements: Announcements = {
    onDragStart: ({ active }) => t.t('board.dnd.picked', { title: titleOf(active.id), stage: stageOf(active.id) ?? '' }),
    onDragOver: ({ active, over }) =>
      over ? t.t('board.dnd.over', { title: titleOf(active.id), stage: stageOf(over.id) ?? '' }) : t.t('board.dnd.nowhere', { title: titleOf(active.id) }),
    onDragEnd: ({ active, over }) =>
      over ? t.t('board.dnd.dropped', { title: titleOf(active.id), stage: stageOf(over.id) ?? '' }) : t.t('board.dnd.cancelled', { title: titleOf(active.id) }),
    onDragCancel: ({ active }) => t.t('board.dnd.cancelled', { title: titleOf(active.id) }),
  };

  const pipelineName = pipelines.data?.find((p) => p.id === pipelineId)?.name ?? '';
  return (
    <>
      <header className="page-head">
        <h1>{t.t('board.title')}</h1>
        {pipelines.data && pipelines.data.length > 1 ? (
          <select className="select" style={{ width: 'auto' }} aria-label={t.t('board.pipeline')} value={pipelineId} onChange={(e) => navigate({ name: 'board', pipelineId: e.target.value })}>
            {pipelines.data.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        ) : (
          <span className="sub">{pipelineName}</span>
        )}
        <div className="tabs" role="group" aria-label={t.t('deals.view')}>
          <button type="button" className="btn" aria-pressed={view === 'board'} onClick={() => setView('board')}>
            {t.t('deals.viewBoard')}
          </button>
          <button type="button" className="btn" aria-pressed={view === 'list'} onClick={() => setView('list')}>
            {t.t('deals.viewList')}
          </button>
        </div>
        <span className="spacer" />
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          {t.t('deals.new')}
        </button>
        {isAdmin && (
          <a className="btn" href={pathOf({ name: 'pipelineEdit', pipelineId })} onClick={(e) => (e.preventDefault(), navigate({ name: 'pipelineEdit', pipelineId }))}>
            {t.t('pipeline.edit')}
          </a>
        )}
      </header>
      <div className="board-filters" role="search">
        <input className="input" type="search" aria-label={t.t('board.filterText')} placeholder={t.t('board.filterText')} value={textInput} onChange={(e) => setTextInput(e.target.value)} />
        <select className="select" aria-label={t.t('board.filterOwner')} value={ownerId} onChange={(e) => setOwnerId(e.target.value)}>
          <option value="">{t.t('board.anyOwner')}</option>
          <option value={me}>{t.t('board.mine')}</option>
          {[...(users.data?.values() ?? [])]
            .filter((u) => u.id !== me && u.role !== 'guest')
            .map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
        </select>
      </div>
      {creating && <DealForm pipelineId={pipelineId} onClose={() => setCreating(false)} />}
      {view === 'list' && <DealsTable pipelineId={pipelineId} ownerId={ownerId} text={text} />}
      {view === 'board' && query.isPending && <div className="page-body skeleton" style={{ height: 240 }} />}
      {losing && <LossDialog onClose={() => setLosing(null)} onSubmit={markLost} />}
      {view === 'board' && board && (
        <DndContext
          sensors={sensors}
          collisionDetection={dropTarget}
          accessibility={{ announcements, screenReaderInstructions: { draggable: t.t('board.dnd.instructions') } }}
          onDragStart={onDragStart}
          onDragEnd={(e) => void onDragEnd(e)}
          onDragCancel={() => setDragging(null)}
        >
          <div className="board" aria-label={pipelineName}>
            {board.columns.map((col, i) => (
              <Column key={col.stage.id} col={col} users={users.data} pipelineId={pipelineId} quickCreate={i === 0} onMore={loadMore} />
            ))}
          </div>
          <DragOverlay>{dragging && <CardBody deal={dragging} users={users.data} overlay />}</DragOverlay>
        </DndContext>
      )}
    </>
  );
}

function Column({
  col,
  users,
  pipelineId,
  quickCreate,
  onMore,
}: {
  col: ColumnView;
  users: Map<string, User> | undefined;
  pipelineId: string;
  quickCreate: boolean;
  onMore: (stageId: string) => void;
}) {
  const t = useI18n();
  const { setNodeRef, isOver } = useDroppable({ id: `col:${col.stage.id}` });
  const headingId = `stage-${col.stage.id}`;
  const stageId = col.stage.id;
  const more = useCallback(() => onMore(stageId), [onMore, stageId]);
  const moreRef = useMoreOnView(Boolean(col.next_cursor), more, col.deals.length);
  const shown = col.deals;
  const hidden = Math.max(0, col.count - shown.length);
  return (
    <section className={`column${isOver ? ' over' : ''}`} style={{ ['--stage-color' as string]: col.stage.color }} aria-labelledby={headingId} data-stage-id={col.stage.id}>
      <div className="column-head">
        <h2 id={headingId}>{col.stage.name}</h2>
        <div className="sums">
          <span data-testid="count">{t.tn('board.count', col.count)}</span>
          {col.sums.map((s) => (
            <span key={s.currency}> · {t.money(s.amount_minor, s.currency)}</span>
          ))}
        </div>
      </div>
      {quickCreate && <QuickCreate pipelineId={pipelineId} stageId={col.stage.id} />}
      <SortableContext items={shown.map((d) => d.id)} strategy={verticalListSortingStrategy}>
        <div className="column-body" ref={setNodeRef}>
          {shown.map((d) => (
            <SortableCard key={d.id} deal={d} users={users} />
          ))}
          {col.count === 0 && shown.length === 0 && <p className="hint" style={{ textAlign: 'center' }}>{t.t('board.empty')}</p>}
          {col.next_cursor && (
            <button type="button" className="btn btn-ghost more-cards" ref={moreRef} onClick={more}>
              {hidden > 0 ? t.t('board.more', { count: hidden }) : t.t('board.moreSome')}
            </button>
          )}
        </div>
      </SortableContext>
    </section>
  );
}

/**
 * A big column arrives with its first cards; the next page is read when the
 * "show more" button at its end scrolls into view (or is pressed), so a board
 * of thousands of deals opens and drags as fast as a small one. Sortable lists
 * with variable-height cards and cross-column drops do not virtualise cleanly;
 * growing the loaded prefix keeps the DOM small where people look.
 */
function useMoreOnView(hasMore: boolean, more: () => void, loaded: number) {
  const moreRef = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    const el = moreRef.current;
    if (!el || !hasMore || typeof IntersectionObserver === 'undefined') return;
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) more();
    });
    seen.observe(el);
    return () => seen.disconnect();
    // Observed again after each page: a button still in view reads the next one.
  }, [hasMore, more, loaded]);
  return moreRef;
}

function SortableCard({ deal, users }: { deal: Deal; users: Map<string, User> | undefined }) {
  const t = useI18n();
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: deal.id });
  // The whole card drags with a pointer; the keyboard drags through the grip
  // button (so the card's link stays a plain link and nothing nests in a button).
  const { onKeyDown, ...pointer } = (listeners ?? {}) as Record<string, (e: unknown) => void>;
  return (
    <div ref={setNodeRef} style={{ transform: CSS.Transform.toString(transform), transition }} {...pointer} className={`deal-card${isDragging ? ' dragging' : ''}`} data-deal-id={deal.id}>
      <button type="button" className="grip" ref={setActivatorNodeRef} {...attributes} onKeyDown={onKeyDown} aria-label={`${t.t('board.move')}: ${deal.title}`}>
        <Icon name="grip" />
      </button>
      <CardInner deal={deal} users={users} />
    </div>
  );
}

function CardBody({ deal, users, overlay }: { deal: Deal; users: Map<string, User> | undefined; overlay?: boolean }) {
  return (
    <div className={`deal-card${overlay ? ' overlay-card' : ''}`}>
      <CardInner deal={deal} users={users} />
    </div>
  );
}

function CardInner({ deal, users }: { deal: Deal; users: Map<string, User> | undefined }) {
  const t = useI18n();
  const to = { name: 'deal' as const, id: deal.id };
  const client = clientOf(deal);
  return (
    <>
      <a href={pathOf(to)} onClick={(e) => (e.preventDefault(), navigate(to))}>
        {deal.title}
      </a>
      {client && (
        <div className="hint deal-client" data-testid="client" title={t.t('deals.client')}>
          {client}
        </div>
      )}
      <div className="amount">{t.money(deal.amount_minor, deal.currency)}</div>
      <div className="hint">{userName(users, deal.owner_id)}</div>
      {deal.next_task ? (
        <div className={`hint next-task${deal.next_task.due_at && Date.parse(deal.next_task.due_at) < Date.now() ? ' overdue' : ''}`} data-testid="next-task">
          {t.t('deals.nextTask')}: {deal.next_task.title}
          {deal.next_task.due_at && (
            <>
              {' · '}
              <time dateTime={deal.next_task.due_at}>
                {deal.next_task.due_has_time ? t.dateTime(deal.next_task.due_at) : t.date(deal.next_task.due_at, { day: 'numeric', month: 'short' })}
              </time>
            </>
          )}
        </div>
      ) : (
        deal.open_tasks === 0 && <div className="hint no-task">{t.t('deals.noTask')}</div>
      )}
    </>
  );
}

function QuickCreate({ pipelineId, stageId }: { pipelineId: string; stageId: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [title, setTitle] = useState('');
  const [amount, setAmount] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    const major = Number(amount.replace(/\s/g, '').replace(',', '.'));
    try {
      await unwrap(
        api.http.POST('/deals', {
          body: {
            title: title.trim(),
            pipeline_id: pipelineId,
            stage_id: stageId,
            amount_minor: Number.isFinite(major) && amount ? Math.round(major * 100) : null,
          },
        }),
      );
      setTitle('');
      setAmount('');
      // The board event adds the card; refetch in case this board is not watched yet.
      void qc.invalidateQueries({ queryKey: ['board', pipelineId] });
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  return (
    <form className="quick-create" onSubmit={submit} aria-label={t.t('board.quickCreate')}>
      <input className="input" aria-label={t.t('board.dealTitle')} placeholder={t.t('board.quickCreate')} value={title} onChange={(e) => setTitle(e.target.value)} />
      <input className="input" style={{ width: 90 }} inputMode="decimal" aria-label={t.t('board.amount')} placeholder={t.t('board.amount')} value={amount} onChange={(e) => setAmount(e.target.value)} />
      <button className="btn" type="submit" aria-label={t.t('common.create')}>
        +
      </button>
    </form>
  );
}
