// Settings: desktop notifications in this browser (asked for here, on the
// user's click, never on page load) and an optional sound.
import { useState } from 'react';
import { useI18n } from '@artel/client/i18n';
import { chime, notificationsSupported, setNotifyPrefs, useNotifyPrefs } from '../../app/notify';

export function DesktopNotifications() {
  const t = useI18n();
  const prefs = useNotifyPrefs();
  const supported = notificationsSupported();
  const [permission, setPermission] = useState(supported ? Notification.permission : 'denied');
  const on = prefs.enabled && permission === 'granted';
  const toggle = async (want: boolean) => {
    if (!want) return setNotifyPrefs({ enabled: false });
    const answer = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    setPermission(answer);
    setNotifyPrefs({ enabled: answer === 'granted' });
  };
  return (
    <section className="section notify-settings" aria-labelledby="notify-h">
      <h2 id="notify-h">{t.t('notify.title')}</h2>
      <p className="muted">{t.t('notify.hint')}</p>
      {!supported ? (
        <p role="alert">{t.t('notify.unsupported')}</p>
      ) : (
        <>
          <label className="check">
            <input type="checkbox" checked={on} onChange={(e) => void toggle(e.target.checked)} />
            {t.t('notify.enable')}
          </label>
          {permission === 'denied' && (
            <p className="error-text" role="alert">
              {t.t('notify.denied')}
            </p>
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={prefs.sound}
              disabled={!on}
              onChange={(e) => {
                setNotifyPrefs({ sound: e.target.checked });
                if (e.target.checked) chime();
              }}
            />
            {t.t('notify.sound')}
          </label>
        </>
      )}
    </section>
  );
}
