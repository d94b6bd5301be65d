// My tasks: overdue, today, upcoming, no date. Completing goes through the
// outbox (works offline, shows its state); snoozing moves the due time.
import { useEffect, useState } from 'react';
import { ApiError, unwrap, type MyTasks, type Task } from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { useApp, useCached, useOutbox } from '../context';
import { useM } from '../strings';
import { Header, latest, OutboxState } from './common';

export function Tasks({ focus }: { focus: string | null }) {
  const { api, rt } = useApp();
  const { t } = useI18n();
  const m = useM();
  const tasks = useCached<MyTasks>('tasks:mine', () => unwrap(api.http.GET('/tasks/mine')));
  const { reload } = tasks;
  useEffect(
    () => rt.on('ephemeral', (e) => (e.type === 'task_reminder' || e.type === 'task_assigned' || e.type === 'task_unassigned') && reload()),
    [rt, reload],
  );
  const groups: [string, Task[]][] = tasks.data
    ? [
        [t('tasks.overdue'), tasks.data.overdue],
        [t('tasks.today'), tasks.data.today],
        [t('tasks.upcoming'), tasks.data.upcoming],
        [t('tasks.noDue'), tasks.data.no_due_date],
      ]
    : [];
  const empty = tasks.data && groups.every(([, l]) => l.length === 0);
  return (
    <>
      <Header title={t('tasks.title')} />
      {!tasks.data && !tasks.error && <p className="muted">{t('app.loading')}</p>}
      {empty && <p className="muted">{t('tasks.empty')}</p>}
      {groups
        .filter(([, l]) => l.length > 0)
        .map(([label, list]) => (
          <section key={label} aria-label={label}>
            <h2 className="group">{label}</h2>
            <ul className="list">
              {list.map((task) => (
                <TaskRow key={task.id} task={task} focused={task.id === focus} onChanged={reload} />
              ))}
            </ul>
          </section>
        ))}
      {tasks.error && tasks.data && <p className="note">{m('chat.offlineCopy')}</p>}
    </>
  );
}

function TaskRow({ task, focused, onChanged }: { task: Task; focused: boolean; onChanged: () => void }) {
  const { api, outbox } = useApp();
  const { t, dateTime, date } = useI18n();
  const m = useM();
  const items = useOutbox();
  const completion = latest(items, (i) => i.payload.kind === 'complete_task' && i.payload.task_id === task.id);
  const done = completion && completion.state !== 'failed';
  const [snoozing, setSnoozing] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const snooze = async (to: Date) => {
    setSnoozing(false);
    setError(null);
    try {
      await unwrap(
        api.http.PATCH('/tasks/{id}', {
          params: { path: { id: task.id } },
          body: { due_at: to.toISOString(), version: task.version },
        }),
      );
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  const inAnHour = () => new Date(Date.now() + 3_600_000);
  const tomorrowNine = () => {
    const d = new Date();
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return d;
  };
  return (
    <li className={focused ? 'task focused' : 'task'} data-task-id={task.id}>
      <div className="task-main">
        <span className={done ? 'row-title done' : 'row-title'}>{task.title}</span>
        {task.due_at && (
          <span className="muted small">{task.due_has_time ? dateTime(task.due_at) : date(task.due_at)}</span>
        )}
        {completion && <OutboxState item={completion} />}
        {error && (
          <span role="alert" className="error small">
            {error}
          </span>
        )}
      </div>
      <div className="task-actions">
        {!done && (
          <button
            type="button"
            className="primary small"
            onClick={() =>
              void outbox.add({ kind: 'complete_task', task_id: task.id, version: task.version, title: task.title })
            }
          >
            {t('tasks.complete')}
          </button>
        )}
        {!done && (
          <button type="button" className="small" aria-expanded={snoozing} onClick={() => setSnoozing(!snoozing)}>
            {m('tasks.snooze')}
          </button>
        )}
      </div>
      {snoozing && (
        <div className="snooze" role="group" aria-label={m('tasks.snooze')}>
          <button type="button" className="small" onClick={() => void snooze(inAnHour())}>
            {m('tasks.snoozeHour')}
          </button>
          <button type="button" className="small" onClick={() => void snooze(tomorrowNine())}>
            {m('tasks.snoozeTomorrow')}
          </button>
        </div>
      )}
    </li>
  );
}
