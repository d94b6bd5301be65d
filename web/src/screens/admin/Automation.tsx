// Stage automation: per stage of a pipeline, rules "when <trigger>, do <action>"
// (create a task, post in the deal's chat, set the owner, move on, call a URL).
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Pipeline, type Stage } from '@artel/client';
import { api } from '../../app/session';
import { usePipelines, useUsers } from '../../app/data';
import { navigate, pathOf, type Route } from '../../app/router';
import { useI18n, type Key } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { Confirm, OnceSecret, SectionError, adminError } from './common';
import { describeAction, describeTrigger, type Action, type Rule, type Trigger } from './logic';

type TriggerType = Trigger['type'];
type ActionType = Action['type'];
const TRIGGERS: TriggerType[] = ['deal_entered_stage', 'deal_idle_in_stage', 'deal_task_overdue'];
const ACTIONS: ActionType[] = ['create_task', 'post_message', 'set_owner', 'move_to_stage', 'call_webhook'];
const triggerKey = (x: TriggerType) => `admin.rule.triggerType.${x}` as Key;
const actionKey = (x: ActionType) => `admin.rule.actionType.${x}` as Key;

export function Automation() {
  const t = useI18n();
  const pipelines = usePipelines();
  const [chosen, setChosen] = useState<string | null>(null);
  const list = (pipelines.data ?? []).filter((p) => !p.archived_at);
  const pipeline = list.find((p) => p.id === chosen) ?? list[0];
  if (pipelines.isPending) return <div className="skeleton" style={{ height: 160 }} />;
  if (!pipeline) return <p className="muted">{t.t('board.empty')}</p>;
  const stages = [...pipeline.stages].sort((a, b) => a.position - b.position);
  const editor: Route = { name: 'pipelineEdit', pipelineId: pipeline.id };
  return (
    <section className="section admin-section" aria-labelledby="auto-h">
      <h2 id="auto-h">{t.t('admin.tab.automation')}</h2>
      <p className="hint">{t.t('admin.rule.lead')}</p>
      <label className="field" style={{ maxWidth: 360 }}>
        <span>{t.t('admin.rule.pipeline')}</span>
        <select className="select" value={pipeline.id} onChange={(e) => setChosen(e.target.value)}>
          {list.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <p>
        <a href={pathOf(editor)} onClick={(e) => (e.preventDefault(), navigate(editor))}>
          {t.t('pipeline.edit')}
        </a>
      </p>
      {stages.map((s) => (
        <StageRules key={s.id} pipeline={pipeline} stage={s} stages={stages} />
      ))}
    </section>
  );
}

function StageRules({ pipeline, stage, stages }: { pipeline: Pipeline; stage: Stage; stages: Stage[] }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const qk = ['rules', pipeline.id, stage.id];
  const path = { params: { path: { id: pipeline.id, stage_id: stage.id } } };
  const rules = useQuery({ queryKey: qk, queryFn: () => unwrap(api.http.GET('/pipelines/{id}/stages/{stage_id}/rules', path)) });
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const names = {
    user: (id: string) => users.data?.get(id)?.name ?? t.t('admin.someone'),
    stage: (id: string) => stages.find((s) => s.id === id)?.name ?? t.t('admin.someStage'),
  };
  const headId = `stage-rules-${stage.id}`;
  return (
    <div className="admin-card" role="group" aria-labelledby={headId} data-testid="stage-rules">
      <div className="row">
        <h3 id={headId} style={{ flex: 1 }}>
          <span className="stage-color" style={{ background: stage.color ?? undefined }} aria-hidden="true" /> {stage.name}
        </h3>
        <button type="button" className="btn" onClick={() => setEditing('new')} aria-label={t.t('admin.rule.addFor', { stage: stage.name })}>
          {t.t('admin.rule.add')}
        </button>
      </div>
      <SectionError error={error ?? (rules.isError ? adminError(rules.error, t) : null)} />
      {secret && <OnceSecret title={t.t('admin.rule.secretTitle')} value={secret} onDone={() => setSecret(null)} />}
      {(rules.data ?? []).length === 0 ? (
        <p className="muted">{t.t('admin.rule.none')}</p>
      ) : (
        <ul className="list">
          {(rules.data ?? []).map((r) => (
            <li key={r.id} data-testid="rule">
              <span style={{ flex: 1 }}>
                <strong>{describeTrigger(r.trigger, t)}</strong> → {describeAction(r.action, t, names)}
                {!r.active && <span className="tag" style={{ marginLeft: 6 }}>{t.t('admin.paused')}</span>}
              </span>
              <button className="btn btn-ghost" onClick={() => setEditing(r)} aria-label={`${t.t('common.edit')}: ${describeAction(r.action, t, names)}`}>
                {t.t('common.edit')}
              </button>
              <button className="btn btn-ghost" onClick={() => setDeleting(r)} aria-label={`${t.t('common.delete')}: ${describeAction(r.action, t, names)}`}>
                {t.t('common.delete')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <RuleDialog
          rule={editing === 'new' ? null : editing}
          stage={stage}
          stages={stages}
          onClose={() => setEditing(null)}
          onSaved={(created) => {
            if (created?.secret && created.action.type === 'call_webhook') setSecret(created.secret);
            void qc.invalidateQueries({ queryKey: qk });
          }}
          save={(body, id) =>
            id
              ? unwrap(api.http.PATCH('/pipelines/{id}/stages/{stage_id}/rules/{rule_id}', { params: { path: { id: pipeline.id, stage_id: stage.id, rule_id: id } }, body }))
              : unwrap(api.http.POST('/pipelines/{id}/stages/{stage_id}/rules', { ...path, body }))
          }
        />
      )}
      {deleting && (
        <Confirm
          title={t.t('admin.rule.deleteTitle')}
          text={`${describeTrigger(deleting.trigger, t)} → ${describeAction(deleting.action, t, names)}`}
          action={t.t('common.delete')}
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            setError(null);
            try {
              await unwrap(api.http.DELETE('/pipelines/{id}/stages/{stage_id}/rules/{rule_id}', { params: { path: { id: pipeline.id, stage_id: stage.id, rule_id: deleting.id } } }));
              toast.show(t.t('admin.deleted'));
            } catch (err) {
              setError(adminError(err, t));
            }
            await qc.invalidateQueries({ queryKey: qk });
          }}
        />
      )}
    </div>
  );
}

function RuleDialog({
  rule,
  stage,
  stages,
  onClose,
  onSaved,
  save,
}: {
  rule: Rule | null;
  stage: Stage;
  stages: Stage[];
  onClose: () => void;
  onSaved: (created: Rule | null) => void;
  save: (body: { trigger: Trigger; action: Action; active: boolean }, id?: string) => Promise<Rule>;
}) {
  const t = useI18n();
  const users = useUsers();
  const people = [...(users.data?.values() ?? [])].filter((u) => !u.deactivated_at && u.role !== 'guest' && !u.bot);
  const a = rule?.action;
  const [triggerType, setTriggerType] = useState<TriggerType>(rule?.trigger.type ?? 'deal_entered_stage');
  const [days, setDays] = useState(rule?.trigger.type === 'deal_idle_in_stage' ? String(rule.trigger.days) : '3');
  const [actionType, setActionType] = useState<ActionType>(a?.type ?? 'create_task');
  const [title, setTitle] = useState(a?.type === 'create_task' ? a.title : '');
  const [assignee, setAssignee] = useState(a?.type === 'create_task' && a.assignee.type === 'user' ? a.assignee.user_id : '');
  const [due, setDue] = useState(a?.type === 'create_task' && a.due_in_hours != null ? String(a.due_in_hours) : '');
  const [text, setText] = useState(a?.type === 'post_message' ? a.text : '');
  const [owner, setOwner] = useState(a?.type === 'set_owner' ? a.user_id : (people[0]?.id ?? ''));
  const others = stages.filter((s) => s.id !== stage.id);
  const [target, setTarget] = useState(a?.type === 'move_to_stage' ? a.stage_id : (others[0]?.id ?? ''));
  const [url, setUrl] = useState(a?.type === 'call_webhook' ? a.url : '');
  const [active, setActive] = useState(rule?.active ?? true);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let trigger: Trigger;
    if (triggerType === 'deal_idle_in_stage') {
      const n = Number(days);
      if (!Number.isInteger(n) || n < 1) return setError(t.t('admin.invalidField', { field: t.t('admin.rule.days') }));
      trigger = { type: triggerType, days: n };
    } else trigger = { type: triggerType };
    let action: Action;
    switch (actionType) {
      case 'create_task': {
        const hours = due.trim() ? Number(due) : null;
        if (hours !== null && (!Number.isInteger(hours) || hours < 0)) return setError(t.t('admin.invalidField', { field: t.t('admin.rule.dueIn') }));
        action = { type: 'create_task', title: title.trim(), assignee: assignee ? { type: 'user', user_id: assignee } : { type: 'deal_owner' }, due_in_hours: hours };
        break;
      }
      case 'post_message':
        action = { type: 'post_message', text: text.trim() };
        break;
      case 'set_owner':
        action = { type: 'set_owner', user_id: owner };
        break;
      case 'move_to_stage':
        action = { type: 'move_to_stage', stage_id: target };
        break;
      case 'call_webhook':
        action = { type: 'call_webhook', url: url.trim() };
        break;
    }
    try {
      const saved = await save({ trigger, action, active }, rule?.id);
      toast.show(t.t('common.saved'));
      onSaved(rule ? null : saved);
      onClose();
    } catch (err) {
      setError(adminError(err, t));
    }
  };

  return (
    <Dialog title={rule ? t.t('admin.rule.editTitle', { stage: stage.name }) : t.t('admin.rule.newTitle', { stage: stage.name })} onClose={onClose}>
      <form onSubmit={submit}>
        <label className="field">
          <span>{t.t('admin.rule.when')}</span>
          <select className="select" value={triggerType} onChange={(e) => setTriggerType(e.target.value as TriggerType)}>
            {TRIGGERS.map((x) => (
              <option key={x} value={x}>
                {t.t(triggerKey(x))}
              </option>
            ))}
          </select>
        </label>
        {triggerType === 'deal_idle_in_stage' && <Field label={t.t('admin.rule.days')} type="number" min={1} required value={days} onChange={(e) => setDays(e.target.value)} />}
        <label className="field">
          <span>{t.t('admin.rule.then')}</span>
          <select className="select" value={actionType} onChange={(e) => setActionType(e.target.value as ActionType)}>
            {ACTIONS.map((x) => (
              <option key={x} value={x} disabled={x === 'move_to_stage' && others.length === 0}>
                {t.t(actionKey(x))}
              </option>
            ))}
          </select>
        </label>
        {actionType === 'create_task' && (
          <>
            <Field label={t.t('admin.rule.taskTitle')} required value={title} onChange={(e) => setTitle(e.target.value)} />
            <label className="field">
              <span>{t.t('admin.rule.assignee')}</span>
              <select className="select" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
                <option value="">{t.t('admin.rule.dealOwner')}</option>
                {people.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            </label>
            <Field label={t.t('admin.rule.dueIn')} hint={t.t('admin.rule.dueInHint')} type="number" min={0} value={due} onChange={(e) => setDue(e.target.value)} />
          </>
        )}
        {actionType === 'post_message' && (
          <label className="field">
            <span>{t.t('admin.rule.messageText')}</span>
            <textarea className="textarea" rows={3} required value={text} onChange={(e) => setText(e.target.value)} />
          </label>
        )}
        {actionType === 'set_owner' && (
          <label className="field">
            <span>{t.t('admin.rule.newOwner')}</span>
            <select className="select" value={owner} onChange={(e) => setOwner(e.target.value)}>
              {people.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {actionType === 'move_to_stage' && (
          <label className="field">
            <span>{t.t('admin.rule.targetStage')}</span>
            <select className="select" value={target} onChange={(e) => setTarget(e.target.value)}>
              {others.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {actionType === 'call_webhook' && <Field label={t.t('admin.field.url')} type="url" required placeholder="https://" value={url} onChange={(e) => setUrl(e.target.value)} />}
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t.t('admin.rule.active')}
        </label>
        <SectionError error={error} />
        <div className="row" style={{ justifyContent: 'flex-end', marginTop: 12 }}>
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t.t('common.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
