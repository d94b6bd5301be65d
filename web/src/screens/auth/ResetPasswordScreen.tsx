// /reset/{token}: a one-time link an admin made; the person sets a new password,
// is signed out everywhere, and signs in with it.
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ApiError, unwrap } from '@artel/client';
import { api } from '../../app/session';
import { navigate } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { ErrorText, Field } from '../../ui/Field';
import { errorMessage } from '../../ui/errors';
import { LangSwitch } from './LangSwitch';

export function ResetPasswordScreen({ token }: { token: string }) {
  const t = useI18n();
  const preview = useQuery({
    queryKey: ['password-reset', token],
    queryFn: () => unwrap(api.http.POST('/password-resets/lookup', { body: { token } })),
    retry: false,
  });
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password !== repeat) {
      setError(t.t('reset.mismatch'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.http.POST('/password-resets/use', { body: { token, new_password: password } }));
      setDone(true);
      // This browser may hold a session of the same person: it is revoked now.
      if (api.session()?.user.email === preview.data?.email) void api.logout();
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  }

  const toSignIn = (e: React.MouseEvent) => {
    e.preventDefault();
    navigate('/', { replace: true });
  };

  if (preview.isPending) {
    return (
      <main className="auth" aria-busy="true">
        <p>{t.t('app.loading')}</p>
      </main>
    );
  }
  if (preview.isError || done) {
    const e = preview.error;
    const message = done
      ? t.t('reset.done')
      : e instanceof ApiError && e.status === 404
        ? t.t('reset.invalid')
        : errorMessage(e, t);
    return (
      <main className="auth">
        <div className="auth-card">
          <h1>{t.t(done ? 'reset.doneTitle' : 'reset.title')}</h1>
          <p role={done ? 'status' : 'alert'}>{message}</p>
          <a href="/" onClick={toSignIn}>
            {t.t('auth.signIn')}
          </a>
          <LangSwitch />
        </div>
      </main>
    );
  }
  const p = preview.data;
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="reset-title">
        <h1 id="reset-title">{t.t('reset.title')}</h1>
        <p>{t.t('reset.lead', { name: p.name, email: p.email, workspace: p.workspace_name, expires: t.dateTime(p.expires_at) })}</p>
        {/* Lets password managers file the new password under the right account. */}
        <input type="email" autoComplete="username" value={p.email} readOnly hidden />
        <Field label={t.t('reset.newPassword')} type="password" required minLength={8} maxLength={256} autoComplete="new-password" hint={t.t('auth.passwordHint')} value={password} onChange={(e) => setPassword(e.target.value)} />
        <Field label={t.t('reset.repeat')} type="password" required autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        <ErrorText error={error} />
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {t.t('reset.submit')}
        </button>
        <LangSwitch />
      </form>
    </main>
  );
}
