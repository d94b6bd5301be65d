// My tasks: overdue, today, upcoming and undated, with create and complete.
import { lazy, Suspense, useCallback, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Task } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useI18n, type Key } from '@artel/client/i18n';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { TaskList } from '../records/parts';
import { navigate } from '../../app/router';

const TaskDialog = lazy(() => import('./TaskDialog').then((m) => ({ default: m.TaskDialog })));

/** `taskId` (from /tasks?task=…, e.g. a search hit or a task chat) opens that task. */
export default function TasksScreen({ taskId }: { taskId?: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const mine = useQuery({ queryKey: keys.myTasks, queryFn: () => unwrap(api.http.GET('/tasks/mine')) });
  const [title, setTitle] = useState('');
  const [due, setDue] = useState('');
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.myTasks });
  const closeTask = useCallback(() => navigate({ name: 'tasks' }, { replace: true }), []);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    try {
      const me = api.session()?.user.id;
      await unwrap(
        api.http.POST('/tasks', {
          // A date alone is due that day in my time zone; the server reads it so.
          body: { title: title.trim(), due_at: due || null, assignees: me ? [me] : null, reminders: [] },
        }),
      );
      setTitle('');
      setDue('');
      refresh();
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  const group = (key: Key, tasks: Task[] | undefined, cls?: string) =>
    tasks && tasks.length > 0 ? (
      <section className="section" aria-labelledby={`tasks-${key}`}>
        <h2 id={`tasks-${key}`} className={cls}>
          {t.t(key)} <span className="badge">{tasks.length}</span>
        </h2>
        <TaskList tasks={tasks} onChanged={refresh} />
      </section>
    ) : null;
  const d = mine.data;
  const empty = d && d.overdue.length + d.today.length + d.upcoming.length + d.no_due_date.length === 0;
  return (
    <>
      <header className="page-head">
        <h1>{t.t('tasks.title')}</h1>
      </header>
      <div className="page-body">
        <form className="row section" onSubmit={create} aria-label={t.t('tasks.new')}>
          <input className="input" aria-label={t.t('tasks.taskTitle')} placeholder={t.t('tasks.new')} value={title} onChange={(e) => setTitle(e.target.value)} />
          <input className="input" style={{ width: 170 }} type="date" aria-label={t.t('tasks.due')} value={due} onChange={(e) => setDue(e.target.value)} />
          <button className="btn btn-primary" type="submit">
            {t.t('common.create')}
          </button>
        </form>
        {mine.isPending && <div className="skeleton" />}
        {empty && <div className="empty">{t.t('tasks.empty')}</div>}
        {group('tasks.overdue', d?.overdue, 'overdue')}
        {group('tasks.today', d?.today)}
        {group('tasks.upcoming', d?.upcoming)}
        {group('tasks.noDue', d?.no_due_date)}
        {taskId && (
          <Suspense fallback={null}>
            <TaskDialog id={taskId} onClose={closeTask} onChanged={refresh} />
          </Suspense>
        )}
      </div>
    </>
  );
}
