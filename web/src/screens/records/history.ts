// A record's change history in words, for the deal, contact, company and task
// cards: what was created ("created the deal"), fields by their card label,
// people by name, money and dates in the reader's format, never a raw id.
import type { EntityKind, History, User } from '@artel/client';
import { userName } from '../../app/names';
import type { Key, Translator } from '@artel/client/i18n';

export function show(v: unknown, t: Translator): string {
  if (v === null || v === undefined || v === '') return t.t('common.none');
  if (Array.isArray(v)) return v.map((x) => show(x, t)).join(', ') || t.t('common.none');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const FIELDS = ['stage_id', 'amount_minor', 'owner_id', 'title', 'name', 'tags', 'status', 'due_at'] as const;
/** Record fields the cards edit, by their card label. */
const CARD_FIELDS: Record<string, Key> = {
  currency: 'form.currency',
  participants: 'card.participants',
  contact_id: 'card.contact',
  company_id: 'card.company',
  expected_close_date: 'card.closeDate',
  loss_reason: 'card.lossReason',
  phones: 'card.phones',
  emails: 'card.emails',
  position: 'card.position',
  website: 'card.website',
  address: 'card.address',
  source: 'card.source',
  notes: 'card.notes',
};

/** What a stage rule did, from its history entry (`{rule_id, result: {action: {type, …}}}` or `{result: {skipped}}`). */
function ruleLine(entry: unknown, users: Map<string, User> | undefined, t: Translator): string {
  const result = (entry as { result?: { skipped?: string; action?: { type?: string; skipped?: string; user_id?: string } } } | null)?.result;
  const action = result?.action;
  if (result?.skipped === 'depth_limit' || action?.skipped === 'depth_limit') return t.t('card.rule.tooDeep');
  switch (action?.type) {
    case 'create_task':
      return t.t('card.rule.task');
    case 'post_message':
      return t.t('card.rule.message');
    case 'set_owner':
      return t.t('card.rule.owner', { who: action.user_id ? userName(users, action.user_id) : t.t('common.none') });
    case 'move_to_stage':
      return t.t(action.skipped ? 'card.rule.alreadyThere' : 'card.rule.moved');
    case 'call_webhook':
      return t.t('card.rule.webhook');
    default:
      return t.t('card.rule.ran');
  }
}

/** The record's kind as its key suffix: `card.createdDeal`, `card.archivedTask`… */
const KIND: Record<EntityKind, 'Deal' | 'Contact' | 'Company' | 'Task'> = { deal: 'Deal', contact: 'Contact', company: 'Company', task: 'Task' };

/** One history entry in words: what was created by its kind, known fields by their label, people by name, no raw ids. */
export function describeHistory(
  h: History,
  kind: EntityKind,
  users: Map<string, User> | undefined,
  t: Translator,
  customLabels?: Map<string, string>,
): string {
  const who = h.actor_id ? userName(users, h.actor_id) : t.t('chat.system');
  if (h.field === 'automation') return ruleLine(h.new, users, t);
  if (h.field === 'created') return t.t(`card.created${KIND[kind]}`, { who });
  if (h.field === 'merged') return t.t('merge.history', { who, name: (h.new as { name?: string } | null)?.name ?? '' });
  // A task moved to the record another one was merged into.
  if (h.field === 'entity') return t.t('card.changedLink', { who, field: t.t('merge.entityField') });
  // A deal's archive is its `archived_at` changing; contacts and companies record "archived" and "restored".
  const archived = h.field === 'archived_at' ? Boolean(h.new) : h.field === 'archived' ? true : h.field === 'restored' ? false : null;
  if (archived !== null) return t.t(archived ? `card.archived${KIND[kind]}` : `card.restored${KIND[kind]}`, { who });
  const known = (FIELDS as readonly string[]).includes(h.field);
  const custom = h.field.startsWith('custom.') ? customLabels?.get(h.field.slice(7)) : undefined;
  const field = known ? t.t(`field.${h.field}` as 'field.title') : CARD_FIELDS[h.field] ? t.t(CARD_FIELDS[h.field]!) : custom ?? h.field;
  // Links to other records carry ids only: say what changed, not to what.
  if (h.field === 'contact_id' || h.field === 'company_id') return t.t('card.changedLink', { who, field });
  const one = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return t.t('common.none');
    if ((h.field === 'owner_id' || h.field === 'participants') && typeof v === 'string') return userName(users, v);
    if (h.field === 'amount_minor' && typeof v === 'number') return t.number(v / 100);
    if (h.field === 'expected_close_date' && typeof v === 'string') return t.date(v + 'T12:00:00Z');
    if (typeof v === 'object' && v && 'e164' in v) return String((v as { raw?: string; e164: string }).raw || (v as { e164: string }).e164);
    if (typeof v === 'object' && v && 'amount_minor' in v && 'currency' in v) {
      const m = v as { amount_minor: number; currency: string };
      return t.money(m.amount_minor, m.currency);
    }
    if (typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(v)) return users?.get(v)?.name ?? '…';
    return show(v, t);
  };
  const value = (v: unknown) => (Array.isArray(v) ? v.map(one).join(', ') || t.t('common.none') : one(v));
  return t.t('card.changed', { who, field, old: value(h.old), new: value(h.new) });
}

