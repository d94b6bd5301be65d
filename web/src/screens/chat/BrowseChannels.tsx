// Every public channel of the workspace, with its topic: open the ones I am in,
// join the others. This is how a new channel is found by the rest of the team.
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Chat } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useChats } from '../../app/data';
import { navigate } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { ErrorText } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { refusal } from './MembersPanel';

export function BrowseChannels({ onClose }: { onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const chats = useChats();
  // A channel made a moment ago by someone else must be here: always ask anew.
  const browse = useQuery({ queryKey: ['browse'], queryFn: () => unwrap(api.http.GET('/chats/browse')), refetchOnMount: 'always' });
  const [q, setQ] = useState('');
  const [error, setError] = useState<string | null>(null);
  const mine = new Set((chats.data ?? []).map((s) => s.chat.id));
  const needle = q.trim().toLowerCase();
  const list = (browse.data ?? [])
    .filter((c) => !needle || (c.name ?? '').toLowerCase().includes(needle) || c.description.toLowerCase().includes(needle))
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));

  const open = (c: Chat) => {
    onClose();
    navigate({ name: 'chat', chatId: c.id });
  };
  const join = async (c: Chat) => {
    setError(null);
    try {
      await unwrap(api.http.POST('/chats/{id}/join', { params: { path: { id: c.id } } }));
      await qc.invalidateQueries({ queryKey: keys.chats });
      toast.show(t.t('chat.joined'));
      open(c);
    } catch (err) {
      setError(refusal(err, t, 'browse.forbidden'));
    }
  };

  return (
    <Dialog title={t.t('browse.title')} onClose={onClose}>
      <input className="input" type="search" aria-label={t.t('browse.filter')} placeholder={t.t('browse.filter')} value={q} onChange={(e) => setQ(e.target.value)} />
      <ErrorText error={error ?? (browse.isError ? refusal(browse.error, t, 'browse.forbidden') : null)} />
      {browse.isSuccess && list.length === 0 && <p className="muted" role="status">{needle ? t.t('browse.none') : t.t('browse.empty')}</p>}
      {list.length > 0 && (
        <ul className="list browse-list" aria-label={t.t('browse.title')} style={{ marginTop: 8 }}>
          {list.map((c) => (
            <li key={c.id} data-chat-id={c.id}>
              <span className="grow">
                <strong># {c.name}</strong>
                {mine.has(c.id) && <span className="hint"> · {t.t('browse.member')}</span>}
                {c.description && <span className="hint browse-topic">{c.description}</span>}
              </span>
              {mine.has(c.id) ? (
                <button type="button" className="btn" onClick={() => open(c)} aria-label={`${t.t('browse.open')}: ${c.name}`}>
                  {t.t('browse.open')}
                </button>
              ) : (
                <button type="button" className="btn btn-primary" onClick={() => void join(c)} aria-label={`${t.t('browse.join')}: ${c.name}`}>
                  {t.t('browse.join')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="row" style={{ marginTop: 12 }}>
        <span className="spacer" />
        <button type="button" className="btn" onClick={onClose}>
          {t.t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}
