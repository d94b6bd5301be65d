// A chat: header with its record, the virtualised message list (scroll-back,
// day separators, unread marker), typing line, composer, and the thread panel.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { unwrap, type Chat } from '@api';
import { api } from '../../app/session';
import { keys, learnUsers, setActiveChat, typingIn, useEphemeral } from '../../app/live';
import { useChats, useUsers } from '../../app/data';
import { chatGlyph, chatName, userName } from '../../app/names';
import { navigate, pathOf, type Route } from '../../app/router';
import { useI18n } from '../../i18n';
import { toRows, type LocalMessage } from '../../state/messages';
import { Composer } from './Composer';
import { MessageItem } from './MessageItem';
import { ReadOnlyBar } from './ReadOnlyBar';
import { ThreadPanel } from './ThreadPanel';
import { markRead, useChatMessages, useSend } from './useChatMessages';

export function ChatScreen({ chatId, jumpTo, embedded }: { chatId: string; jumpTo?: number; embedded?: boolean }) {
  const t = useI18n();
  const qc = useQueryClient();
  const me = api.session()?.user.id ?? '';
  const users = useUsers();
  const chats = useChats();
  const summary = chats.data?.find((s) => s.chat.id === chatId);
  const chatQuery = useQuery({
    queryKey: ['chat', chatId],
    queryFn: () => unwrap(api.http.GET('/chats/{id}', { params: { path: { id: chatId } } })),
    enabled: !summary,
  });
  const chat: Chat | undefined = summary?.chat ?? chatQuery.data;
  const { query, loadOlder } = useChatMessages(chatId, jumpTo);
  const send = useSend(chatId, null);
  const [thread, setThread] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  // The read mark when the chat was opened places the "new messages" line.
  const [readAtOpen] = useState<number | null>(() => summary?.last_read_seq ?? null);
  useEphemeral();

  useEffect(() => {
    setActiveChat(chatId);
    return () => setActiveChat(null);
  }, [chatId]);

  const items = useMemo(() => query.data?.items ?? [], [query.data]);
  const members = useQuery({
    queryKey: keys.members(chatId),
    queryFn: () => unwrap(api.http.GET('/chats/{id}/members', { params: { path: { id: chatId } } })),
    enabled: Boolean(summary),
  });
  // History may name people who joined after the directory loaded.
  useEffect(() => {
    if (users.data) learnUsers(qc, items.flatMap((m) => [m.author_id, ...m.mentions]));
  }, [items, users.data, qc]);
  const lastSeq = items.reduce((n, m) => (m.local ? n : Math.max(n, m.seq)), 0);
  useEffect(() => {
    if (lastSeq > 0 && summary) markRead(qc, chatId, lastSeq);
  }, [lastSeq, chatId, qc, summary]);

  const rows = useMemo(
    () => toRows(items, { dayKey: t.dayKey, dayLabel: t.day, lastReadSeq: readAtOpen, me }),
    [items, t, readAtOpen, me],
  );

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i]?.kind === 'message' ? (rows[i].compact ? 28 : 60) : 36),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 12,
  });

  // Follow the bottom while the reader is there; a jump lands on its message.
  const atBottom = useRef(true);
  const initial = useRef(true);
  useLayoutEffect(() => {
    if (rows.length === 0) return;
    if (initial.current) {
      initial.current = false;
      const target = jumpTo ? rows.findIndex((r) => r.kind === 'message' && r.message.seq === jumpTo) : -1;
      virtual.scrollToIndex(target >= 0 ? target : rows.length - 1, { align: target >= 0 ? 'center' : 'end' });
      return;
    }
    if (atBottom.current) virtual.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [rows.length, virtual, jumpTo, rows]);

  const onScroll = useCallback(async () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 200 && query.data?.hasOlder) {
      const before = rows.length;
      const added = await loadOlder();
      if (added > 0) {
        // Keep the reader's place: the rows they saw move down by what was added.
        requestAnimationFrame(() => {
          const grown = virtual.options.count - before;
          virtual.scrollToIndex(Math.max(0, grown), { align: 'start' });
        });
      }
    }
  }, [loadOlder, query.data?.hasOlder, rows.length, virtual]);

  const editLast = useCallback(() => {
    const mine = [...items].reverse().find((m) => m.author_id === me && !m.local && !m.deleted_at && m.kind === 'user');
    if (mine) setEditing(mine.id);
  }, [items, me]);

  const retry = useCallback(
    (m: LocalMessage) => void send(m.body, [], m.client_msg_id ?? undefined),
    [send],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !editing && thread) setThread(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [editing, thread]);

  if (!summary && chatQuery.isError) {
    return (
      <div className="empty" role="alert">
        {t.t('chat.noAccess')}
      </div>
    );
  }
  const name = chat ? chatName(chat, me, users.data) : '…';
  const typers = typingIn(chatId, me).map((u) => userName(users.data, u));
  // Who has read my latest message (their read marks reach its seq).
  const lastMine = [...items].reverse().find((m) => !m.local && m.author_id === me && m.kind === 'user');
  const readers = lastMine
    ? (members.data ?? []).filter((x) => x.user_id !== me && x.last_read_seq >= lastMine.seq).map((x) => userName(users.data, x.user_id))
    : [];
  const readBy = readers.length > 3 ? `${readers.slice(0, 3).join(', ')} +${readers.length - 3}` : readers.join(', ');
  const entityRoute: Route | null = chat?.entity
    ? chat.entity.kind === 'deal'
      ? { name: 'deal', id: chat.entity.id }
      : chat.entity.kind === 'contact'
        ? { name: 'contact', id: chat.entity.id }
        : chat.entity.kind === 'company'
          ? { name: 'company', id: chat.entity.id }
          : { name: 'tasks', taskId: chat.entity.id }
    : null;

  return (
    <div className={`chat${thread ? ' with-panel' : ''}`}>
      <section className="chat-main" aria-label={name}>
        <header className="page-head">
          <span aria-hidden="true">{chat ? chatGlyph(chat) : ''}</span>
          {embedded ? <h2>{name}</h2> : <h1>{name}</h1>}
          {chat?.description && <span className="sub">{chat.description}</span>}
          <span className="spacer" />
          {entityRoute && !embedded && (
            <a className="btn" href={pathOf(entityRoute)} onClick={(e) => (e.preventDefault(), navigate(entityRoute))}>
              {t.t('chat.openRecord')} →
            </a>
          )}
        </header>
        <div className="messages" ref={scroller} onScroll={() => void onScroll()} role="log" aria-live="polite" aria-label={name} tabIndex={0}>
          {query.isPending && (
            <div className="page-body" aria-busy="true">
              <div className="skeleton" style={{ width: '50%' }} />
              <div className="skeleton" style={{ width: '80%' }} />
            </div>
          )}
          {query.data?.hasOlder && items.length > 0 && <div className="hint" style={{ textAlign: 'center' }}>{t.t('chat.loadOlder')}</div>}
          {query.isSuccess && items.length === 0 && <div className="empty">{t.t('chat.empty')}</div>}
          <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {virtual.getVirtualItems().map((v) => {
              const row = rows[v.index];
              if (!row) return null;
              return (
                <div key={v.key} data-index={v.index} ref={virtual.measureElement} style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}>
                  {row.kind === 'day' ? (
                    <div className="day-sep" role="separator">
                      {row.label}
                    </div>
                  ) : row.kind === 'unread' ? (
                    <div className="unread-marker" role="separator">
                      {t.t('chat.unreadMarker')}
                    </div>
                  ) : (
                    <MessageItem
                      message={row.message}
                      compact={row.compact}
                      me={me}
                      users={users.data}
                      editing={editing === row.message.id}
                      highlight={jumpTo === row.message.seq}
                      here={chat?.entity}
                      onEdit={setEditing}
                      onOpenThread={setThread}
                      onRetry={retry}
                    />
                  )}
                </div>
              );
            })}
          </div>
        </div>
        <div className="typing" aria-live="polite">
          <span>{typers.length > 0 && t.t('chat.typing', { names: typers.join(', ') })}</span>
          {readBy && (
            <span className="read-by" data-testid="read-by">
              {t.t('chat.readBy', { names: readBy })}
            </span>
          )}
        </div>
        {chat?.archived_at ? (
          <ReadOnlyBar chat={chat} />
        ) : (
          <Composer key={chatId} chatId={chatId} users={users.data} placeholder={t.t('chat.placeholder', { name })} onSend={send} onEditLast={editLast} autoFocus />
        )}
      </section>
      {thread && <ThreadPanel chatId={chatId} chat={chat} rootId={thread} root={items.find((m) => m.id === thread)} onClose={() => setThread(null)} />}
    </div>
  );
}
