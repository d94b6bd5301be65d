// The chat list: newest activity first, unread and mention badges, updated live.
import { useEffect } from 'react';
import { unwrap, type ChatSummary } from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { useApp, useCached } from '../context';
import { navigate } from '../router';
import { preview } from '../preview';
import { useM } from '../strings';
import { chatName, Header } from './common';

export function ChatList() {
  const { api, rt, session, users, learnUsers } = useApp();
  const i18n = useI18n();
  const { t, time } = i18n;
  const m = useM();
  const chats = useCached<ChatSummary[]>('chats', () => unwrap(api.http.GET('/chats')));
  const { reload } = chats;
  useEffect(() => {
    // Any new message changes order and counts: refetch, at most every 500 ms.
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = rt.on('event', (e) => {
      if (e.change.type !== 'message_created') return;
      if (!timer) timer = setTimeout(() => ((timer = null), reload()), 500);
    });
    const offReady = rt.on('ready', () => reload());
    return () => {
      off();
      offReady();
      if (timer) clearTimeout(timer);
    };
  }, [rt, reload]);
  // The app icon's badge: how many chats have something unread.
  const unreadChats = (chats.data ?? []).filter((c) => c.unread_count > 0).length;
  useEffect(() => {
    if (chats.data === undefined || chats.stale) return;
    const nav = navigator as Navigator & { setAppBadge?: (n: number) => Promise<void>; clearAppBadge?: () => Promise<void> };
    void (unreadChats > 0 ? nav.setAppBadge?.(unreadChats) : nav.clearAppBadge?.())?.catch(() => {});
  }, [unreadChats, chats.data, chats.stale]);
  const me = session.user.id;
  useEffect(() => {
    learnUsers((chats.data ?? []).flatMap((c) => [c.last_message?.author_id, ...(c.last_message?.mentions ?? [])]));
  }, [chats.data, learnUsers]);
  const list = (chats.data ?? [])
    .filter((c) => !c.chat.archived_at)
    .sort((a, b) => b.chat.last_activity_at.localeCompare(a.chat.last_activity_at));
  return (
    <>
      <Header title={m('nav.chats')} />
      {chats.data === undefined && !chats.error && <p className="muted">{t('app.loading')}</p>}
      {chats.data !== undefined && list.length === 0 && <p className="muted">{m('chats.empty')}</p>}
      <ul className="list" aria-label={m('nav.chats')}>
        {list.map((c) => {
          const name = chatName(c.chat, me, users);
          const last = c.last_message;
          const shown = last ? preview(last, { t: i18n, nameOf: (id) => users.get(id)?.name, here: c.chat.entity }) : null;
          return (
            <li key={c.chat.id}>
              <a
                href={`/m/chats/${c.chat.id}`}
                className="row"
                onClick={(e) => {
                  e.preventDefault();
                  navigate({ name: 'chat', chatId: c.chat.id });
                }}
              >
                <span className="row-main">
                  <span className="row-title">
                    {c.chat.kind === 'channel' ? '# ' : ''}
                    {name}
                  </span>
                  {shown && (
                    <span className="row-sub" data-user-content={shown.written ? '' : undefined}>
                      {shown.text}
                    </span>
                  )}
                </span>
                <span className="row-side">
                  <span className="muted small">{time(c.chat.last_activity_at)}</span>
                  {c.mention_count > 0 ? (
                    <span className="badge mention" aria-label={m('chats.mentions', { count: c.mention_count })}>
                      @{c.mention_count}
                    </span>
                  ) : c.unread_count > 0 ? (
                    <span className="badge" aria-label={m('chats.unread', { count: c.unread_count })}>
                      {c.unread_count}
                    </span>
                  ) : null}
                </span>
              </a>
            </li>
          );
        })}
      </ul>
    </>
  );
}
