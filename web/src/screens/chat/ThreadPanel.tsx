// The thread beside the chat: its root, the replies (live), and a composer.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { unwrap, type Chat } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useUsers } from '../../app/data';
import { useI18n } from '@artel/client/i18n';
import { emptyList, mergePage, type LocalMessage, type MessageList } from '@artel/client/state/messages';
import { Composer } from './Composer';
import { MessageItem } from './MessageItem';
import { ReadOnlyBar } from './ReadOnlyBar';
import { useSend } from './useChatMessages';
import { Icon } from '../../ui/Icon';

export function ThreadPanel({
  chatId,
  chat,
  rootId,
  root,
  onClose,
}: {
  chatId: string;
  chat?: Chat;
  rootId: string;
  root?: LocalMessage;
  onClose: () => void;
}) {
  const t = useI18n();
  const me = api.session()?.user.id ?? '';
  const users = useUsers();
  const [editing, setEditing] = useState<string | null>(null);
  const replies = useQuery({
    queryKey: keys.thread(rootId),
    queryFn: async (): Promise<MessageList> =>
      mergePage(emptyList, await unwrap(api.http.GET('/messages/{id}/thread', { params: { path: { id: rootId }, query: { limit: 200 } } })), false),
    staleTime: Infinity,
  });
  const send = useSend(chatId, rootId);
  const list = replies.data?.items ?? [];
  return (
    <aside className="panel" aria-label={t.t('chat.thread')}>
      <header className="page-head">
        <h2>{t.t('chat.thread')}</h2>
        <span className="spacer" />
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label={t.t('common.close')}>
          <Icon name="close" />
        </button>
      </header>
      <div className="messages" role="log" aria-label={t.t('chat.thread')}>
        {root && <MessageItem message={root} compact={false} me={me} users={users.data} editing={false} inThread here={chat?.entity} onEdit={() => undefined} />}
        <div className="day-sep" role="separator">
          {t.tn('chat.replies', list.length)}
        </div>
        {list.map((m) => (
          <MessageItem key={m.id} message={m} compact={false} me={me} users={users.data} editing={editing === m.id} inThread here={chat?.entity} onEdit={setEditing} onRetry={(x) => void send(x.body, [], x.client_msg_id ?? undefined)} />
        ))}
      </div>
      {chat?.archived_at ? (
        <ReadOnlyBar chat={chat} />
      ) : (
        <Composer key={rootId} chatId={chatId} users={users.data} placeholder={t.t('chat.reply')} onSend={send} autoFocus />
      )}
    </aside>
  );
}
