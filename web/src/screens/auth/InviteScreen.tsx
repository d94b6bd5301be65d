// /invite/{token}: shows what the invitation is for, then creates the account.
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { navigate } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { usePrefs } from '../../app/prefs';
import { ErrorText, Field } from '../../ui/Field';
import { errorMessage } from '../../ui/errors';
import { LangSwitch } from './LangSwitch';

export function InviteScreen({ token }: { token: string }) {
  const t = useI18n();
  const { lang } = usePrefs();
  const preview = useQuery({
    queryKey: ['invite', token],
    queryFn: () => unwrap(api.http.POST('/invites/lookup', { body: { token } })),
  });
  const [form, setForm] = useState({ name: '', email: '', password: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const email = preview.data?.email ?? form.email;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Times are shown in the profile's zone: start it as this browser's.
      const time_zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      await api.acceptInvite({ token, name: form.name, email: email.trim(), password: form.password, language: lang, time_zone });
      navigate('/', { replace: true });
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  }

  if (preview.isPending) {
    return (
      <main className="auth" aria-busy="true">
        <p>{t.t('app.loading')}</p>
      </main>
    );
  }
  if (preview.isError) {
    return (
      <main className="auth">
        <div className="auth-card">
          <h1>{t.t('app.name')}</h1>
          <p role="alert">{t.t('auth.inviteInvalid')}</p>
          <a href="/">{t.t('auth.signIn')}</a>
        </div>
      </main>
    );
  }
  const p = preview.data;
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="invite-title">
        <h1 id="invite-title">{t.t('auth.inviteTitle', { workspace: p.workspace_name })}</h1>
        <p>{t.t('auth.inviteLead', { role: t.t(`role.${p.role}`), expires: t.dateTime(p.expires_at) })}</p>
        <Field label={t.t('auth.name')} required autoComplete="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <Field label={t.t('auth.email')} type="email" required autoComplete="username" value={email} readOnly={Boolean(p.email)} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        <Field label={t.t('auth.password')} type="password" required minLength={8} autoComplete="new-password" hint={t.t('auth.passwordHint')} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        <ErrorText error={error} />
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {t.t('auth.inviteAccept')}
        </button>
        <LangSwitch />
      </form>
    </main>
  );
}
