// A deal card on a phone: its fields, the stage picker, its tasks (with a form
// to add one), the change history and a link to its chat. The move goes
// through the outbox with the deal's version, so it works offline; a conflict
// (someone moved or changed it first) shows as failed with the reason. The card
// follows the board live, so a move made anywhere (the deal's chat included)
// shows at once and the next move is not refused as stale.
import { useEffect, useState, type FormEvent } from 'react';
import {
  ApiError,
  unwrap,
  type Company,
  type Contact,
  type Deal,
  type History,
  type Pipeline,
  type Task,
  type User,
} from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { useApp, useCached, useOutbox } from '../context';
import { navigate } from '../router';
import { stageNames } from '../stages';
import { useM, type M } from '../strings';
import { dueInZone } from '../zone';
import { Header, latest, OutboxState } from './common';

export function DealScreen({ id }: { id: string }) {
  const { api, rt, outbox, users } = useApp();
  const { t, money, date, dateTime } = useI18n();
  const m = useM();
  const deal = useCached<Deal>(`deal:${id}`, () => unwrap(api.http.GET('/deals/{id}', { params: { path: { id } } })));
  const pipelines = useCached<Pipeline[]>('pipelines', () => unwrap(api.http.GET('/pipelines')));
  for (const p of pipelines.data ?? []) for (const s of p.stages) stageNames.set(s.id, s.name);
  const changes = useCached<History[]>(`deal-history:${id}`, () =>
    unwrap(api.http.GET('/deals/{id}/history', { params: { path: { id } } })),
  );
  const tasks = useCached<Task[]>(`deal-tasks:${id}`, () =>
    unwrap(api.http.GET('/tasks', { params: { query: { view: 'entity', entity_kind: 'deal', entity_id: id } } })),
  );
  const d = deal.data;
  const contact = useCached<Contact>(d?.contact_id ? `contact:${d.contact_id}` : null, () =>
    unwrap(api.http.GET('/contacts/{id}', { params: { path: { id: d!.contact_id! } } })),
  );
  const company = useCached<Company>(d?.company_id ? `company:${d.company_id}` : null, () =>
    unwrap(api.http.GET('/companies/{id}', { params: { path: { id: d!.company_id! } } })),
  );
  const items = useOutbox();
  const move = latest(items, (i) => i.payload.kind === 'move_deal' && i.payload.deal_id === id);
  const pipeline = d ? pipelines.data?.find((p) => p.id === d.pipeline_id) : undefined;
  // A move that went through brings the deal's new version and stage.
  const sent = move?.state === 'sent' ? (move.result as Deal | undefined) : undefined;
  const { set, reload } = deal;
  const reloadHistory = changes.reload;
  const reloadTasks = tasks.reload;
  // A refused move means the card is stale: show where the deal really is.
  const failed = move?.state === 'failed';
  useEffect(() => {
    if (failed) reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [failed]);
  useEffect(() => {
    if (sent && typeof sent === 'object' && 'version' in sent) {
      set((old) => (old && old.version >= sent.version ? old : sent));
      reloadHistory();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sent]);

  // Live: the deal's board carries every change to it, wherever it was made.
  const pipelineId = d?.pipeline_id;
  useEffect(() => {
    if (!pipelineId) return;
    rt.watchBoard(pipelineId);
    const off = rt.on('board', (e) => {
      if (e.pipeline_id !== pipelineId || e.change.type !== 'deal_upserted' || e.change.deal.id !== id) return;
      const fresh = e.change.deal;
      set((old) => (old && old.version > fresh.version ? old : { ...old, ...fresh }));
      reloadHistory();
      reloadTasks();
    });
    const offResync = rt.on('boardResync', (p) => p === pipelineId && reload());
    return () => {
      off();
      offResync();
      rt.unwatchBoard(pipelineId);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rt, pipelineId, id, reloadHistory, reloadTasks, reload]);

  // While a move waits in the outbox, the card shows where it is going.
  const shownStage =
    move && move.payload.kind === 'move_deal' && (move.state === 'pending' || move.state === 'sending')
      ? move.payload.stage_id
      : d?.stage_id;
  const stage = pipeline?.stages.find((s) => s.id === shownStage);
  const pick = async (stageId: string, stageName: string) => {
    if (!d || stageId === shownStage) return;
    // Offline, only the last choice matters: it replaces a move still waiting.
    if (move && move.state === 'pending') await outbox.discard(move.id);
    await outbox.add({ kind: 'move_deal', deal_id: d.id, stage_id: stageId, version: d.version, stage_name: stageName });
  };
  const nameOf = (u: string) => users.get(u)?.name ?? '…';
  const none = '—';

  return (
    <>
      <Header title={d?.title ?? m('deal.title')} back={() => history.back()} />
      {!d && !deal.error && <p className="muted">{t('app.loading')}</p>}
      {deal.error && !d && (
        <p role="alert" className="error">
          {deal.error.status === 403 ? m('err.forbidden') : deal.error.status === 0 ? m('out.offline') : deal.error.message}
        </p>
      )}
      {deal.stale && deal.error && d && <p className="note">{m('chat.offlineCopy')}</p>}
      {d && (
        <>
          <section className="card" aria-labelledby="deal-fields">
            <h2 id="deal-fields">{m('deal.fields')}</h2>
            <dl>
              <dt>{m('deal.amount')}</dt>
              <dd>{money(d.amount_minor, d.currency)}</dd>
              <dt>{m('deal.stage')}</dt>
              <dd data-testid="deal-stage">
                {stageNames.get(shownStage ?? '') ?? '…'}
                {stage && stage.kind !== 'open' && ` · ${m(stage.kind === 'won' ? 'deal.won' : 'deal.lost')}`}
              </dd>
              <dt>{m('deal.owner')}</dt>
              <dd>{nameOf(d.owner_id)}</dd>
              <dt>{m('deal.contact')}</dt>
              <dd>{d.contact_id ? (contact.data?.name ?? '…') : none}</dd>
              <dt>{m('deal.company')}</dt>
              <dd>{d.company_id ? (company.data?.name ?? '…') : none}</dd>
              <dt>{m('deal.closeDate')}</dt>
              <dd>{d.expected_close_date ? date(d.expected_close_date) : none}</dd>
              <dt>{m('deal.tags')}</dt>
              <dd>
                {d.tags.length
                  ? d.tags.map((x) => (
                      <span className="tag" key={x}>
                        {x}
                      </span>
                    ))
                  : none}
              </dd>
              <dt>{m('deal.participants')}</dt>
              <dd>{d.participants.length ? d.participants.map(nameOf).join(', ') : none}</dd>
              {d.loss_reason && (
                <>
                  <dt>{m('deal.lossReason')}</dt>
                  <dd>{d.loss_reason}</dd>
                </>
              )}
              <dt>{m('deal.created')}</dt>
              <dd>{dateTime(d.created_at)}</dd>
            </dl>
            {d.chat_id && (
              <button type="button" className="chip" onClick={() => navigate({ name: 'chat', chatId: d.chat_id! })}>
                {m('deal.openChat')}
              </button>
            )}
          </section>
          <section className="card" aria-label={m('deal.move')}>
            {move && (
              <OutboxState
                item={move}
                onRetry={() => {
                  // Retried on the deal as it is now (the old version would only conflict again).
                  if (move.payload.kind !== 'move_deal' || !d) return;
                  const { stage_id, stage_name } = move.payload;
                  void outbox
                    .add({ kind: 'move_deal', deal_id: d.id, stage_id, version: d.version, stage_name })
                    .then(() => outbox.discard(move.id));
                }}
              />
            )}
            {pipeline && (
              <fieldset className="stages">
                <legend>{m('deal.move')}</legend>
                {pipeline.stages.map((s) => (
                  <label key={s.id} className="stage">
                    <input
                      type="radio"
                      name={`stage-${d.id}`}
                      value={s.id}
                      checked={s.id === shownStage}
                      onChange={() => void pick(s.id, s.name)}
                    />
                    <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
                    {s.name}
                  </label>
                ))}
              </fieldset>
            )}
          </section>
          <section className="section" aria-labelledby="deal-tasks">
            <h2 id="deal-tasks">{m('deal.tasks')}</h2>
            <DealTasks list={tasks.data} nameOf={nameOf} />
            <NewTask dealId={d.id} onCreated={reloadTasks} />
          </section>
          <section className="section" aria-labelledby="deal-history">
            <h2 id="deal-history">{m('deal.history')}</h2>
            {changes.data && changes.data.length === 0 && <p className="muted">{m('deal.noHistory')}</p>}
            {changes.data && changes.data.length > 0 && (
              <ol className="timeline">
                {changes.data.map((h) => (
                  <li key={h.id}>
                    <time dateTime={h.at}>{dateTime(h.at)}</time>
                    <span>{describeChange(h, { m, nameOf, money: (v) => money(v, d.currency), date, contact: contact.data, company: company.data })}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>
        </>
      )}
    </>
  );
}

interface Describe {
  m: M;
  nameOf: (id: string) => string;
  money: (minor: number) => string;
  date: (iso: string) => string;
  contact?: Contact;
  company?: Company;
}

const KNOWN = new Set([
  'title',
  'amount_minor',
  'currency',
  'owner_id',
  'contact_id',
  'company_id',
  'expected_close_date',
  'tags',
  'participants',
  'loss_reason',
]);

/** One history entry as a sentence: people, stages, money and dates in the reader's words. */
export function describeChange(h: History, x: Describe): string {
  const { m } = x;
  const who = h.actor_id ? x.nameOf(h.actor_id) : m('deal.h.system');
  if (h.field === 'created') return m('deal.h.created', { who });
  const none = '—';
  if (h.field === 'stage_id' || h.field === 'stage') {
    const s = (v: unknown) => (typeof v === 'string' ? (stageNames.get(v) ?? '…') : none);
    return m('deal.h.stage', { who, old: s(h.old), new: s(h.new) });
  }
  if (!KNOWN.has(h.field)) return m('deal.h.other', { who });
  const value = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return none;
    switch (h.field) {
      case 'owner_id':
        return typeof v === 'string' ? x.nameOf(v) : none;
      case 'participants':
        return Array.isArray(v) ? v.map((u) => x.nameOf(String(u))).join(', ') || none : none;
      case 'amount_minor':
        return typeof v === 'number' ? x.money(v) : String(v);
      case 'expected_close_date':
        return typeof v === 'string' ? x.date(v) : none;
      case 'contact_id':
        return v === x.contact?.id ? x.contact.name : '…';
      case 'company_id':
        return v === x.company?.id ? x.company.name : '…';
      case 'tags':
        return Array.isArray(v) ? v.join(', ') || none : String(v);
      default:
        return typeof v === 'object' ? none : String(v);
    }
  };
  return m('deal.h.field', { who, field: m(`deal.f.${h.field}` as 'deal.f.title'), old: value(h.old), new: value(h.new) });
}

function DealTasks({ list, nameOf }: { list: Task[] | undefined; nameOf: (id: string) => string }) {
  const { dateTime, date } = useI18n();
  const m = useM();
  if (!list) return null;
  if (list.length === 0) return <p className="muted" style={{ margin: 0 }}>{m('deal.noTasks')}</p>;
  return (
    <ul className="list">
      {list.map((task) => {
        const done = task.status === 'done';
        const overdue = !done && task.due_at && Date.parse(task.due_at) < Date.now();
        return (
          <li key={task.id} className="deal-task" data-task-id={task.id}>
            <span className="row-main">
              <span className={done ? 'row-title done' : 'row-title'}>{task.title}</span>
              <span className="row-sub">
                {[
                  task.assignees.map(nameOf).join(', '),
                  task.due_at ? (task.due_has_time ? dateTime(task.due_at) : date(task.due_at, { day: 'numeric', month: 'short' })) : '',
                  done ? m('task.doneMark') : '',
                ]
                  .filter(Boolean)
                  .join(' · ')}
                {overdue && <span className="overdue"> · {m('task.overdue')}</span>}
              </span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** A task on this deal: what, when (in my zone), who. Needs the network: says so when it is not there. */
function NewTask({ dealId, onCreated }: { dealId: string; onCreated: () => void }) {
  const { api, session, users } = useApp();
  const m = useM();
  const me = session.user;
  const [title, setTitle] = useState('');
  const [day, setDay] = useState('');
  const [time, setTime] = useState('');
  const [assignee, setAssignee] = useState(me.id);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const known = users.has(me.id) ? [...users.values()] : [me, ...users.values()];
  const people = known.filter((u: User) => !u.deactivated_at && !u.bot).sort((a, b) => a.name.localeCompare(b.name));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    if (!title.trim()) return setError(m('task.needTitle'));
    if (time && !day) return setError(m('task.timeNeedsDate'));
    setError(null);
    setBusy(true);
    try {
      const task = await unwrap(
        api.http.POST('/tasks', {
          body: {
            title: title.trim(),
            entity_kind: 'deal',
            entity_id: dealId,
            due_at: dueInZone(day, time, me.time_zone),
            assignees: assignee ? [assignee] : [],
            reminders: [],
          },
        }),
      );
      setTitle('');
      setDay('');
      setTime('');
      setDone(m('task.created', { title: task.title }));
      onCreated();
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(status === 0 ? m('task.offline') : status === 403 ? m('task.forbidden') : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="task-form" onSubmit={submit} aria-label={m('task.new')} noValidate>
      <label>
        {m('task.what')}
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={500} />
      </label>
      <div className="when">
        <label>
          {m('task.date')}
          <input type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        </label>
        <label>
          {m('task.time')}
          <input type="time" value={time} onChange={(e) => setTime(e.target.value)} aria-describedby="task-zone" />
        </label>
      </div>
      <p id="task-zone" className="small muted" style={{ margin: 0 }}>
        {m('task.zone')}
      </p>
      <label>
        {m('task.assignee')}
        <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
          <option value="">{m('task.nobody')}</option>
          {people.map((u) => (
            <option key={u.id} value={u.id}>
              {u.id === me.id ? m('task.me', { name: u.name }) : u.name}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <p role="alert" className="out-failed" style={{ margin: 0 }}>
          {error}
        </p>
      )}
      <p role="status" className="ok">
        {done}
      </p>
      <button type="submit" className="primary" disabled={busy}>
        {m('task.create')}
      </button>
    </form>
  );
}
