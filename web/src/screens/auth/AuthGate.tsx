// Signed out: the first-run setup while the server has no workspace, else sign-in.
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { useI18n } from '@artel/client/i18n';
import { usePrefs } from '../../app/prefs';
import { ErrorText, Field } from '../../ui/Field';
import { errorMessage } from '../../ui/errors';
import { LangSwitch } from './LangSwitch';

export function AuthGate() {
  const t = useI18n();
  const status = useQuery({ queryKey: ['setup'], queryFn: () => unwrap(api.http.GET('/setup')) });
  if (status.isPending) {
    return (
      <main className="auth" aria-busy="true">
        <p>{t.t('app.loading')}</p>
      </main>
    );
  }
  return status.data?.setup_required ? <SetupScreen onDone={() => void status.refetch()} /> : <SignInScreen />;
}

function SignInScreen() {
  const t = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login({ email: email.trim(), password });
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">{t.t('auth.signInTitle')}</h1>
        <p>{t.t('app.name')}</p>
        <Field label={t.t('auth.email')} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label={t.t('auth.password')} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <ErrorText error={error} />
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {t.t('auth.signIn')}
        </button>
        <p className="muted auth-hint">{t.t('auth.forgotPassword')}</p>
        <LangSwitch />
      </form>
    </main>
  );
}

function SetupScreen({ onDone }: { onDone: () => void }) {
  const t = useI18n();
  const { lang } = usePrefs();
  const [form, setForm] = useState({ workspace_name: '', name: '', email: '', password: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const time_zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      await api.setup({ ...form, email: form.email.trim(), language: lang, time_zone });
      onDone();
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">{t.t('auth.setupTitle')}</h1>
        <p>{t.t('auth.setupLead')}</p>
        <Field label={t.t('auth.workspace')} required value={form.workspace_name} onChange={set('workspace_name')} />
        <Field label={t.t('auth.name')} required autoComplete="name" value={form.name} onChange={set('name')} />
        <Field label={t.t('auth.email')} type="email" required autoComplete="username" value={form.email} onChange={set('email')} />
        <Field label={t.t('auth.password')} type="password" required minLength={8} autoComplete="new-password" hint={t.t('auth.passwordHint')} value={form.password} onChange={set('password')} />
        <ErrorText error={error} />
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {t.t('auth.setupSubmit')}
        </button>
        <LangSwitch />
      </form>
    </main>
  );
}
