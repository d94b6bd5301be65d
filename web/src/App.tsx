// The root: preferences (language, theme), then either the sign-in screens or
// the signed-in shell.
import { useEffect, useMemo, useState } from 'react';
import { I18nProvider, detectLanguage, rememberLanguage, type Lang } from '@artel/client/i18n';
import { PrefsContext, applyTheme, loadTheme, type Theme } from './app/prefs';
import { useSession } from './app/session';
import { useRoute } from './app/router';
import { AuthGate } from './screens/auth/AuthGate';
import { InviteScreen } from './screens/auth/InviteScreen';
import { ResetPasswordScreen } from './screens/auth/ResetPasswordScreen';
import { Shell } from './screens/Shell';

export function App() {
  const session = useSession();
  const route = useRoute();
  const [lang, setLangState] = useState<Lang>(() => detectLanguage());
  const [theme, setThemeState] = useState<Theme>(() => loadTheme());

  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const prefs = useMemo(
    () => ({
      lang,
      setLang: (l: Lang) => {
        rememberLanguage(l);
        setLangState(l);
      },
      theme,
      setTheme: setThemeState,
    }),
    [lang, theme],
  );

  let screen;
  // A reset link works whoever is signed in here: it may be opened on a shared computer.
  if (route.name === 'reset') screen = <ResetPasswordScreen token={route.token} />;
  else if (route.name === 'invite' && !session) screen = <InviteScreen token={route.token} />;
  else if (!session) screen = <AuthGate />;
  else screen = <Shell key={session.user.id} session={session} />;

  return (
    <PrefsContext.Provider value={prefs}>
      <I18nProvider lang={lang} timeZone={session?.user.time_zone}>
        {screen}
      </I18nProvider>
    </PrefsContext.Provider>
  );
}
