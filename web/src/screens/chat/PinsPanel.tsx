// A chat's pinned messages, newest pin first; each one opens at its place in the chat.
import { useQuery } from '@tanstack/react-query';
import { mentionsToText, unwrap } from '@artel/client';
import { api } from '../../app/session';
import { useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { errorMessage } from '../../ui/errors';
import { ErrorText } from '../../ui/Field';
import { Icon } from '../../ui/Icon';

export function PinsPanel({ chatId, onClose, asDialog }: { chatId: string; onClose: () => void; asDialog?: boolean }) {
  const t = useI18n();
  const users = useUsers();
  const pins = useQuery({
    queryKey: ['pins', chatId],
    queryFn: () => unwrap(api.http.GET('/chats/{id}/pins', { params: { path: { id: chatId } } })),
  });
  const list = [...(pins.data ?? [])].sort((a, b) => ((a.pinned_at ?? '') < (b.pinned_at ?? '') ? 1 : -1));
  const nameOf = (id: string) => users.data?.get(id)?.name;
  const body = (
    <>
      {pins.isError && <ErrorText error={errorMessage(pins.error, t)} />}
      {pins.isSuccess && list.length === 0 && <p className="muted">{t.t('pins.empty')}</p>}
      {list.length > 0 && (
        <ul className="list pins-list" aria-label={t.t('pins.title')}>
          {list.map((m) => (
            <li key={m.id} data-seq={m.seq}>
              <span className="grow">
                <span className="hint">
                  {m.kind === 'user' ? userName(users.data, m.author_id) : t.t('chat.system')} · {t.dateTime(m.created_at)}
                </span>
                <br />
                <span className="pin-text">{mentionsToText(m.body, nameOf)}</span>
              </span>
              {!asDialog && (
                <button type="button" className="btn btn-ghost" onClick={() => navigate({ name: 'chat', chatId, seq: m.seq })}>
                  {t.t('pins.show')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
  if (asDialog)
    return (
      <Dialog title={t.t('pins.title')} onClose={onClose}>
        {body}
        <div className="row" style={{ marginTop: 12 }}>
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.close')}
          </button>
        </div>
      </Dialog>
    );
  return (
    <aside className="panel" aria-label={t.t('pins.title')}>
      <header className="page-head">
        <h2>{t.t('pins.title')}</h2>
        <span className="spacer" />
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label={t.t('common.close')}>
          <Icon name="close" />
        </button>
      </header>
      <div className="page-body">{body}</div>
    </aside>
  );
}
