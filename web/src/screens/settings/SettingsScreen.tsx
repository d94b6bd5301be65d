// Settings: my profile, language, time zone and theme; for admins, the users
// and invitations (the admin area's own sections) and a way into that area.
import { useState, type FormEvent } from 'react';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { navigate, pathOf, type Route } from '../../app/router';
import { InvitesSection, UsersSection } from '../admin/People';
import { usePrefs, type Theme } from '../../app/prefs';
import { makeTranslator, useI18n, type Lang } from '@artel/client/i18n';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { DesktopNotifications } from './DesktopNotifications';
import { zoneOptions } from '../../app/zones';

const adminHome: Route = { name: 'admin', tab: 'people' };

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
        <DesktopNotifications />
        {isAdmin && (
          <p>
            <a href={pathOf(adminHome)} onClick={(e) => (e.preventDefault(), navigate(adminHome))}>
              {t.t('admin.openArea')}
            </a>
          </p>
        )}
        {isAdmin && <UsersSection />}
        {isAdmin && <InvitesSection />}
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
      // Said in the language just chosen: the screen around it switches too.
      toast.show(makeTranslator(updated.language, updated.time_zone).t('common.saved'));
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
