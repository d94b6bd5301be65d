// Integrations: outgoing webhooks (events, signing secret once, delivery log),
// incoming hooks into a chat and website lead forms (URL once, embed snippet),
// and whether targets on the local network are allowed.
import { Fragment, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@api';
import type { components } from '@api/schema';
import { api } from '../../app/session';
import { useChats, usePipelines, useUsers } from '../../app/data';
import { useI18n } from '../../i18n';
import { Dialog } from '../../ui/Dialog';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { Confirm, CopyButton, OnceSecret, SectionError, adminError } from './common';
import { WEBHOOK_EVENTS, absoluteUrl, eventKey, leadFormSnippet } from './logic';

type Webhook = components['schemas']['WebhookDto'];
type Hook = components['schemas']['HookDto'];

export function Integrations() {
  return (
    <>
      <Webhooks />
      <PrivateTargets />
      <IncomingHooks />
    </>
  );
}

function PrivateTargets() {
  const t = useI18n();
  const settings = useQuery({ queryKey: ['integration-settings'], queryFn: () => unwrap(api.http.GET('/integrations/settings')) });
  // The box follows the click at once (a controlled box waiting for the server
  // would spring back), and is put back if the server refuses.
  const [allow, setAllow] = useState<boolean | null>(null);
  const shown = allow ?? settings.data?.allow_private_targets ?? false;
  const [error, setError] = useState<string | null>(null);
  const toggle = async (next: boolean) => {
    setError(null);
    setAllow(next);
    try {
      const saved = await unwrap(api.http.PUT('/integrations/settings', { body: { allow_private_targets: next } }));
      setAllow(saved.allow_private_targets);
      toast.show(t.t('common.saved'));
    } catch (err) {
      setAllow(!next);
      setError(adminError(err, t));
    }
  };
  return (
    <section className="section admin-section" aria-labelledby="private-h">
      <h2 id="private-h">{t.t('admin.int.networkTitle')}</h2>
      <label className="check">
        <input type="checkbox" checked={shown} disabled={!settings.data} onChange={(e) => void toggle(e.target.checked)} /> {t.t('admin.int.allowPrivate')}
      </label>
      <p className="hint">{t.t('admin.int.allowPrivateHint')}</p>
      <SectionError error={error ?? (settings.isError ? adminError(settings.error, t) : null)} />
    </section>
  );
}

function EventChecks({ value, onChange }: { value: string[]; onChange: (v: string[]) => void }) {
  const t = useI18n();
  return (
    <fieldset className="checks">
      <legend>{t.t('admin.field.events')}</legend>
      {WEBHOOK_EVENTS.map((ev) => (
        <label key={ev} className="check">
          <input type="checkbox" checked={value.includes(ev)} onChange={(e) => onChange(e.target.checked ? [...value, ev] : value.filter((x) => x !== ev))} /> {t.t(eventKey(ev))}
        </label>
      ))}
    </fieldset>
  );
}

function Webhooks() {
  const t = useI18n();
  const qc = useQueryClient();
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: () => unwrap(api.http.GET('/webhooks')) });
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['deal.moved']);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [editing, setEditing] = useState<Webhook | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [log, setLog] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['webhooks'] });
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (events.length === 0) return setError(t.t('admin.int.eventsNeeded'));
    try {
      const created = await unwrap(api.http.POST('/webhooks', { body: { name: name.trim(), url: url.trim(), events } }));
      setSecret(created.secret);
      setName('');
      setUrl('');
      await refresh();
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  return (
    <section className="section admin-section" aria-labelledby="wh-h">
      <h2 id="wh-h">{t.t('admin.int.webhooks')}</h2>
      <p className="hint">{t.t('admin.int.webhooksLead')}</p>
      {secret && <OnceSecret title={t.t('admin.int.signingSecret')} value={secret} testId="webhook-secret" onDone={() => setSecret(null)} />}
      {hooks.isError && <SectionError error={adminError(hooks.error, t)} />}
      {(hooks.data ?? []).length > 0 && (
        <table className="data" aria-label={t.t('admin.int.webhooks')}>
          <thead>
            <tr>
              <th scope="col">{t.t('admin.field.name')}</th>
              <th scope="col">{t.t('admin.field.url')}</th>
              <th scope="col">{t.t('admin.field.events')}</th>
              <th scope="col">{t.t('admin.col.status')}</th>
              <th scope="col">
                <span className="sr-only">{t.t('admin.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(hooks.data ?? []).map((w) => (
              <Fragment key={w.id}>
                <tr data-testid="webhook-row">
                  <td>{w.name}</td>
                  <td className="break">{w.url}</td>
                  <td>{w.events.map((ev) => t.t(eventKey(ev))).join(', ')}</td>
                  <td>{w.active ? t.t('admin.status.active') : t.t('admin.paused')}</td>
                  <td>
                    <div className="row">
                      <button className="btn btn-ghost" aria-expanded={log === w.id} onClick={() => setLog(log === w.id ? null : w.id)} aria-label={`${t.t('admin.int.log')}: ${w.name}`}>
                        {t.t('admin.int.log')}
                      </button>
                      <button className="btn btn-ghost" onClick={() => setEditing(w)} aria-label={`${t.t('common.edit')}: ${w.name}`}>
                        {t.t('common.edit')}
                      </button>
                      <button className="btn btn-ghost" onClick={() => setDeleting(w)} aria-label={`${t.t('common.delete')}: ${w.name}`}>
                        {t.t('common.delete')}
                      </button>
                    </div>
                  </td>
                </tr>
                {log === w.id && (
                  <tr>
                    <td colSpan={5}>
                      <Deliveries webhook={w} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      <h3 style={{ marginTop: 16 }}>{t.t('admin.int.newWebhook')}</h3>
      <form onSubmit={create} style={{ maxWidth: 520 }}>
        <Field label={t.t('admin.field.name')} required value={name} onChange={(e) => setName(e.target.value)} />
        <Field label={t.t('admin.field.url')} type="url" required placeholder="https://" value={url} onChange={(e) => setUrl(e.target.value)} />
        <EventChecks value={events} onChange={setEvents} />
        <SectionError error={error} />
        <button className="btn btn-primary" type="submit">
          {t.t('admin.int.addWebhook')}
        </button>
      </form>
      {editing && <EditWebhook hook={editing} onClose={() => setEditing(null)} onSaved={refresh} />}
      {deleting && (
        <Confirm
          title={t.t('admin.int.deleteWebhookTitle', { name: deleting.name })}
          text={t.t('admin.int.deleteWebhookText')}
          action={t.t('common.delete')}
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await unwrap(api.http.DELETE('/webhooks/{id}', { params: { path: { id: deleting.id } } }));
              toast.show(t.t('admin.deleted'));
            } catch (err) {
              setError(adminError(err, t));
            }
            await refresh();
          }}
        />
      )}
    </section>
  );
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const t = useI18n();
  const log = useQuery({
    queryKey: ['deliveries', webhook.id],
    queryFn: () => unwrap(api.http.GET('/webhooks/{id}/deliveries', { params: { path: { id: webhook.id }, query: { limit: 50 } } })),
    refetchInterval: 5_000,
  });
  if (log.isError) return <SectionError error={adminError(log.error, t)} />;
  if (log.isPending) return <div className="skeleton" />;
  if (log.data.length === 0) return <p className="muted">{t.t('admin.int.noDeliveries')}</p>;
  const outcome = (o: string) => (o === 'delivered' ? t.t('admin.int.delivered') : o === 'refused' ? t.t('admin.int.refused') : t.t('admin.int.failed'));
  return (
    <table className="data" aria-label={t.t('admin.int.logOf', { name: webhook.name })} data-testid="deliveries">
      <thead>
        <tr>
          <th scope="col">{t.t('admin.int.when')}</th>
          <th scope="col">{t.t('admin.int.event')}</th>
          <th scope="col">{t.t('admin.int.outcome')}</th>
          <th scope="col">{t.t('admin.int.code')}</th>
          <th scope="col">{t.t('admin.int.duration')}</th>
        </tr>
      </thead>
      <tbody>
        {log.data.map((d) => (
          <tr key={d.id} data-testid="delivery">
            <td>
              <time dateTime={d.created_at}>{t.dateTime(d.created_at)}</time>
            </td>
            <td>
              {t.t(eventKey(d.event))}
              {d.attempt > 1 && <span className="muted"> · {t.t('admin.int.attempt', { n: d.attempt })}</span>}
            </td>
            <td>{outcome(d.outcome)}</td>
            <td data-testid="delivery-code">{d.response_code ?? t.t('common.none')}</td>
            <td>{t.t('admin.int.ms', { n: t.number(d.duration_ms) })}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EditWebhook({ hook, onClose, onSaved }: { hook: Webhook; onClose: () => void; onSaved: () => Promise<unknown> }) {
  const t = useI18n();
  const [name, setName] = useState(hook.name);
  const [url, setUrl] = useState(hook.url);
  const [events, setEvents] = useState(hook.events);
  const [active, setActive] = useState(hook.active);
  const [error, setError] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (events.length === 0) return setError(t.t('admin.int.eventsNeeded'));
    try {
      await unwrap(api.http.PATCH('/webhooks/{id}', { params: { path: { id: hook.id } }, body: { name: name.trim(), url: url.trim(), events, active } }));
      toast.show(t.t('common.saved'));
      await onSaved();
      onClose();
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  return (
    <Dialog title={t.t('admin.int.editWebhook', { name: hook.name })} onClose={onClose}>
      <form onSubmit={save}>
        <Field label={t.t('admin.field.name')} required value={name} onChange={(e) => setName(e.target.value)} />
        <Field label={t.t('admin.field.url')} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
        <EventChecks value={events} onChange={setEvents} />
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t.t('admin.int.activeWebhook')}
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

function IncomingHooks() {
  const t = useI18n();
  const qc = useQueryClient();
  const hooks = useQuery({ queryKey: ['hooks'], queryFn: () => unwrap(api.http.GET('/hooks')) });
  const chats = useChats();
  const pipelines = usePipelines();
  const users = useUsers();
  const [kind, setKind] = useState<'lead' | 'incoming'>('lead');
  const [name, setName] = useState('');
  const [chatId, setChatId] = useState('');
  const [pipelineId, setPipelineId] = useState('');
  const [ownerId, setOwnerId] = useState('');
  const [redirect, setRedirect] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<{ url: string; kind: 'lead' | 'incoming' } | null>(null);
  const [revoking, setRevoking] = useState<Hook | null>(null);
  const channels = (chats.data ?? []).map((c) => c.chat).filter((c) => c.kind === 'channel' || c.kind === 'group');
  const people = [...(users.data?.values() ?? [])].filter((u) => !u.deactivated_at && u.role !== 'guest' && !u.bot);
  const openPipelines = (pipelines.data ?? []).filter((p) => !p.archived_at);
  const refresh = () => qc.invalidateQueries({ queryKey: ['hooks'] });

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const chat = chatId || channels[0]?.id;
    if (kind === 'incoming' && !chat) return setError(t.t('admin.int.chatNeeded'));
    try {
      const body =
        kind === 'incoming'
          ? { kind, name: name.trim(), chat_id: chat }
          : { kind, name: name.trim(), pipeline_id: pipelineId || null, owner_id: ownerId || null, redirect_url: redirect.trim() || null };
      const created = await unwrap(api.http.POST('/hooks', { body }));
      setMade({ url: absoluteUrl(created.url, location.origin), kind });
      setName('');
      setRedirect('');
      await refresh();
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  const target = (h: Hook) => {
    if (h.kind === 'incoming') return channels.find((c) => c.id === h.chat_id)?.name ?? t.t('admin.int.someChat');
    const named = h.pipeline_id ? openPipelines.find((x) => x.id === h.pipeline_id)?.name : undefined;
    const p = named ? t.t('admin.int.pipelineNamed', { name: named }) : t.t('admin.int.firstPipeline');
    const owner = h.owner_id ? (users.data?.get(h.owner_id)?.name ?? t.t('admin.someone')) : t.t('admin.someone');
    return t.t('admin.int.leadTarget', { pipeline: p, owner });
  };
  const snippet =
    made?.kind === 'lead'
      ? leadFormSnippet(made.url, {
          name: t.t('admin.int.formName'),
          phone: t.t('admin.int.formPhone'),
          email: t.t('admin.int.formEmail'),
          message: t.t('admin.int.formMessage'),
          send: t.t('admin.int.formSend'),
        })
      : null;
  const live = (hooks.data ?? []).filter((h) => !h.revoked_at);
  const revoked = (hooks.data ?? []).filter((h) => h.revoked_at);
  return (
    <section className="section admin-section" aria-labelledby="hooks-h">
      <h2 id="hooks-h">{t.t('admin.int.hooks')}</h2>
      <p className="hint">{t.t('admin.int.hooksLead')}</p>
      {made && (
        <OnceSecret
          title={made.kind === 'lead' ? t.t('admin.int.leadUrl') : t.t('admin.int.incomingUrl')}
          value={made.url}
          testId="hook-url"
          onDone={() => setMade(null)}
          extra={
            snippet && (
              <div style={{ marginTop: 12 }}>
                <strong>{t.t('admin.int.embed')}</strong>
                <p className="hint">{t.t('admin.int.embedHint')}</p>
                <div className="snippet-code" role="region" tabIndex={0} aria-label={t.t('admin.int.embed')}>
                  <pre data-testid="lead-snippet">{snippet}</pre>
                </div>
                <CopyButton text={snippet} label={t.t('admin.int.copyEmbed')} />
              </div>
            )
          }
        />
      )}
      {hooks.isError && <SectionError error={adminError(hooks.error, t)} />}
      {(hooks.data ?? []).length > 0 && (
        <table className="data" aria-label={t.t('admin.int.hooks')}>
          <thead>
            <tr>
              <th scope="col">{t.t('admin.field.name')}</th>
              <th scope="col">{t.t('admin.int.kind')}</th>
              <th scope="col">{t.t('admin.int.target')}</th>
              <th scope="col">{t.t('admin.col.status')}</th>
              <th scope="col">
                <span className="sr-only">{t.t('admin.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...live, ...revoked].map((h) => (
              <tr key={h.id} data-testid="hook-row">
                <td>{h.name}</td>
                <td>{h.kind === 'lead' ? t.t('admin.int.kindLead') : t.t('admin.int.kindIncoming')}</td>
                <td>{target(h)}</td>
                <td>{h.revoked_at ? t.t('admin.int.revokedAt', { date: t.dateTime(h.revoked_at) }) : t.t('admin.status.active')}</td>
                <td>
                  {!h.revoked_at && (
                    <button className="btn btn-ghost" onClick={() => setRevoking(h)} aria-label={`${t.t('settings.revoke')}: ${h.name}`}>
                      {t.t('settings.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 style={{ marginTop: 16 }}>{t.t('admin.int.newHook')}</h3>
      <form onSubmit={create} style={{ maxWidth: 520 }}>
        <label className="field">
          <span>{t.t('admin.int.kind')}</span>
          <select className="select" value={kind} onChange={(e) => setKind(e.target.value as 'lead' | 'incoming')}>
            <option value="lead">{t.t('admin.int.kindLead')}</option>
            <option value="incoming">{t.t('admin.int.kindIncoming')}</option>
          </select>
        </label>
        <Field label={t.t('admin.field.name')} required value={name} onChange={(e) => setName(e.target.value)} />
        {kind === 'incoming' ? (
          <label className="field">
            <span>{t.t('admin.int.chat')}</span>
            <select className="select" value={chatId || channels[0]?.id || ''} onChange={(e) => setChatId(e.target.value)}>
              {channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name ?? t.t('admin.int.someChat')}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <>
            <label className="field">
              <span>{t.t('admin.rule.pipeline')}</span>
              <select className="select" value={pipelineId} onChange={(e) => setPipelineId(e.target.value)}>
                <option value="">{t.t('admin.int.firstPipeline')}</option>
                {openPipelines.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t.t('admin.int.leadOwner')}</span>
              <select className="select" value={ownerId} onChange={(e) => setOwnerId(e.target.value)}>
                <option value="">{t.t('admin.int.me')}</option>
                {people.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            </label>
            <Field label={t.t('admin.field.redirect')} hint={t.t('admin.int.redirectHint')} type="url" placeholder="https://" value={redirect} onChange={(e) => setRedirect(e.target.value)} />
          </>
        )}
        <SectionError error={error} />
        <button className="btn btn-primary" type="submit">
          {t.t('admin.int.addHook')}
        </button>
      </form>
      {revoking && (
        <Confirm
          title={t.t('admin.int.revokeHookTitle', { name: revoking.name })}
          text={t.t('admin.int.revokeHookText')}
          action={t.t('settings.revoke')}
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            try {
              await unwrap(api.http.DELETE('/hooks/{id}', { params: { path: { id: revoking.id } } }));
              toast.show(t.t('admin.int.hookRevoked'));
            } catch (err) {
              setError(adminError(err, t));
            }
            await refresh();
          }}
        />
      )}
    </section>
  );
}
