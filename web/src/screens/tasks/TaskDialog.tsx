// One task opened from a list: edit its fields (optimistic version check, a
// conflict reloads), its subtasks (add, complete, reopen) and its reminders
// (add, remove; fired ones stay as a record).
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, unwrap, type EntityRef, type Task } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useUsers } from '../../app/data';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { errorMessage } from '../../ui/errors';
import { toast } from '../../ui/Toast';
import { dueInput, dueValue, localInput, type DueInput } from '../../state/tasks';
import { MessageLinks } from '../../ui/LinkedText';

type Priority = Task['priority'];
const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'urgent'];

export function TaskDialog({ id, onClose, onChanged }: { id: string; onClose: () => void; onChanged: () => void }) {
  const t = useI18n();
  const task = useQuery({ queryKey: ['task', id], queryFn: () => unwrap(api.http.GET('/tasks/{id}', { params: { path: { id } } })) });
  return (
    <Dialog title={task.data?.title ?? t.t('task.title')} onClose={onClose}>
      {task.isPending && <div className="skeleton" />}
      {task.isError && (
        <p className="error-text" role="alert">
          {errorMessage(task.error, t)}
        </p>
      )}
      {task.data && <TaskForm key={task.data.version} task={task.data} onClose={onClose} onChanged={onChanged} />}
    </Dialog>
  );
}

function TaskForm({ task, onClose, onChanged }: { task: Task; onClose: () => void; onChanged: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const [title, setTitle] = useState(task.title);
  const [description, setDescription] = useState(task.description);
  const [due, setDue] = useState(() => dueInput(task));
  const [priority, setPriority] = useState<Priority>(task.priority);
  const [assignees, setAssignees] = useState<string[]>(task.assignees);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = async () => {
    await qc.invalidateQueries({ queryKey: ['task', task.id] });
    void qc.invalidateQueries({ queryKey: ['subtasks', task.id] });
    void qc.invalidateQueries({ queryKey: keys.myTasks });
    void qc.invalidateQueries({ queryKey: ['tasks'] });
    onChanged();
  };

  /** A PATCH on the version shown; a conflict reloads the task and says so. */
  const patch = async (body: Record<string, unknown>, done?: string) => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.http.PATCH('/tasks/{id}', { params: { path: { id: task.id } }, body: { version: task.version, ...body } }));
      if (done) toast.show(done);
      await refresh();
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setError(t.t('task.conflict'));
        await refresh();
      } else setError(errorMessage(err, t));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    const ok = await patch(
      { title: title.trim(), description, due_at: dueValue(due), priority, assignees },
      t.t('common.saved'),
    );
    if (ok) onClose();
  };

  // One row per moment: the server keeps a reminder per moment and person.
  const byTime = <T extends { remind_at: string }>(list: T[]) => [...new Map(list.map((r) => [r.remind_at, r])).values()];
  const pending = byTime((task.reminders ?? []).filter((r) => !r.fired_at));
  const fired = byTime((task.reminders ?? []).filter((r) => r.fired_at));
  const setReminders = (list: string[], done: string) => void patch({ reminders: list }, done);

  const activeUsers = [...(users.data?.values() ?? [])].filter((u) => !u.deactivated_at || task.assignees.includes(u.id));
  return (
    <div className="task-dialog">
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <form onSubmit={(e) => void save(e)} aria-label={t.t('task.edit')}>
        <label className="field">
          <span>{t.t('tasks.taskTitle')}</span>
          <input className="input" value={title} maxLength={500} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="field">
          <span>{t.t('task.description')}</span>
          <textarea className="input" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <MessageLinks text={description} />
        <div className="row">
          <label className="field">
            <span>{t.t('tasks.due')}</span>
            <input className="input" type="date" value={due.date} onChange={(e) => setDue({ ...due, date: e.target.value })} />
          </label>
          <label className="field">
            <span>{t.t('task.dueTime')}</span>
            <input className="input" type="time" value={due.time} disabled={!due.date} onChange={(e) => setDue({ ...due, time: e.target.value })} />
          </label>
          <label className="field">
            <span>{t.t('task.priority')}</span>
            <select className="select" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {t.t(`task.priority.${p}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <fieldset className="field assignees">
          <legend>{t.t('task.assignees')}</legend>
          {activeUsers.map((u) => (
            <label key={u.id} className="check">
              <input
                type="checkbox"
                checked={assignees.includes(u.id)}
                onChange={(e) => setAssignees(e.target.checked ? [...assignees, u.id] : assignees.filter((a) => a !== u.id))}
              />
              {u.name}
            </label>
          ))}
        </fieldset>
        <div className="row">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {t.t('common.save')}
          </button>
          {task.status === 'done' ? (
            <button
              className="btn"
              type="button"
              disabled={busy}
              onClick={() => void unwrap(api.http.POST('/tasks/{id}/reopen', { params: { path: { id: task.id } }, body: { version: task.version } })).then(refresh, (err) => setError(errorMessage(err, t)))}
            >
              {t.t('task.reopen')}
            </button>
          ) : null}
          <button className="btn btn-ghost" type="button" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
        </div>
      </form>

      <section className="section" aria-labelledby={`rem-${task.id}`}>
        <h3 id={`rem-${task.id}`}>{t.t('task.reminders')}</h3>
        <ul className="list reminders">
          {pending.map((r) => (
            <li key={r.id}>
              <time dateTime={r.remind_at} style={{ flex: 1 }}>
                {t.dateTime(r.remind_at)}
              </time>
              <button
                type="button"
                className="btn btn-ghost"
                aria-label={`${t.t('task.removeReminder')}: ${t.dateTime(r.remind_at)}`}
                disabled={busy}
                onClick={() => setReminders(pending.filter((x) => x.remind_at !== r.remind_at).map((x) => x.remind_at), t.t('task.reminderRemoved'))}
              >
                {t.t('common.delete')}
              </button>
            </li>
          ))}
          {fired.map((r) => (
            <li key={r.id} className="muted">
              <time dateTime={r.remind_at} style={{ flex: 1 }}>
                {t.dateTime(r.remind_at)}
              </time>
              {t.t('task.reminderFired')}
            </li>
          ))}
        </ul>
        {pending.length + fired.length === 0 && <p className="muted">{t.t('task.noReminders')}</p>}
        <AddReminder busy={busy} onAdd={(at) => setReminders([...pending.map((x) => x.remind_at), at], t.t('task.reminderAdded'))} />
      </section>

      <Subtasks parent={task} onChanged={refresh} />
    </div>
  );
}

function AddReminder({ busy, onAdd }: { busy: boolean; onAdd: (at: string) => void }) {
  const t = useI18n();
  const [at, setAt] = useState(() => localInput(new Date(Date.now() + 60 * 60_000)));
  return (
    <form
      className="row"
      aria-label={t.t('task.addReminder')}
      onSubmit={(e) => {
        e.preventDefault();
        const when = new Date(at);
        if (!at || Number.isNaN(when.getTime())) return;
        onAdd(when.toISOString());
      }}
    >
      <input className="input" type="datetime-local" aria-label={t.t('task.reminderAt')} value={at} onChange={(e) => setAt(e.target.value)} />
      <button className="btn" type="submit" disabled={busy}>
        {t.t('task.addReminder')}
      </button>
    </form>
  );
}

function Subtasks({ parent, onChanged }: { parent: Task; onChanged: () => Promise<void> }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const key = ['subtasks', parent.id];
  const subs = useQuery({ queryKey: key, queryFn: () => unwrap(api.http.GET('/tasks/{id}/subtasks', { params: { path: { id: parent.id } } })) });
  const done = async () => {
    await qc.invalidateQueries({ queryKey: key });
    await onChanged();
  };
  const act = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
      await done();
    } catch (err) {
      setError(errorMessage(err, t));
    }
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    void act(async () => {
      await unwrap(api.http.POST('/tasks', { body: { title: title.trim(), parent_id: parent.id, assignees: parent.assignees, reminders: [] } }));
      setTitle('');
    });
  };
  const list = subs.data ?? [];
  const closed = list.filter((s) => s.status === 'done').length;
  return (
    <section className="section" aria-labelledby={`sub-${parent.id}`}>
      <h3 id={`sub-${parent.id}`}>
        {t.t('task.subtasks')} {list.length > 0 && <span className="badge">{`${closed}/${list.length}`}</span>}
      </h3>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <ul className="list subtasks">
        {list.map((s) => {
          const isDone = s.status === 'done';
          return (
            <li key={s.id} data-subtask-id={s.id}>
              <input
                type="checkbox"
                checked={isDone}
                aria-label={`${isDone ? t.t('task.reopen') : t.t('tasks.complete')}: ${s.title}`}
                onChange={() =>
                  void act(() =>
                    isDone
                      ? unwrap(api.http.POST('/tasks/{id}/reopen', { params: { path: { id: s.id } }, body: { version: s.version } }))
                      : unwrap(api.http.POST('/tasks/{id}/complete', { params: { path: { id: s.id } }, body: { version: s.version } })),
                  )
                }
              />
              <span style={{ flex: 1, textDecoration: isDone ? 'line-through' : undefined }}>{s.title}</span>
            </li>
          );
        })}
      </ul>
      <form className="row" onSubmit={add} aria-label={t.t('task.addSubtask')}>
        <input className="input" aria-label={t.t('task.subtaskTitle')} placeholder={t.t('task.subtaskTitle')} value={title} maxLength={500} onChange={(e) => setTitle(e.target.value)} />
        <button className="btn" type="submit">
          {t.t('task.addSubtask')}
        </button>
      </form>
    </section>
  );
}

/**
 * A task not yet created, prefilled (from a message: its text, a link back to
 * it, and the record of the chat it was written in). Assigned to me unless
 * changed; saving creates it.
 */
export function NewTaskDialog({
  initial,
  onClose,
}: {
  initial: { title: string; description: string; entity?: EntityRef | null; entityName?: string };
  onClose: () => void;
}) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const me = api.session()?.user.id ?? '';
  const [title, setTitle] = useState(initial.title);
  const [description, setDescription] = useState(initial.description);
  const [due, setDue] = useState<DueInput>({ date: '', time: '' });
  const [priority, setPriority] = useState<Priority>('normal');
  const [assignees, setAssignees] = useState<string[]>(me ? [me] : []);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const entity = initial.entity && initial.entity.kind !== 'task' ? initial.entity : null;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const task = await unwrap(
        api.http.POST('/tasks', {
          body: {
            title: title.trim(),
            description,
            due_at: dueValue(due),
            priority,
            assignees,
            entity_kind: entity?.kind ?? null,
            entity_id: entity?.id ?? null,
            reminders: [],
          },
        }),
      );
      void qc.invalidateQueries({ queryKey: ['tasks'] });
      toast.show(t.t('actions.taskCreated', { title: task.title }));
      onClose();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 403 ? t.t('actions.forbidden') : errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };

  const activeUsers = [...(users.data?.values() ?? [])].filter((u) => !u.deactivated_at);
  return (
    <Dialog title={t.t('actions.newTask')} onClose={onClose}>
      <div className="task-dialog">
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <form onSubmit={(e) => void save(e)} aria-label={t.t('actions.newTask')}>
          <label className="field">
            <span>{t.t('tasks.taskTitle')}</span>
            <input className="input" required value={title} maxLength={500} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label className="field">
            <span>{t.t('task.description')}</span>
            <textarea className="input" rows={4} value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
          <MessageLinks text={description} />
          {entity && initial.entityName && (
            <p className="muted" data-testid="task-entity">
              {t.t('actions.linkedTo')}: {initial.entityName}
            </p>
          )}
          <div className="row">
            <label className="field">
              <span>{t.t('tasks.due')}</span>
              <input className="input" type="date" value={due.date} onChange={(e) => setDue({ ...due, date: e.target.value })} />
            </label>
            <label className="field">
              <span>{t.t('task.dueTime')}</span>
              <input className="input" type="time" value={due.time} disabled={!due.date} onChange={(e) => setDue({ ...due, time: e.target.value })} />
            </label>
            <label className="field">
              <span>{t.t('task.priority')}</span>
              <select className="select" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {t.t(`task.priority.${p}`)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <fieldset className="field assignees">
            <legend>{t.t('task.assignees')}</legend>
            {activeUsers.map((u) => (
              <label key={u.id} className="check">
                <input
                  type="checkbox"
                  checked={assignees.includes(u.id)}
                  onChange={(e) => setAssignees(e.target.checked ? [...assignees, u.id] : assignees.filter((a) => a !== u.id))}
                />
                {u.name}
              </label>
            ))}
          </fieldset>
          <div className="row">
            <button className="btn btn-primary" type="submit" disabled={busy}>
              {t.t('common.create')}
            </button>
            <button className="btn btn-ghost" type="button" onClick={onClose}>
              {t.t('common.cancel')}
            </button>
          </div>
        </form>
      </div>
    </Dialog>
  );
}
