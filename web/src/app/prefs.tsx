// Language and theme: chosen by the user, remembered in this browser.
import { createContext, useContext } from 'react';
import type { Lang } from '@artel/client/i18n';

export type Theme = 'system' | 'light' | 'dark';

export interface Prefs {
  lang: Lang;
  setLang: (l: Lang) => void;
  theme: Theme;
  setTheme: (t: Theme) => void;
}

export const PrefsContext = createContext<Prefs>({
  lang: 'en',
  setLang: () => undefined,
  theme: 'system',
  setTheme: () => undefined,
});

export const usePrefs = () => useContext(PrefsContext);

export function loadTheme(): Theme {
  try {
    const t = localStorage.getItem('artel.theme');
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(t: Theme) {
  if (t === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
  try {
    localStorage.setItem('artel.theme', t);
  } catch {
    /* private mode */
  }
}
