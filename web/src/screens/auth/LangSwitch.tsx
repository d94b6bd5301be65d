import { usePrefs } from '../../app/prefs';

export function LangSwitch() {
  const { lang, setLang } = usePrefs();
  return (
    <div className="lang-switch" role="group" aria-label="Language / Язык">
      <button type="button" className="btn btn-ghost" aria-pressed={lang === 'ru'} onClick={() => setLang('ru')} lang="ru">
        Русский
      </button>
      <button type="button" className="btn btn-ghost" aria-pressed={lang === 'en'} onClick={() => setLang('en')} lang="en">
        English
      </button>
    </div>
  );
}
