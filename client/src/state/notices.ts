// System notices worded for the reader: the server stores what happened
// (`notice`: type, record, names, instants) and each client says it in its
// reader's language, time zone and date format, the way a colleague would
// ("Anna set the task “Call” due tomorrow at 15:00"). Russian wording avoids
// past-tense verbs, whose ending would guess the actor's gender. Pure, so it is
// unit-tested and shared by any view.
import type { components, EntityRef } from '../api';
import type { Key, Translator } from '../i18n';

export type Notice = components['schemas']['Notice'];

export interface NoticeContext {
  t: Pick<Translator, 't' | 'lang' | 'timeZone' | 'time' | 'money'>;
  /** The actor's name (the message's author). */
  actor: string;
  /** A person's current name, if known to this client. */
  nameOf: (id: string) => string | undefined;
  /** The record of the chat the notice is in: its own deal is "the deal", not its title. */
  here?: EntityRef | null;
  now?: Date;
}

const DAY = 86_400_000;

/** "2026-12-08" of an instant as seen in `timeZone`. */
function dayKey(at: Date, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The key `n` days after `key` (calendar arithmetic, no zone involved). */
function shiftKey(key: string, n: number): string {
  return new Date(Date.parse(`${key}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

/** "today", "tomorrow", "yesterday", or "8 December" (with the year when not this year). */
export function dayWord(key: string, c: NoticeContext): string {
  const today = dayKey(c.now ?? new Date(), c.t.timeZone);
  if (key === today) return c.t.t('notice.today');
  if (key === shiftKey(today, 1)) return c.t.t('notice.tomorrow');
  if (key === shiftKey(today, -1)) return c.t.t('notice.yesterday');
  const locale = c.t.lang === 'ru' ? 'ru-RU' : 'en-GB';
  const sameYear = key.slice(0, 4) === today.slice(0, 4);
  // The key is a calendar date: formatted at UTC it stays that date.
  return new Intl.DateTimeFormat(locale, {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(new Date(`${key}T00:00:00Z`));
}

/** An instant in the reader's zone: "tomorrow at 15:00" / "завтра, 15:00". */
export function momentWords(iso: string, c: NoticeContext): string {
  const at = new Date(iso);
  return c.t.t('notice.dayAt', { day: dayWord(dayKey(at, c.t.timeZone), c), time: c.t.time(at) });
}

function quote(s: string, c: NoticeContext): string {
  return c.t.lang === 'ru' ? `«${s}»` : `“${s}”`;
}

function names(ids: string[], stored: string[], c: NoticeContext): string {
  return ids.map((id, i) => c.nameOf(id) ?? stored[i] ?? '…').join(', ');
}

/** The notice as this reader reads it; null when it is not a notice to word (a hook's message, a type newer than this client). */
export function noticeText(n: Notice, c: NoticeContext): string | null {
  const tr = (key: Key, vars: Record<string, string> = {}) => c.t.t(key, { actor: c.actor, ...vars });
  const isHere = (id: string) => c.here?.id === id;
  const deal = (id: string, title: string) =>
    isHere(id) ? c.t.t('notice.theDeal') : c.t.t('notice.theDealNamed', { title: quote(title, c) });
  switch (n.type) {
    case 'task_created': {
      let s = tr('notice.taskCreated', { title: quote(n.title, c) });
      const ids = n.assignee_ids ?? [];
      if (ids.length > 0) s += c.t.t('notice.taskFor', { names: names(ids, n.assignee_names ?? [], c) });
      if (n.due_at) s += c.t.t('notice.due', { when: momentWords(n.due_at, c) });
      else if (n.due_date) s += c.t.t('notice.due', { when: dayWord(n.due_date, c) });
      if (n.priority !== 'normal') s += c.t.t('notice.priority', { priority: c.t.t(`task.priority.${n.priority}`) });
      return s;
    }
    case 'task_completed': {
      const s = tr('notice.taskCompleted', { title: quote(n.title, c) });
      return n.next_due_at ? s + c.t.t('notice.taskNext', { when: momentWords(n.next_due_at, c) }) : s;
    }
    case 'task_assigned':
      return tr('notice.taskAssigned', { title: quote(n.title, c), names: names(n.assignee_ids, n.assignee_names, c) });
    case 'deal_created': {
      const amount = n.amount_minor != null && n.currency ? ` (${c.t.money(n.amount_minor, n.currency)})` : '';
      let s = tr('notice.dealCreated', { deal: deal(n.deal_id, n.title), amount, stage: quote(n.stage, c) });
      if (n.owner_id) s += c.t.t('notice.owner', { name: c.nameOf(n.owner_id) ?? n.owner_name ?? '…' });
      return s;
    }
    case 'deal_moved':
      return tr('notice.dealMoved', { deal: deal(n.deal_id, n.title), from: quote(n.from, c), to: quote(n.to, c) });
    case 'deal_archived':
      return tr(n.archived ? 'notice.dealArchived' : 'notice.dealRestored', { deal: deal(n.deal_id, n.title) });
    case 'owner_changed': {
      const record =
        n.record === 'deal' && isHere(n.record_id)
          ? c.t.t('notice.record.thisDeal')
          : c.t.t(`notice.record.${n.record}`, { title: quote(n.title, c) });
      return tr('notice.ownerChanged', { owner: c.nameOf(n.owner_id) ?? n.owner_name, record });
    }
    case 'command_undone':
      return tr('notice.undone', { line: `/${n.line}` });
    default:
      return null;
  }
}

/** The name a message without a person is signed with: a hook's name, else automation. */
export function botName(notice: Notice | null | undefined): string | null {
  return notice?.type === 'hook' ? notice.name : null;
}
