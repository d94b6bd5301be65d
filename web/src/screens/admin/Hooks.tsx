// Incoming hooks into a channel and website lead forms: the secret URL is shown
// once, with a ready HTML form for lead hooks; revoking stops the URL at once.
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import type { components } from '@artel/client';
import { api } from '../../app/session';
import { useChats, usePipelines, useUsers } from '../../app/data';
import { useI18n } from '@artel/client/i18n';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { Confirm, CopyButton, OnceSecret, SectionError, adminError } from './common';
import { absoluteUrl, leadFormSnippet } from './logic';

type Hook = components['schemas']['HookDto'];

export function IncomingHooks() {
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
