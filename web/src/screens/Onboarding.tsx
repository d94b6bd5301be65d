// "Getting started": what a new team does next (invite, first deal, /task). Each
// step ticks itself once done; the card goes when all are done or when dismissed,
// which is remembered per person in this browser.
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { unwrap, type Session } from '@artel/client';
import { api } from '../app/session';
import { navigate, pathOf, useRoute } from '../app/router';
import { useUsers } from '../app/data';
import { useI18n } from '@artel/client/i18n';

const dismissKey = (userId: string) => `artel.onboarding.dismissed.${userId}`;

export function isDismissed(userId: string): boolean {
  try {
    return localStorage.getItem(dismissKey(userId)) === '1';
  } catch {
    return false;
  }
}

function rememberDismissed(userId: string): void {
  try {
    localStorage.setItem(dismissKey(userId), '1');
  } catch {
    /* private mode: hidden for this visit only */
  }
}

export interface Step {
  id: 'invite' | 'deal' | 'task';
  done: boolean;
}

/** The steps that apply to this person, in order; guests have none. */
export function stepsFor(
  role: Session['user']['role'],
  facts: { teammates: boolean; deals: boolean; tasks: boolean },
): Step[] {
  if (role === 'guest') return [];
  const steps: Step[] = [];
  if (role === 'owner' || role === 'admin') steps.push({ id: 'invite', done: facts.teammates });
  steps.push({ id: 'deal', done: facts.deals }, { id: 'task', done: facts.tasks });
  return steps;
}

export function Onboarding({ session }: { session: Session }) {
  const me = session.user;
  const [dismissed, setDismissed] = useState(() => isDismissed(me.id));
  const show = !dismissed && me.role !== 'guest';
  if (!show) return null;
  return (
    <Checklist
      session={session}
      onDismiss={() => {
        rememberDismissed(me.id);
        setDismissed(true);
      }}
    />
  );
}

function Checklist({ session, onDismiss }: { session: Session; onDismiss: () => void }) {
  const t = useI18n();
  const route = useRoute();
  const me = session.user;
  const isAdmin = me.role === 'owner' || me.role === 'admin';
  const users = useUsers();
  const invites = useQuery({
    queryKey: ['onboarding', 'invites'],
    queryFn: () => unwrap(api.http.GET('/invites')),
    enabled: isAdmin,
  });
  const deals = useQuery({
    queryKey: ['onboarding', 'deals', me.id],
    queryFn: () => unwrap(api.http.GET('/deals', { params: { query: { owner_id: me.id, limit: 1, include_archived: true } } })),
  });
  const tasks = useQuery({
    queryKey: ['onboarding', 'tasks', me.id],
    queryFn: () => unwrap(api.http.GET('/tasks', { params: { query: { view: 'created', limit: 1 } } })),
  });
  // Coming back from the board or a chat: look again whether a step got done.
  // On a change of place, not on every render (the route is a new object each time).
  const place = pathOf(route);
  const { refetch: refetchDeals } = deals;
  const { refetch: refetchTasks } = tasks;
  const { refetch: refetchInvites } = invites;
  useEffect(() => {
    void refetchDeals();
    void refetchTasks();
    if (isAdmin) void refetchInvites();
  }, [place, isAdmin, refetchDeals, refetchTasks, refetchInvites]);

  const people = [...(users.data?.values() ?? [])].filter((u) => !u.bot && u.id !== me.id);
  const steps = stepsFor(me.role, {
    teammates: people.length > 0 || (invites.data?.length ?? 0) > 0,
    deals: (deals.data?.length ?? 0) > 0,
    tasks: (tasks.data?.length ?? 0) > 0,
  });
  const loaded = !deals.isPending && !tasks.isPending && !(isAdmin && invites.isPending) && !users.isPending;
  if (!loaded) return null;
  const doneCount = steps.filter((s) => s.done).length;
  if (doneCount === steps.length) return null;

  const go = (e: React.MouseEvent, to: string) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  const command = me.language === 'ru' ? '/задача' : '/task';
  return (
    <section className="onboarding" aria-labelledby="onboarding-h">
      <div className="onboarding-head">
        <h2 id="onboarding-h">{t.t('onboarding.title')}</h2>
        <span className="muted">{t.t('onboarding.progress', { done: doneCount, total: steps.length })}</span>
        <button type="button" className="btn btn-ghost" onClick={onDismiss}>
          {t.t('onboarding.dismiss')}
        </button>
      </div>
      <ol className="onboarding-steps">
        {steps.map((s) => (
          <li key={s.id} className={s.done ? 'done' : undefined} data-step={s.id}>
            <span className="check" aria-hidden="true">
              {s.done ? '✓' : ''}
            </span>
            <span className="sr-only">{s.done ? t.t('onboarding.stepDone') : t.t('onboarding.stepTodo')}</span>
            {s.id === 'invite' && (
              <a href="/settings#invites" onClick={(e) => go(e, '/settings#invites')}>
                {t.t('onboarding.invite')}
              </a>
            )}
            {s.id === 'deal' && (
              <a href="/board" onClick={(e) => go(e, '/board')}>
                {t.t('onboarding.deal')}
              </a>
            )}
            {s.id === 'task' && (
              <span>
                {t.t('onboarding.task', { command })} <code>{t.t('onboarding.taskExample', { command })}</code>
              </span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
