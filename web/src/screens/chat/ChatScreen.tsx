// A chat: header with its record, members and settings, the virtualised
// message list (scroll-back, day separators, unread marker, landing on the
// newest or first unread message, "jump to latest"), typing line, composer,
// and the thread, members, pins or files panel.
import { lazy, Suspense, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { mentionsToText, unwrap, type Chat } from '@artel/client';
import { api } from '../../app/session';
import { keys, learnUsers, setActiveChat, typingIn, useEphemeral } from '../../app/live';
import { useChats, useUsers } from '../../app/data';
import { chatGlyph, chatName, userName } from '../../app/names';
import { navigate, pathOf, type Route } from '../../app/router';
import { useI18n, type Translator } from '@artel/client/i18n';
import { toRows, type LocalMessage } from '@artel/client/state/messages';
import { landingRow, newBelow } from '../../state/scroll';
import { errorMessage } from '../../ui/errors';
import { Icon } from '../../ui/Icon';
import { toast } from '../../ui/Toast';
import { ChatSettings } from './ChatSettings';
import { Composer } from './Composer';
import { MembersPanel, canManage } from './MembersPanel';
import { MessageItem, type MessageAction } from './MessageItem';
import { PinsPanel } from './PinsPanel';
import { FilesPanel } from './FilesPanel';
import { ReadOnlyBar } from './ReadOnlyBar';
import { ThreadPanel } from './ThreadPanel';
import { markRead, useChatMessages, useSend } from './useChatMessages';
import { messageLink, taskTitle } from '../../state/actions';
import { MuteButton } from './MuteButton';
import { addToNotes, CopyToCardDialog, quoteOf, useClientOf } from './MessageActions';

const NewTaskDialog = lazy(() => import('../tasks/TaskDialog').then((m) => ({ default: m.NewTaskDialog })));

/** What the box says before one types: who or where the message goes, in words that decline right. */
export function composerPlaceholder(chat: Chat | undefined, name: string, t: Translator): string {
  if (chat?.kind === 'direct') return t.t('chat.placeholderDirect', { name });
  if (chat?.kind === 'channel' && !chat.entity) return t.t('chat.placeholderChannel', { name });
  return t.t('chat.placeholderGroup', { name });
}

export function ChatScreen({
  chatId,
  jumpTo,
  embedded,
  onJoin,
}: {
  chatId: string;
  jumpTo?: number;
  embedded?: boolean;
  /** A record's chat: how to get back in after leaving it. */
  onJoin?: () => void;
}) {
  const t = useI18n();
  const qc = useQueryClient();
  const me = api.session()?.user.id ?? '';
  const users = useUsers();
  const chats = useChats();
  const summary = chats.data?.find((s) => s.chat.id === chatId);
  // Known to exist but not among my chats: a public channel to join, or gone.
  const outside = chats.isSuccess && !summary;
  const chatQuery = useQuery({
    queryKey: ['chat', chatId],
    queryFn: () => unwrap(api.http.GET('/chats/{id}', { params: { path: { id: chatId } } })),
    enabled: !summary,
  });
  const chat: Chat | undefined = summary?.chat ?? chatQuery.data;
  const { query, loadOlder } = useChatMessages(chatId, jumpTo, !outside);
  const send = useSend(chatId, null);
  const [thread, setThreadState] = useState<string | null>(null);
  const [panel, setPanel] = useState<'members' | 'pins' | 'files' | null>(null);
  const [settings, setSettings] = useState(false);
  const [joining, setJoining] = useState(false);
  const setThread = useCallback((id: string | null) => {
    setThreadState(id);
    if (id) setPanel(null);
  }, []);
  const [editing, setEditing] = useState<string | null>(null);
  const [action, setAction] = useState<{ kind: 'task' | 'card'; message: LocalMessage } | null>(null);
  const client = useClientOf(chat);
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
  // Left the chat or was removed from it: its messages are no longer mine to show.
  useEffect(() => {
    if (outside) setPanel(null);
  }, [outside]);

  const rows = useMemo(
    () => toRows(items, { dayKey: t.dayKey, dayLabel: t.day, lastReadSeq: readAtOpen, me }),
    [items, t, readAtOpen, me],
  );

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => {
      const row = rows[i];
      // Compact runs and notices are one line; a message with its head about two.
      return row?.kind === 'message' ? (row.compact || row.message.kind === 'system' ? 28 : 60) : 36;
    },
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 12,
  });

  // atBottom: the reader is at the newest message, and stays there as messages
  // arrive and rows find their real heights. A reopened chat lands at the
  // newest message, or on the "new messages" line; a search hit on its message.
  const inner = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const lastSeqRef = useRef(lastSeq);
  lastSeqRef.current = lastSeq;
  const landed = useRef(false);
  const [away, setAway] = useState(false);
  const [seenSeq, setSeenSeq] = useState<number>(() => readAtOpen ?? Number.MAX_SAFE_INTEGER);
  const stick = useCallback(() => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, []);
  const measureAway = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const near = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    atBottom.current = near;
    setAway(!near);
    if (near) setSeenSeq(lastSeqRef.current);
  }, []);
  useLayoutEffect(() => {
    if (rows.length === 0 || !query.isSuccess) return;
    if (!landed.current) {
      landed.current = true;
      const land = landingRow(rows, jumpTo);
      atBottom.current = land.atEnd;
      if (land.atEnd) setSeenSeq(lastSeq);
      virtual.scrollToIndex(land.index, { align: land.align });
      stick();
      // Once rows have their heights: is there anything below the landing place?
      requestAnimationFrame(() => requestAnimationFrame(() => (atBottom.current ? stick() : measureAway())));
      return;
    }
    if (atBottom.current) {
      virtual.scrollToIndex(rows.length - 1, { align: 'end' });
      stick();
      setSeenSeq(lastSeq);
    }
  }, [rows.length, virtual, jumpTo, rows, query.isSuccess, lastSeq, stick, measureAway]);
  useEffect(() => {
    const el = scroller.current;
    const box = inner.current;
    if (!el || !box || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => stick());
    ro.observe(box);
    ro.observe(el);
    return () => ro.disconnect();
  }, [stick, outside]);
  // Back from a search hit to the newest page: load it afresh.
  const hadJump = useRef(Boolean(jumpTo));
  useEffect(() => {
    if (jumpTo) hadJump.current = true;
    else if (hadJump.current) {
      hadJump.current = false;
      atBottom.current = true;
      void qc.resetQueries({ queryKey: keys.messages(chatId) });
    }
  }, [jumpTo, chatId, qc]);

  const onScroll = useCallback(async () => {
    const el = scroller.current;
    if (!el) return;
    measureAway();
    if (el.scrollTop < 200 && query.data?.hasOlder) {
      const before = rows.length;
      const added = await loadOlder();
      if (added > 0 && !atBottom.current) {
        // Keep the reader's place: the rows they saw move down by what was added.
        requestAnimationFrame(() => {
          const grown = virtual.options.count - before;
          virtual.scrollToIndex(Math.max(0, grown), { align: 'start' });
        });
      }
    }
  }, [loadOlder, query.data?.hasOlder, rows.length, virtual, measureAway]);

  // What I send myself I want to see: back to the bottom with it.
  const sendHere = useCallback(
    (body: string, attachmentIds: string[]) => {
      atBottom.current = true;
      setAway(false);
      return send(body, attachmentIds);
    },
    [send],
  );

  const jumpLatest = () => {
    atBottom.current = true;
    setAway(false);
    setSeenSeq(lastSeq);
    if (jumpTo) {
      navigate({ name: 'chat', chatId }, { replace: true });
      return;
    }
    virtual.scrollToIndex(rows.length - 1, { align: 'end' });
    stick();
    requestAnimationFrame(stick);
  };
  const below = away ? newBelow(items, seenSeq, me) : 0;

  const editLast = useCallback(() => {
    const mine = [...items].reverse().find((m) => m.author_id === me && !m.local && !m.deleted_at && m.kind === 'user');
    if (mine) setEditing(mine.id);
  }, [items, me]);

  const retry = useCallback(
    (m: LocalMessage) => void send(m.body, [], m.client_msg_id ?? undefined),
    [send],
  );

  const textOf = useCallback((m: LocalMessage) => mentionsToText(m.body, (id) => users.data?.get(id)?.name), [users.data]);
  const onAction = useCallback(
    (kind: MessageAction, m: LocalMessage) => {
      if (kind !== 'notes') return setAction({ kind, message: m });
      if (!client.ref) return void toast.show(t.t('actions.noClient'));
      const link = messageLink(location.origin, chatId, m.seq);
      void addToNotes(qc, t, client.ref, quoteOf(t, textOf(m), userName(users.data, m.author_id), m.created_at, link));
    },
    [client.ref, chatId, qc, t, textOf, users.data],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !editing && thread) setThread(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [editing, thread]);

  const name = chat ? chatName(chat, me, users.data) : '…';
  const join = async () => {
    setJoining(true);
    try {
      await unwrap(api.http.POST('/chats/{id}/join', { params: { path: { id: chatId } } }));
      await qc.invalidateQueries({ queryKey: keys.chats });
      void qc.resetQueries({ queryKey: keys.messages(chatId) });
      toast.show(t.t('chat.joined'));
    } catch (err) {
      toast.show(errorMessage(err, t));
    } finally {
      setJoining(false);
    }
  };
  if (outside && onJoin) {
    return (
      <div className="empty">
        <button type="button" className="btn btn-primary" onClick={onJoin}>
          {t.t('card.joinChat')}
        </button>
      </div>
    );
  }
  if (outside && (chatQuery.isError || (chat && !(chat.kind === 'channel' && !chat.is_private && !chat.entity)))) {
    return (
      <div className="empty" role="alert">
        {t.t('chat.noAccess')}
      </div>
    );
  }
  if (outside) {
    // A public channel I am not in: what it is about, and the way in.
    return (
      <section className="chat-main" aria-label={name}>
        <header className="page-head">
          <span aria-hidden="true">#</span>
          {embedded ? <h2>{name}</h2> : <h1>{name}</h1>}
          {chat?.description && <span className="sub">{chat.description}</span>}
        </header>
        <div className="empty">
          <p>{t.t('chat.notMember')}</p>
          {chat && (
            <button type="button" className="btn btn-primary" disabled={joining} onClick={() => void join()}>
              {t.t('chat.join')}
            </button>
          )}
        </div>
      </section>
    );
  }
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

  // Deals keep no notes of their own: a deal's chat writes to its client's, named.
  const notesLabel =
    client.ref && client.name ? t.t('actions.addToNotes', { name: client.name }) : chat?.entity?.kind === 'deal' && client.ref === null ? t.t('actions.addToNotes', { name: name }) : undefined;
  const actionText = action ? textOf(action.message) : '';

  return (
    <div className={`chat${thread || (panel && !embedded) ? ' with-panel' : ''}`}>
      {action?.kind === 'task' && (
        <Suspense fallback={null}>
          <NewTaskDialog
            initial={{
              title: taskTitle(actionText),
              description: `${actionText}\n\n${messageLink(location.origin, chatId, action.message.seq)}`,
              entity: chat?.entity,
              entityName: name,
            }}
            onClose={() => setAction(null)}
          />
        </Suspense>
      )}
      {action?.kind === 'card' && <CopyToCardDialog text={actionText} initial={client.ref ?? null} onClose={() => setAction(null)} />}
      <section className="chat-main" aria-label={name}>
        <header className="page-head">
          <span aria-hidden="true">{chat?.kind === 'channel' && chat.is_private && !chat.entity ? <Icon name="lock" /> : chat ? chatGlyph(chat) : ''}</span>
          {embedded ? <h2>{name}</h2> : <h1>{name}</h1>}
          {chat?.description && <span className="sub">{chat.description}</span>}
          <span className="spacer" />
          {chat && (
            <button
              type="button"
              className="btn btn-ghost btn-icon"
              aria-label={t.t('pins.title')}
              title={t.t('pins.title')}
              aria-expanded={panel === 'pins'}
              onClick={() => {
                setPanel(panel === 'pins' ? null : 'pins');
                setThreadState(null);
              }}
            >
              <Icon name="pin" />
            </button>
          )}
          {chat && (
            <button
              type="button"
              className="btn btn-ghost btn-icon"
              aria-label={t.t('files.title')}
              title={t.t('files.title')}
              aria-expanded={panel === 'files'}
              onClick={() => {
                setPanel(panel === 'files' ? null : 'files');
                setThreadState(null);
              }}
            >
              <Icon name="file" />
            </button>
          )}
          {chat && chat.kind !== 'direct' && (
            <button
              type="button"
              className="btn btn-ghost"
              aria-expanded={panel === 'members'}
              onClick={() => {
                setPanel(panel === 'members' ? null : 'members');
                setThreadState(null);
              }}
            >
              {t.t('chat.members', { count: t.number(members.data?.length ?? 0) })}
            </button>
          )}
          {chat && (chat.kind === 'channel' || chat.kind === 'group') && !chat.entity && (
            <button
              type="button"
              className="btn btn-ghost btn-icon"
              aria-label={chat.kind === 'channel' ? t.t('channel.settings') : t.t('chat.settings')}
              title={chat.kind === 'channel' ? t.t('channel.settings') : t.t('chat.settings')}
              onClick={() => setSettings(true)}
            >
              <Icon name="gear" />
            </button>
          )}
          {chat && !embedded && <MuteButton chatId={chatId} />}
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
          <div ref={inner} style={{ height: virtual.getTotalSize(), position: 'relative' }}>
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
                      onAction={onAction}
                      notesLabel={notesLabel}
                    />
                  )}
                </div>
              );
            })}
          </div>
        </div>
        {away && rows.length > 0 && (
          <div className="jump-latest">
            <button type="button" className="btn btn-primary" onClick={jumpLatest}>
              ↓ {below > 0 ? t.tn('chat.newBelow', below) : t.t('chat.jumpLatest')}
            </button>
          </div>
        )}
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
          <Composer key={chatId} chatId={chatId} users={users.data} placeholder={composerPlaceholder(chat, name, t)} onSend={sendHere} onEditLast={editLast} autoFocus />
        )}
      </section>
      {thread && <ThreadPanel chatId={chatId} chat={chat} rootId={thread} root={items.find((m) => m.id === thread)} onClose={() => setThread(null)} />}
      {panel === 'members' && chat && <MembersPanel chat={chat} asDialog={embedded} onClose={() => setPanel(null)} />}
      {panel === 'pins' && <PinsPanel chatId={chatId} asDialog={embedded} onClose={() => setPanel(null)} />}
      {panel === 'files' && <FilesPanel chatId={chatId} asDialog={embedded} onClose={() => setPanel(null)} />}
      {settings && chat && (
        <ChatSettings
          chat={chat}
          canEdit={canManage(chat, members.data?.find((m) => m.user_id === me), api.session()?.user)}
          onClose={() => setSettings(false)}
        />
      )}
    </div>
  );
}
