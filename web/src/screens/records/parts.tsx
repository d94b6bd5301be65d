// Pieces shared by the deal, contact and company cards: the history timeline,
// the record's tasks and its bound chat beside the fields.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, unwrap, type EntityKind, type History, type Task, type User } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useChats, useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { useI18n } from '@artel/client/i18n';
import { ChatScreen } from '../chat/ChatScreen';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { describeHistory } from './history';

const TaskDialog = lazy(() => import('../tasks/TaskDialog').then((m) => ({ default: m.TaskDialog })));

export function Timeline({
  kind,
  items,
  users,
  customLabels,
}: {
  /** What the history is of: "created the deal", not "created the record". */
  kind: EntityKind;
  items: History[];
  users: Map<string, User> | undefined;
  customLabels?: Map<string, string>;
}) {
  const t = useI18n();
  if (items.length === 0) return <p className="muted">{t.t('common.empty')}</p>;
  return (
    <ol className="timeline">
      {items.map((h) => (
        <li key={h.id}>
          <time dateTime={h.at}>{t.dateTime(h.at)}</time>
          {describeHistory(h, kind, users, t, customLabels)}
        </li>
      ))}
    </ol>
  );
}

export function EntityTasks({ kind, id }: { kind: EntityKind; id: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [title, setTitle] = useState('');
  const key = ['tasks', 'entity', kind, id];
  const tasks = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.http.GET('/tasks', { params: { query: { view: 'entity', entity_kind: kind, entity_id: id } } })),
  });
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    try {
      await unwrap(api.http.POST('/tasks', { body: { title: title.trim(), entity_kind: kind, entity_id: id, reminders: [] } }));
      setTitle('');
      void qc.invalidateQueries({ queryKey: key });
      void qc.invalidateQueries({ queryKey: keys.myTasks });
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  return (
    <section className="section">
      <h2>{t.t('card.tasks')}</h2>
      <TaskList tasks={tasks.data ?? []} onChanged={() => void qc.invalidateQueries({ queryKey: key })} />
      <form className="row" style={{ marginTop: 8 }} onSubmit={add}>
        <input className="input" aria-label={t.t('tasks.taskTitle')} placeholder={t.t('tasks.new')} value={title} onChange={(e) => setTitle(e.target.value)} />
        <button className="btn" type="submit">
          {t.t('common.create')}
        </button>
      </form>
    </section>
  );
}

export function TaskList({ tasks, onChanged }: { tasks: Task[]; onChanged: () => void }) {
  const t = useI18n();
  const users = useUsers();
  const qc = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const close = useCallback(() => setOpen(null), []);
  const complete = async (task: Task) => {
    try {
      await unwrap(api.http.POST('/tasks/{id}/complete', { params: { path: { id: task.id } }, body: { version: task.version } }));
      toast.show(t.t('tasks.completed'));
      onChanged();
      void qc.invalidateQueries({ queryKey: keys.myTasks });
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  const dialog = open && (
    <Suspense fallback={null}>
      <TaskDialog id={open} onClose={close} onChanged={onChanged} />
    </Suspense>
  );
  if (tasks.length === 0) return <>{dialog || <p className="muted">{t.t('common.empty')}</p>}</>;
  return (
    <>
    {dialog}
    <ul className="list">
      {tasks.map((task) => {
        const done = task.status === 'done';
        const overdue = !done && task.due_at && Date.parse(task.due_at) < Date.now();
        return (
          <li key={task.id} data-task-id={task.id}>
            <input type="checkbox" checked={done} disabled={done} aria-label={`${t.t('tasks.complete')}: ${task.title}`} onChange={() => void complete(task)} />
            <button type="button" className="task-title" style={{ textDecoration: done ? 'line-through' : undefined }} onClick={() => setOpen(task.id)}>
              {task.title}
            </button>
            {task.assignees.length > 0 && <span className="hint">{task.assignees.map((a) => userName(users.data, a)).join(', ')}</span>}
            {task.due_at && (
              <time className={overdue ? 'overdue' : 'muted'} dateTime={task.due_at}>
                {task.due_has_time ? t.dateTime(task.due_at) : t.date(task.due_at, { day: 'numeric', month: 'short' })}
              </time>
            )}
          </li>
        );
      })}
    </ul>
    </>
  );
}

/**
 * The record's chat for me: when I am not in it yet, `autoJoin` (a deal's
 * card, whose chat exists from the start) gets me in at once through
 * POST /chats/entity; otherwise a button does (creating a client's chat on
 * first use). A refusal is shown in words.
 */
function useRecordChat(entity: { kind: EntityKind; id: string }, knownChatId: string | null | undefined, autoJoin: boolean) {
  const t = useI18n();
  const qc = useQueryClient();
  const chats = useChats();
  const mine = chats.data?.find((s) => (knownChatId ? s.chat.id === knownChatId : s.chat.entity?.kind === entity.kind && s.chat.entity.id === entity.id));
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const tried = useRef(false);
  const join = useCallback(async () => {
    setState({ busy: true, error: null });
    try {
      await unwrap(api.http.POST('/chats/entity', { body: { kind: entity.kind, id: entity.id } }));
      await qc.invalidateQueries({ queryKey: keys.chats });
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: err instanceof ApiError && err.status === 403 ? t.t('card.chatForbidden') : errorMessage(err, t) });
    }
  }, [entity.kind, entity.id, qc, t]);
  const ready = chats.isSuccess;
  useEffect(() => {
    if (autoJoin && ready && !mine && !tried.current) {
      tried.current = true;
      void join();
    }
  }, [autoJoin, ready, mine, join]);
  return { chatId: mine?.chat.id, join, ...state, loading: !ready };
}

/** Fields and history on the left, the record's chat on the right. */
export function RecordLayout({
  head,
  children,
  entity,
  chatId,
  autoJoin = false,
}: {
  head: ReactNode;
  children: ReactNode;
  entity: { kind: EntityKind; id: string };
  /** The record's chat when the record names it (deals do). */
  chatId?: string | null;
  autoJoin?: boolean;
}) {
  const t = useI18n();
  const chat = useRecordChat(entity, chatId, autoJoin);
  return (
    <>
      <header className="page-head">{head}</header>
      <div className="record">
        <div className="record-info">{children}</div>
        <section className="chat-main" aria-label={t.t('card.chat')} style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}>
          {chat.chatId ? (
            <ChatScreen key={chat.chatId} chatId={chat.chatId} embedded onJoin={() => void chat.join()} />
          ) : chat.busy || chat.loading ? (
            <div className="empty" role="status" aria-busy="true">
              {t.t('card.joiningChat')}
            </div>
          ) : (
            <div className="empty">
              {chat.error && (
                <p className="error-text" role="alert">
                  {chat.error}
                </p>
              )}
              <button type="button" className="btn btn-primary" onClick={() => void chat.join()}>
                {chatId ? t.t('card.joinChat') : t.t('card.openChat')}
              </button>
            </div>
          )}
        </section>
      </div>
    </>
  );
}
