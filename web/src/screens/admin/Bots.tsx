// Bots: accounts that act through API tokens. Create, rename, issue a scoped
// token (its secret shown once), revoke a token.
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type User } from '@artel/client';
import type { components } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { Confirm, OnceSecret, SectionError, adminError } from './common';
import { SCOPES, scopeKey } from './logic';

type Scope = components['schemas']['Scope'];
type Token = components['schemas']['ApiTokenDto'];

export function Bots() {
  const t = useI18n();
  const qc = useQueryClient();
  const bots = useQuery({ queryKey: ['bots'], queryFn: () => unwrap(api.http.GET('/bots')) });
  const [name, setName] = useState('');
  const [role, setRole] = useState<'member' | 'guest'>('member');
  const [error, setError] = useState<string | null>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await unwrap(api.http.POST('/bots', { body: { name: name.trim(), role } }));
      toast.show(t.t('admin.bot.created', { name: name.trim() }));
      setName('');
      await qc.invalidateQueries({ queryKey: ['bots'] });
      void qc.invalidateQueries({ queryKey: keys.users });
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  return (
    <section className="section admin-section" aria-labelledby="bots-h">
      <h2 id="bots-h">{t.t('admin.tab.bots')}</h2>
      <p className="hint">{t.t('admin.bot.lead')}</p>
      {bots.isError && <SectionError error={adminError(bots.error, t)} />}
      {(bots.data ?? []).length === 0 && bots.isSuccess && <p className="muted">{t.t('admin.bot.none')}</p>}
      {(bots.data ?? []).map((b) => (
        <BotCard key={b.id} bot={b} />
      ))}
      <h3 style={{ marginTop: 16 }}>{t.t('admin.bot.new')}</h3>
      <form className="row wrap" onSubmit={create}>
        <input className="input" aria-label={t.t('admin.bot.name')} placeholder={t.t('admin.bot.name')} required value={name} onChange={(e) => setName(e.target.value)} />
        <select className="select" style={{ width: 180 }} aria-label={t.t('settings.role')} value={role} onChange={(e) => setRole(e.target.value as 'member' | 'guest')}>
          <option value="member">{t.t('role.member')}</option>
          <option value="guest">{t.t('role.guest')}</option>
        </select>
        <button className="btn btn-primary" type="submit">
          {t.t('admin.bot.create')}
        </button>
      </form>
      <SectionError error={error} />
    </section>
  );
}

function BotCard({ bot }: { bot: User }) {
  const t = useI18n();
  const qc = useQueryClient();
  const qk = ['bot-tokens', bot.id];
  const tokens = useQuery({ queryKey: qk, queryFn: () => unwrap(api.http.GET('/bots/{id}/tokens', { params: { path: { id: bot.id } } })) });
  const [renaming, setRenaming] = useState(false);
  const [issuing, setIssuing] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headId = `bot-${bot.id}`;
  return (
    <div className="admin-card" role="group" aria-labelledby={headId} data-testid="bot">
      <div className="row">
        <h3 id={headId} style={{ flex: 1 }}>
          {bot.name} <span className="tag">{t.t('admin.bot.badge')}</span>
          {bot.deactivated_at && <span className="tag">{t.t('admin.status.deactivated', { date: t.date(bot.deactivated_at) })}</span>}
        </h3>
        <button className="btn btn-ghost" onClick={() => setRenaming(true)} aria-label={`${t.t('admin.bot.rename')}: ${bot.name}`}>
          {t.t('admin.bot.rename')}
        </button>
        <button className="btn" onClick={() => setIssuing(true)} disabled={!!bot.deactivated_at} aria-label={`${t.t('admin.bot.issue')}: ${bot.name}`}>
          {t.t('admin.bot.issue')}
        </button>
      </div>
      <SectionError error={error} />
      {secret && <OnceSecret title={t.t('admin.bot.secretTitle')} value={secret} testId="bot-token" onDone={() => setSecret(null)} />}
      {(tokens.data ?? []).length === 0 ? (
        <p className="muted">{t.t('admin.bot.noTokens')}</p>
      ) : (
        <table className="data" aria-label={t.t('admin.bot.tokensOf', { name: bot.name })}>
          <thead>
            <tr>
              <th scope="col">{t.t('admin.field.name')}</th>
              <th scope="col">{t.t('admin.field.scopes')}</th>
              <th scope="col">{t.t('admin.bot.lastUsed')}</th>
              <th scope="col">{t.t('admin.col.status')}</th>
              <th scope="col">
                <span className="sr-only">{t.t('admin.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(tokens.data ?? []).map((k) => (
              <tr key={k.id} data-testid="token-row">
                <td>{k.name}</td>
                <td>{k.scopes.map((s) => t.t(scopeKey(s))).join(', ')}</td>
                <td>{k.last_used_at ? t.dateTime(k.last_used_at) : t.t('admin.bot.never')}</td>
                <td>{k.revoked_at ? t.t('admin.int.revokedAt', { date: t.dateTime(k.revoked_at) }) : t.t('admin.status.active')}</td>
                <td>
                  {!k.revoked_at && (
                    <button className="btn btn-ghost" onClick={() => setRevoking(k)} aria-label={`${t.t('settings.revoke')}: ${k.name}`}>
                      {t.t('settings.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {renaming && <RenameBot bot={bot} onClose={() => setRenaming(false)} />}
      {issuing && (
        <IssueToken
          bot={bot}
          onClose={() => setIssuing(false)}
          onIssued={(s) => {
            setSecret(s);
            void qc.invalidateQueries({ queryKey: qk });
          }}
        />
      )}
      {revoking && (
        <Confirm
          title={t.t('admin.bot.revokeTitle', { name: revoking.name })}
          text={t.t('admin.bot.revokeText')}
          action={t.t('settings.revoke')}
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            setError(null);
            try {
              await unwrap(api.http.DELETE('/bots/{id}/tokens/{token_id}', { params: { path: { id: bot.id, token_id: revoking.id } } }));
              toast.show(t.t('admin.bot.revoked'));
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

function RenameBot({ bot, onClose }: { bot: User; onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [name, setName] = useState(bot.name);
  const [error, setError] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await unwrap(api.http.PATCH('/bots/{id}', { params: { path: { id: bot.id } }, body: { name: name.trim() } }));
      toast.show(t.t('common.saved'));
      await qc.invalidateQueries({ queryKey: ['bots'] });
      void qc.invalidateQueries({ queryKey: keys.users });
      onClose();
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  return (
    <Dialog title={t.t('admin.bot.renameTitle', { name: bot.name })} onClose={onClose}>
      <form onSubmit={save}>
        <Field label={t.t('admin.bot.name')} required value={name} onChange={(e) => setName(e.target.value)} />
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

function IssueToken({ bot, onClose, onIssued }: { bot: User; onClose: () => void; onIssued: (secret: string) => void }) {
  const t = useI18n();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['messages:read', 'messages:write']);
  const [error, setError] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (scopes.length === 0) return setError(t.t('admin.bot.scopesNeeded'));
    try {
      const made = await unwrap(api.http.POST('/bots/{id}/tokens', { params: { path: { id: bot.id } }, body: { name: name.trim(), scopes } }));
      onIssued(made.secret);
      onClose();
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  return (
    <Dialog title={t.t('admin.bot.issueTitle', { name: bot.name })} onClose={onClose}>
      <form onSubmit={save}>
        <Field label={t.t('admin.bot.tokenName')} hint={t.t('admin.bot.tokenNameHint')} required value={name} onChange={(e) => setName(e.target.value)} />
        <fieldset className="checks">
          <legend>{t.t('admin.field.scopes')}</legend>
          {SCOPES.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} /> {t.t(scopeKey(s))}
            </label>
          ))}
        </fieldset>
        <SectionError error={error} />
        <div className="row" style={{ justifyContent: 'flex-end', marginTop: 12 }}>
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t.t('admin.bot.issue')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
