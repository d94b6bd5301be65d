// Integrations: outgoing webhooks (events, signing secret once, delivery log),
// whether targets on the local network are allowed, and (Hooks.tsx) incoming
// hooks and website lead forms.
import { Fragment, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import type { components } from '@artel/client';
import { api } from '../../app/session';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { Confirm, OnceSecret, SectionError, adminError } from './common';
import { WEBHOOK_EVENTS, eventKey } from './logic';
import { IncomingHooks } from './Hooks';
import { BackgroundJobs } from './Jobs';

type Webhook = components['schemas']['WebhookDto'];

export function Integrations() {
  return (
    <>
      <Webhooks />
      <PrivateTargets />
      <IncomingHooks />
      <BackgroundJobs />
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
