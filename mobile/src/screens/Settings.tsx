// Settings on the phone: language, notifications on this device (the permission
// flow and the subscription), what to be notified about, sign out.
import { useEffect, useState } from 'react';
import { ApiError, NOTIFICATION_KINDS, push, type NotificationSettings } from '@artel/client';
import { useI18n, type Lang } from '@artel/client/i18n';
import { useApp } from '../context';
import { disablePush, enablePush, pushState, type PushState } from '../push';
import { useM, type MKey } from '../strings';
import { Header } from './common';

export function Settings({ setLang }: { setLang: (l: Lang) => void }) {
  const { api, session, cache, outbox } = useApp();
  const { t, lang } = useI18n();
  const m = useM();
  return (
    <>
      <Header title={m('nav.settings')} />
      <section className="card">
        <p>
          <strong>{session.user.name}</strong> <span className="muted small">{session.user.email}</span>
        </p>
        <label className="field">
          {m('settings.language')}
          <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
            <option value="ru">Русский</option>
            <option value="en">English</option>
          </select>
        </label>
      </section>
      <Notifications />
      <section className="card">
        <a href="/">{m('settings.openWeb')}</a>
        <button
          type="button"
          onClick={() => {
            void cache.clear();
            void outbox.clear();
            void api.logout();
          }}
        >
          {t('auth.signOut')}
        </button>
      </section>
    </>
  );
}

function Notifications() {
  const { api } = useApp();
  const { t } = useI18n();
  const m = useM();
  const [state, setState] = useState<PushState | null>(null);
  const [settings, setSettings] = useState<NotificationSettings | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    void pushState(api).then(setState, () => setState('server-off'));
    push.settings(api).then(setSettings, () => setSettings(null));
  }, [api]);

  const save = async (next: NotificationSettings) => {
    setSettings(next);
    try {
      setSettings(await push.saveSettings(api, next));
      setMessage(t('common.saved'));
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : String(e));
    }
  };

  const ios = /iPhone|iPad/.test(navigator.userAgent) && !matchMedia('(display-mode: standalone)').matches;
  return (
    <section className="card" aria-labelledby="notif-title">
      <h2 id="notif-title">{m('notif.title')}</h2>
      {state === 'unsupported' && <p className="muted">{ios ? m('notif.iosHint') : m('notif.unsupported')}</p>}
      {state === 'server-off' && <p className="muted">{m('notif.serverOff')}</p>}
      {state === 'denied' && <p className="muted">{m('notif.denied')}</p>}
      {state === 'off' && (
        <button
          type="button"
          className="primary"
          onClick={() => void enablePush(api).then(setState, (e: unknown) => setMessage(String(e)))}
        >
          {m('notif.enable')}
        </button>
      )}
      {state === 'on' && (
        <p>
          {m('notif.on')}{' '}
          <button type="button" className="link" onClick={() => void disablePush(api).then(() => setState('off'))}>
            {m('notif.disable')}
          </button>
        </p>
      )}
      {settings && (
        <>
          <label className="check">
            <input
              type="checkbox"
              checked={settings.hide_text}
              onChange={(e) => void save({ ...settings, hide_text: e.target.checked })}
            />
            {m('notif.hideText')}
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={settings.dnd != null}
              onChange={(e) => void save({ ...settings, dnd: e.target.checked ? { from: '22:00', to: '08:00' } : null })}
            />
            {m('notif.dnd')}
          </label>
          {settings.dnd && (
            <div className="dnd">
              <label>
                {m('notif.dndFrom')}
                <input
                  type="time"
                  value={settings.dnd.from}
                  onChange={(e) => settings.dnd && void save({ ...settings, dnd: { ...settings.dnd, from: e.target.value } })}
                />
              </label>
              <label>
                {m('notif.dndTo')}
                <input
                  type="time"
                  value={settings.dnd.to}
                  onChange={(e) => settings.dnd && void save({ ...settings, dnd: { ...settings.dnd, to: e.target.value } })}
                />
              </label>
            </div>
          )}
          <fieldset>
            <legend>{m('notif.kinds')}</legend>
            {NOTIFICATION_KINDS.map((k) => (
              <label key={k} className="check">
                <input
                  type="checkbox"
                  checked={settings.kinds[k] ?? true}
                  onChange={(e) => void save({ ...settings, kinds: { ...settings.kinds, [k]: e.target.checked } })}
                />
                {m(`notif.kind.${k}` as MKey)}
              </label>
            ))}
          </fieldset>
        </>
      )}
      {message && (
        <p role="status" className="muted small">
          {message}
        </p>
      )}
    </section>
  );
}
