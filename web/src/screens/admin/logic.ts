// Pure helpers of the admin area (kept apart from React so they are unit-tested):
// a field key from its label, the lead-form embed snippet, a rule in words.
import type { components } from '@artel/client';
import type { Key, Translator } from '@artel/client/i18n';

type S = components['schemas'];
export type Rule = S['RuleDto'];
export type Trigger = S['Trigger'];
export type Action = S['Action'];

const CYRILLIC: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'i', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'h', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'sch',
  ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};

/**
 * The key a custom field's value is stored under, proposed from its label: the
 * server wants a-z, 0-9 and `_`, starting with a letter, so Cyrillic is
 * transliterated and everything else becomes `_`.
 */
export function fieldKey(label: string): string {
  const latin = [...label.toLowerCase()].map((c) => CYRILLIC[c] ?? c).join('');
  const key = latin
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '')
    .slice(0, 40)
    .replace(/_+$/, '');
  return key;
}

/** An absolute URL for one the server gave relative (no public URL configured). */
export function absoluteUrl(url: string, origin: string): string {
  return url.startsWith('/') ? origin + url : url;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A plain HTML form that posts to a lead hook: it works without any script,
 * and the hook's thank-you page (if set) is where the visitor lands after.
 */
export function leadFormSnippet(url: string, labels: { name: string; phone: string; email: string; message: string; send: string }): string {
  const field = (name: string, label: string, type: string) =>
    `  <label>${escapeHtml(label)}<br><input name="${name}" type="${type}"${name === 'name' ? ' required' : ''}></label><br>`;
  return [
    `<form method="post" action="${escapeHtml(url)}" accept-charset="utf-8">`,
    field('name', labels.name, 'text'),
    field('phone', labels.phone, 'tel'),
    field('email', labels.email, 'email'),
    `  <label>${escapeHtml(labels.message)}<br><textarea name="message"></textarea></label><br>`,
    `  <button type="submit">${escapeHtml(labels.send)}</button>`,
    '</form>',
  ].join('\n');
}

export function describeTrigger(tr: Trigger, t: Translator): string {
  switch (tr.type) {
    case 'deal_entered_stage':
      return t.t('admin.rule.trigger.entered');
    case 'deal_idle_in_stage':
      return t.tn('admin.rule.trigger.idleDays', tr.days);
    case 'deal_task_overdue':
      return t.t('admin.rule.trigger.overdue');
  }
}

/** A rule's action in words, with people and stages by name (never an id). */
export function describeAction(a: Action, t: Translator, names: { user: (id: string) => string; stage: (id: string) => string }): string {
  switch (a.type) {
    case 'create_task': {
      const who = a.assignee.type === 'deal_owner' ? t.t('admin.rule.dealOwner') : names.user(a.assignee.user_id);
      const base = t.t('admin.rule.action.createTaskText', { title: a.title, who });
      return a.due_in_hours != null ? `${base}, ${t.tn('admin.rule.dueHours', a.due_in_hours)}` : base;
    }
    case 'post_message':
      return t.t('admin.rule.action.postMessageText', { text: a.text });
    case 'set_owner':
      return t.t('admin.rule.action.setOwnerText', { who: names.user(a.user_id) });
    case 'move_to_stage':
      return t.t('admin.rule.action.moveText', { stage: names.stage(a.stage_id) });
    case 'call_webhook':
      return t.t('admin.rule.action.webhookText', { url: a.url });
  }
}

export const WEBHOOK_EVENTS = ['message.created', 'deal.created', 'deal.moved', 'deal.won', 'deal.lost', 'task.created', 'task.done', 'contact.created'] as const;

/** The i18n key naming a webhook event (`deal.moved` → `admin.event.deal_moved`). */
export function eventKey(event: string): Key {
  return `admin.event.${event.replace('.', '_')}` as Key;
}

export const SCOPES: S['Scope'][] = ['messages:read', 'messages:write', 'commands:run', 'crm:read', 'crm:write'];
export function scopeKey(scope: S['Scope']): Key {
  return `admin.scope.${scope.replace(':', '_')}` as Key;
}
