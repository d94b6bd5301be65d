// People of the workspace: roles, deactivation (asked first), and invitations
// (optionally locked to an e-mail; the link is shown once with a copy button).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Invite, type Role, type User } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useUsers } from '../../app/data';
import { useI18n } from '@artel/client/i18n';
import { toast } from '../../ui/Toast';
import { Confirm, OnceSecret, SectionError, adminError } from './common';
import { absoluteUrl } from './logic';

const ROLES: Role[] = ['owner', 'admin', 'member', 'guest'];

export function People() {
  return (
    <>
      <UsersSection />
      <InvitesSection />
    </>
  );
}

export function UsersSection() {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const me = api.session()?.user;
  const [error, setError] = useState<string | null>(null);
  const [asking, setAsking] = useState<{ user: User; deactivate: boolean } | null>(null);
  const [reset, setReset] = useState<{ name: string; url: string } | null>(null);
  // As the server decides: an owner for anyone else, an admin for members and guests.
  const mayReset = (u: User) =>
    u.id !== me?.id && !u.deactivated_at && (me?.role === 'owner' || u.role === 'member' || u.role === 'guest');
  const makeReset = async (u: User) => {
    setError(null);
    try {
      const made = await unwrap(api.http.POST('/users/{id}/password-reset', { params: { path: { id: u.id } } }));
      setReset({ name: u.name, url: absoluteUrl(made.url, location.origin) });
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  const act = async (f: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await f();
      toast.show(done);
    } catch (err) {
      setError(adminError(err, t));
    } finally {
      void qc.invalidateQueries({ queryKey: keys.users });
    }
  };
  const people = [...(users.data?.values() ?? [])].filter((u) => !u.bot).sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section className="section admin-section" aria-labelledby="users-h">
      <h2 id="users-h">{t.t('settings.users')}</h2>
      <SectionError error={error} />
      <table className="data">
        <thead>
          <tr>
            <th scope="col">{t.t('admin.col.name')}</th>
            <th scope="col">{t.t('admin.field.email')}</th>
            <th scope="col">{t.t('settings.role')}</th>
            <th scope="col">{t.t('admin.col.status')}</th>
            <th scope="col">
              <span className="sr-only">{t.t('admin.col.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {people.map((u) => (
            <tr key={u.id} data-user-id={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>
                <select
                  className="select"
                  aria-label={`${t.t('settings.role')}: ${u.name}`}
                  value={u.role}
                  disabled={u.id === me?.id || (u.role === 'owner' && me?.role !== 'owner')}
                  onChange={(e) => {
                    const role = e.target.value as Role;
                    void act(
                      () => unwrap(api.http.PATCH('/users/{id}', { params: { path: { id: u.id } }, body: { role } })),
                      t.t('admin.roleChanged', { name: u.name, role: t.t(`role.${role}`) }),
                    );
                  }}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r} disabled={r === 'owner' && me?.role !== 'owner'}>
                      {t.t(`role.${r}`)}
                    </option>
                  ))}
                </select>
              </td>
              <td data-testid="user-status">{u.deactivated_at ? t.t('admin.status.deactivated', { date: t.date(u.deactivated_at) }) : t.t('admin.status.active')}</td>
              <td>
                {u.id !== me?.id &&
                  (u.deactivated_at ? (
                    <button className="btn" onClick={() => setAsking({ user: u, deactivate: false })}>
                      {t.t('settings.reactivate')}
                    </button>
                  ) : (
                    <button className="btn btn-danger" onClick={() => setAsking({ user: u, deactivate: true })}>
                      {t.t('settings.deactivate')}
                    </button>
                  ))}
                {mayReset(u) && (
                  <button className="btn" aria-label={`${t.t('settings.resetPassword')}: ${u.name}`} onClick={() => void makeReset(u)}>
                    {t.t('settings.resetPassword')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {reset && (
        <div role="status" className="reset-link">
          <p>{t.t('settings.resetLink', { name: reset.name })}</p>
          <CopyLink url={reset.url} testId="reset-link" />
        </div>
      )}
      {asking && (
        <Confirm
          title={asking.deactivate ? t.t('admin.deactivateTitle', { name: asking.user.name }) : t.t('admin.reactivateTitle', { name: asking.user.name })}
          text={asking.deactivate ? t.t('admin.deactivateText') : t.t('admin.reactivateText')}
          action={asking.deactivate ? t.t('settings.deactivate') : t.t('settings.reactivate')}
          danger={asking.deactivate}
          onClose={() => setAsking(null)}
          onConfirm={() => {
            const { user, deactivate } = asking;
            const path = { params: { path: { id: user.id } } };
            return act(
              () => unwrap(deactivate ? api.http.POST('/users/{id}/deactivate', path) : api.http.POST('/users/{id}/reactivate', path)),
              deactivate ? t.t('admin.deactivated', { name: user.name }) : t.t('admin.reactivated', { name: user.name }),
            );
          }}
        />
      )}
    </section>
  );
}

/** A secret link shown once, with a button that copies it. */
function CopyLink({ url, testId }: { url: string; testId: string }) {
  const t = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      // No clipboard (plain http on another host): the link stays selectable.
      toast.show(t.t('common.copyFailed'));
    }
  };
  return (
    <div className="row">
      <code className="link" data-testid={testId}>
        {url}
      </code>
      <button type="button" className="btn" onClick={() => void copy()}>
        {copied ? t.t('common.copied') : t.t('common.copy')}
      </button>
    </div>
  );
}

export function InvitesSection() {
  const t = useI18n();
  const qc = useQueryClient();
  const invites = useQuery({ queryKey: ['invites'], queryFn: () => unwrap(api.http.GET('/invites')) });
  const [role, setRole] = useState<Role>('member');
  const [email, setEmail] = useState('');
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Invite | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  // The getting-started checklist links here: land on the form, ready to type.
  useEffect(() => {
    if (location.hash === '#invites') {
      emailRef.current?.scrollIntoView({ block: 'center' });
      emailRef.current?.focus();
    }
  }, []);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const created = await unwrap(api.http.POST('/invites', { body: { role, email: email.trim() || null } }));
      setLink(absoluteUrl(created.url, location.origin));
      setEmail('');
      void qc.invalidateQueries({ queryKey: ['invites'] });
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  const revoke = async (i: Invite) => {
    try {
      await unwrap(api.http.DELETE('/invites/{id}', { params: { path: { id: i.id } } }));
      toast.show(t.t('admin.inviteRevoked'));
    } catch (err) {
      setError(adminError(err, t));
    } finally {
      void qc.invalidateQueries({ queryKey: ['invites'] });
    }
  };
  const list = invites.data ?? [];
  return (
    <section className="section admin-section" id="invites" aria-labelledby="invites-h">
      <h2 id="invites-h">{t.t('settings.invites')}</h2>
      <form className="row wrap" onSubmit={create} style={{ marginBottom: 12 }}>
        <input ref={emailRef} className="input" type="email" aria-label={t.t('settings.inviteEmail')} placeholder={t.t('settings.inviteEmail')} value={email} onChange={(e) => setEmail(e.target.value)} />
        <select className="select" style={{ width: 180 }} aria-label={t.t('settings.role')} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.filter((r) => r !== 'owner').map((r) => (
            <option key={r} value={r}>
              {t.t(`role.${r}`)}
            </option>
          ))}
        </select>
        <button className="btn btn-primary" type="submit">
          {t.t('settings.invite')}
        </button>
      </form>
      <p className="hint">{t.t('admin.inviteHint')}</p>
      <SectionError error={error} />
      {link && <OnceSecret title={t.t('admin.inviteLinkTitle')} value={link} testId="invite-link" onDone={() => setLink(null)} />}
      {invites.isError && <SectionError error={adminError(invites.error, t)} />}
      {list.length === 0 && invites.isSuccess ? (
        <p className="muted">{t.t('admin.noInvites')}</p>
      ) : (
        <table className="data" aria-label={t.t('settings.invites')}>
          <thead>
            <tr>
              <th scope="col">{t.t('admin.inviteFor')}</th>
              <th scope="col">{t.t('settings.role')}</th>
              <th scope="col">{t.t('admin.col.status')}</th>
              <th scope="col">
                <span className="sr-only">{t.t('admin.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr key={i.id} data-testid="invite-row">
                <td>{i.email ? t.t('admin.inviteLocked', { email: i.email }) : t.t('admin.inviteAnyone')}</td>
                <td>{t.t(`role.${i.role}`)}</td>
                <td>{t.t('admin.invitePending', { date: t.dateTime(i.expires_at) })}</td>
                <td>
                  <button className="btn btn-ghost" onClick={() => setRevoking(i)} aria-label={`${t.t('settings.revoke')}: ${i.email ?? t.t('admin.inviteAnyone')}, ${t.dateTime(i.created_at)}`}>
                    {t.t('settings.revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && (
        <Confirm
          title={t.t('admin.revokeInviteTitle')}
          text={t.t('admin.revokeInviteText')}
          action={t.t('settings.revoke')}
          danger
          onClose={() => setRevoking(null)}
          onConfirm={() => revoke(revoking)}
        />
      )}
    </section>
  );
}
