// Settings: my profile, language, time zone and theme; for admins, the users
// (roles, deactivation) and invitations of the workspace.
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Role } from '@api';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useUsers } from '../../app/data';
import { usePrefs, type Theme } from '../../app/prefs';
import { useI18n, type Lang } from '../../i18n';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { zoneOptions } from '../../app/zones';

const ROLES: Role[] = ['owner', 'admin', 'member', 'guest'];

export default function SettingsScreen() {
  const t = useI18n();
  const session = api.session();
  const isAdmin = session?.user.role === 'owner' || session?.user.role === 'admin';
  return (
    <>
      <header className="page-head">
        <h1>{t.t('settings.title')}</h1>
      </header>
      <div className="page-body">
        <Profile />
        {isAdmin && <Users />}
        {isAdmin && <Invites />}
      </div>
    </>
  );
}

function Profile() {
  const t = useI18n();
  const { setLang, theme, setTheme } = usePrefs();
  const user = api.session()!.user;
  const [name, setName] = useState(user.name);
  const [lang, setLangField] = useState<Lang>(user.language);
  const [tz, setTz] = useState(user.time_zone);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const updated = await unwrap(api.http.PATCH('/me', { body: { name, language: lang, time_zone: tz } }));
      api.updateUser(updated);
      setLang(updated.language);
      toast.show(t.t('common.saved'));
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  return (
    <section className="section" aria-labelledby="profile-h">
      <h2 id="profile-h">{t.t('settings.profile')}</h2>
      <form onSubmit={save} style={{ maxWidth: 420 }}>
        <Field label={t.t('auth.name')} required value={name} onChange={(e) => setName(e.target.value)} />
        <label className="field">
          <span>{t.t('settings.language')}</span>
          <select className="select" value={lang} onChange={(e) => setLangField(e.target.value as Lang)}>
            <option value="ru">Русский</option>
            <option value="en">English</option>
          </select>
        </label>
        <label className="field">
          <span>{t.t('settings.timeZone')}</span>
          <select className="select" value={tz} onChange={(e) => setTz(e.target.value)}>
            {zoneOptions(user.time_zone).map((z) => (
              <option key={z.value} value={z.value}>
                {z.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t.t('settings.theme')}</span>
          <select className="select" value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
            <option value="system">{t.t('settings.themeSystem')}</option>
            <option value="light">{t.t('settings.themeLight')}</option>
            <option value="dark">{t.t('settings.themeDark')}</option>
          </select>
        </label>
        <div className="row">
          <button className="btn btn-primary" type="submit">
            {t.t('common.save')}
          </button>
          <button type="button" className="btn" onClick={() => void api.http.POST('/auth/logout-all').finally(() => void api.logout())}>
            {t.t('settings.signOutAll')}
          </button>
        </div>
      </form>
    </section>
  );
}

function Users() {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const me = api.session()?.user.id;
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      void qc.invalidateQueries({ queryKey: keys.users });
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  return (
    <section className="section" aria-labelledby="users-h">
      <h2 id="users-h">{t.t('settings.users')}</h2>
      <table className="data">
        <tbody>
          {[...(users.data?.values() ?? [])].map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>
                <select
                  className="select"
                  aria-label={`${t.t('settings.role')}: ${u.name}`}
                  value={u.role}
                  disabled={u.id === me}
                  onChange={(e) => void act(() => unwrap(api.http.PATCH('/users/{id}', { params: { path: { id: u.id } }, body: { role: e.target.value as Role } })))}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {t.t(`role.${r}`)}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                {u.id !== me &&
                  (u.deactivated_at ? (
                    <button className="btn" onClick={() => void act(() => unwrap(api.http.POST('/users/{id}/reactivate', { params: { path: { id: u.id } } })))}>
                      {t.t('settings.reactivate')}
                    </button>
                  ) : (
                    <button className="btn btn-danger" onClick={() => void act(() => unwrap(api.http.POST('/users/{id}/deactivate', { params: { path: { id: u.id } } })))}>
                      {t.t('settings.deactivate')}
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Invites() {
  const t = useI18n();
  const qc = useQueryClient();
  const invites = useQuery({ queryKey: ['invites'], queryFn: () => unwrap(api.http.GET('/invites')) });
  const [role, setRole] = useState<Role>('member');
  const [email, setEmail] = useState('');
  const [link, setLink] = useState<string | null>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const created = await unwrap(api.http.POST('/invites', { body: { role, email: email.trim() || null } }));
      setLink(created.url.startsWith('/') ? location.origin + created.url : created.url);
      setEmail('');
      void qc.invalidateQueries({ queryKey: ['invites'] });
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  return (
    <section className="section" aria-labelledby="invites-h">
      <h2 id="invites-h">{t.t('settings.invites')}</h2>
      <form className="row" onSubmit={create} style={{ marginBottom: 12 }}>
        <input className="input" type="email" aria-label={t.t('settings.inviteEmail')} placeholder={t.t('settings.inviteEmail')} value={email} onChange={(e) => setEmail(e.target.value)} />
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
      {link && (
        <div role="status">
          {t.t('settings.inviteLink')}
          <code className="link" data-testid="invite-link">
            {link}
          </code>
        </div>
      )}
      <ul className="list">
        {(invites.data ?? []).map((i) => (
          <li key={i.id}>
            <span style={{ flex: 1 }}>{i.email ?? '—'}</span>
            <span>{t.t(`role.${i.role}`)}</span>
            <span className="muted">{t.t('settings.expires', { date: t.dateTime(i.expires_at) })}</span>
            <button className="btn btn-ghost" onClick={() => void unwrap(api.http.DELETE('/invites/{id}', { params: { path: { id: i.id } } })).then(() => qc.invalidateQueries({ queryKey: ['invites'] }))}>
              {t.t('settings.revoke')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
