import { describe, expect, it } from 'vitest';
import { makeTranslator } from '@artel/client/i18n';
import { absoluteUrl, describeAction, describeTrigger, eventKey, fieldKey, leadFormSnippet, scopeKey } from './logic';
import { ru } from '@artel/client/i18n/ru';

describe('admin logic', () => {
  it('proposes a field key the server accepts from a Russian or English label', () => {
    expect(fieldKey('Источник лида')).toBe('istochnik_lida');
    expect(fieldKey('Lead source')).toBe('lead_source');
    expect(fieldKey('  2-й телефон!  ')).toBe('i_telefon');
    expect(fieldKey('ИНН')).toBe('inn');
    expect(fieldKey('%%%')).toBe('');
    expect(fieldKey('a'.repeat(60))).toHaveLength(40);
  });

  it('makes relative hook and invite URLs absolute, leaves absolute ones', () => {
    expect(absoluteUrl('/api/v1/hooks/lead/x', 'https://crm.example')).toBe('https://crm.example/api/v1/hooks/lead/x');
    expect(absoluteUrl('https://a.example/i/1', 'https://crm.example')).toBe('https://a.example/i/1');
  });

  it('builds a lead form that posts to the hook, with labels escaped', () => {
    const html = leadFormSnippet('https://crm.example/api/v1/hooks/lead/t"1', { name: 'Имя', phone: 'Телефон', email: 'Почта', message: '<Вопрос>', send: 'Отправить' });
    expect(html).toContain('<form method="post" action="https://crm.example/api/v1/hooks/lead/t&quot;1"');
    expect(html).toContain('name="name" type="text" required');
    expect(html).toContain('name="phone" type="tel"');
    expect(html).toContain('&lt;Вопрос&gt;');
    expect(html.trim().endsWith('</form>')).toBe(true);
  });

  it('describes rules in words, with names instead of ids, in both languages', () => {
    const names = { user: (id: string) => (id === 'u1' ? 'Bob Smith' : '?'), stage: () => 'Переговоры' };
    const tr = makeTranslator('ru');
    const en = makeTranslator('en');
    expect(describeTrigger({ type: 'deal_entered_stage' }, tr)).toBe('При попадании на этап');
    expect(describeTrigger({ type: 'deal_idle_in_stage', days: 3 }, tr)).toBe('Если сделка стоит на этапе 3 дня');
    expect(describeTrigger({ type: 'deal_idle_in_stage', days: 1 }, en)).toBe('If the deal sits in the stage 1 day');
    expect(describeAction({ type: 'create_task', title: 'Позвонить', assignee: { type: 'deal_owner' }, due_in_hours: 24 }, tr, names)).toBe(
      'задача «Позвонить» для: ответственный за сделку, срок через 24 часа',
    );
    expect(describeAction({ type: 'set_owner', user_id: 'u1' }, en, names)).toBe('owner becomes Bob Smith');
    expect(describeAction({ type: 'move_to_stage', stage_id: 's' }, tr, names)).toBe('перенести на этап «Переговоры»');
  });

  it('has words for every webhook event and token scope', () => {
    for (const e of ['message.created', 'deal.moved', 'task.done', 'contact.created']) expect(ru).toHaveProperty(eventKey(e));
    for (const s of ['messages:read', 'crm:write'] as const) expect(ru).toHaveProperty(scopeKey(s));
  });
});
