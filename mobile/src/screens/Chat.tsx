// A chat (or one thread of it) on a phone: history from the server or, offline,
// the saved copy; live events; my queued messages with their outbox state;
// reactions; replies in threads; slash-command autocomplete in the composer.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import {
  applySuggestion,
  completeCommand,
  mentionsToHtml,
  mentionsToText,
  unwrap,
  type Chat,
  type CommandSuggestion,
  type Message,
} from '@api';
import { useI18n } from '@i18n';
import { applyEvent, emptyList, mergePage, upsert, type MessageList } from '@state/messages';
import { botName, noticeText } from '@state/notices';
import { useApp, useCached, useOutbox } from '../context';
import { navigate } from '../router';
import { useM } from '../strings';
import type { OutboxItem } from '../outbox';
import { chatName, Header, OutboxState } from './common';

const QUICK = ['👍', '❤️', '😂', '🎉', '✅', '👀'];

export function ChatScreen({ chatId, thread }: { chatId: string; thread: string | null }) {
  const { api, rt, session, users, cache, learnUsers } = useApp();
  const i18n = useI18n();
  const { t, time } = i18n;
  const m = useM();
  const me = session.user.id;
  const nameOf = (id: string) => users.get(id)?.name;
  const chat = useCached<Chat>(`chat:${chatId}`, () =>
    unwrap(api.http.GET('/chats/{id}', { params: { path: { id: chatId } } })),
  );
  const historyKey = thread ? `thread:${thread}` : `history:${chatId}`;
  const history = useCached<Message[]>(historyKey, () =>
    thread
      ? unwrap(api.http.GET('/messages/{id}/thread', { params: { path: { id: thread } } }))
      : unwrap(api.http.GET('/chats/{id}/messages', { params: { path: { id: chatId }, query: { limit: 50 } } })),
  );
  const [list, setList] = useState<MessageList>(emptyList);
  const { reload } = history;

  useEffect(() => {
    if (history.data) setList((l) => mergePage(l, history.data ?? []));
  }, [history.data]);

  useEffect(() => {
    const offEvent = rt.on('event', (e) => {
      if (e.chat_id === chatId) setList((l) => applyEvent(l, e, thread));
    });
    const offResync = rt.on('resync', (id) => {
      if (id === chatId) reload();
    });
    const offReady = rt.on('ready', () => reload());
    return () => {
      offEvent();
      offResync();
      offReady();
    };
  }, [rt, chatId, thread, reload]);

  // The chat on screen gets no pushes (Web Push contract); hidden page → blur.
  useEffect(() => {
    const update = () => rt.focus(document.visibilityState === 'visible' ? chatId : null);
    update();
    document.addEventListener('visibilitychange', update);
    return () => {
      document.removeEventListener('visibilitychange', update);
      rt.focus(null);
    };
  }, [rt, chatId]);

  // My queued messages for this view, and the committed ones they became.
  const outboxItems = useOutbox().filter(
    (i): i is OutboxItem & { payload: { kind: 'message' } } =>
      i.payload.kind === 'message' && i.payload.chat_id === chatId && (i.payload.thread_root_id ?? null) === thread,
  );
  useEffect(() => {
    for (const i of outboxItems) {
      const r = i.result as Message | undefined;
      if (i.state === 'sent' && r && typeof r === 'object' && 'seq' in r && (r.thread_root_id ?? null) === thread) {
        setList((l) => (l.items.some((x) => x.id === r.id) ? l : upsert(l, r)));
      }
    }
  }, [outboxItems, thread]);

  const committed = list.items.filter((x) => !x.local);
  // History may name people who joined after the directory loaded.
  useEffect(() => {
    learnUsers(list.items.flatMap((x) => [x.author_id, ...x.mentions]));
  }, [list.items, learnUsers]);
  const byClientId = useMemo(() => new Map(outboxItems.map((i) => [i.id, i])), [outboxItems]);
  const waiting = outboxItems.filter(
    (i) => i.state !== 'sent' && !committed.some((x) => x.client_msg_id === i.id),
  );

  // Keep what was seen for reading offline; say how far I have read.
  const lastSeq = committed.at(-1)?.seq ?? 0;
  useEffect(() => {
    if (committed.length === 0) return;
    void cache.set(historyKey, committed.slice(-100));
    if (!thread && document.visibilityState === 'visible') rt.read(chatId, lastSeq);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastSeq, committed.length]);

  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [committed.length, waiting.length]);

  const toggleReaction = async (msg: Message, emoji: string) => {
    const mine = msg.reactions.find((g) => g.emoji === emoji)?.user_ids.includes(me);
    const params = { params: { path: { id: msg.id, emoji } } };
    try {
      await unwrap(mine ? api.http.DELETE('/messages/{id}/reactions/{emoji}', params) : api.http.PUT('/messages/{id}/reactions/{emoji}', params));
    } catch {
      /* the event stream shows the truth */
    }
  };

  const title = chat.data ? chatName(chat.data, me, users) : '…';
  const entity = chat.data?.entity;
  return (
    <div className="chat">
      <Header
        title={thread ? `${m('chat.thread')} · ${title}` : title}
        back={() => navigate(thread ? { name: 'chat', chatId } : { name: 'chats' })}
      >
        {entity && (entity.kind === 'deal' || entity.kind === 'task') && (
          <button
            type="button"
            className="chip"
            onClick={() =>
              navigate(entity.kind === 'deal' ? { name: 'deal', id: entity.id } : { name: 'tasks', taskId: entity.id })
            }
          >
            {m('chat.record')}
          </button>
        )}
      </Header>
      {history.stale && history.error && history.data && <p className="note">{m('chat.offlineCopy')}</p>}
      {history.error && !history.data && history.error.status !== 0 && (
        <p role="alert" className="error">
          {t('chat.noAccess')}
        </p>
      )}
      <ol className="messages" aria-label={title} aria-live="polite">
        {committed.map((msg) => {
          const item = msg.client_msg_id ? byClientId.get(msg.client_msg_id) : undefined;
          const author = msg.author_id
            ? (users.get(msg.author_id)?.name ?? '…')
            : (botName(msg.notice) ?? t(msg.kind === 'bot' ? 'chat.automation' : 'chat.system'));
          // A notice in the reader's words, language and zone (c-notices).
          const worded =
            msg.kind === 'system' && msg.notice && !msg.deleted_at
              ? noticeText(msg.notice, { t: i18n, actor: author, nameOf, here: entity })
              : null;
          return (
            <li key={msg.id} className={msg.author_id === me ? 'msg mine' : 'msg'} data-seq={msg.seq}>
              <div className="msg-head">
                <span className="msg-author">{author}</span> <span className="muted small">{time(msg.created_at)}</span>
                {item && <OutboxState item={item} />}
              </div>
              {msg.deleted_at ? (
                <div className="msg-body muted">{t('chat.deleted')}</div>
              ) : worded ? (
                <div className="msg-body" data-notice={msg.notice?.type}>
                  {worded}
                </div>
              ) : (
                <div className="msg-body" dangerouslySetInnerHTML={{ __html: mentionsToHtml(msg.html, nameOf, me) }} />
              )}
              <div className="msg-actions">
                {msg.reactions.map((g) => (
                  <button
                    key={g.emoji}
                    type="button"
                    className="reaction"
                    aria-pressed={g.user_ids.includes(me)}
                    onClick={() => void toggleReaction(msg, g.emoji)}
                  >
                    {g.emoji} {g.count}
                  </button>
                ))}
                <ReactButton onPick={(e) => void toggleReaction(msg, e)} />
                {!thread && (
                  <button
                    type="button"
                    className="link"
                    onClick={() => navigate({ name: 'chat', chatId, thread: msg.id })}
                  >
                    {msg.reply_count > 0 ? m('chat.replies', { count: msg.reply_count }) : m('chat.reply')}
                  </button>
                )}
              </div>
            </li>
          );
        })}
        {waiting.map((i) => (
          <li key={i.id} className="msg mine local" data-client-msg-id={i.id}>
            <div className="msg-head">
              <span className="msg-author">{session.user.name}</span> <OutboxState item={i} />
            </div>
            <div className="msg-body">{mentionsToText(i.payload.body, nameOf)}</div>
          </li>
        ))}
      </ol>
      <div ref={end} />
      <Composer chatId={chatId} thread={thread} />
    </div>
  );
}

function ReactButton({ onPick }: { onPick: (emoji: string) => void }) {
  const m = useM();
  const [open, setOpen] = useState(false);
  return (
    <span className="react">
      <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {m('chat.react')}
      </button>
      {open && (
        <span className="quick" role="group" aria-label={m('chat.react')}>
          {QUICK.map((e) => (
            <button
              key={e}
              type="button"
              onClick={() => {
                setOpen(false);
                onPick(e);
              }}
            >
              {e}
            </button>
          ))}
        </span>
      )}
    </span>
  );
}

function Composer({ chatId, thread }: { chatId: string; thread: string | null }) {
  const { api, outbox } = useApp();
  const { t } = useI18n();
  const m = useM();
  const [text, setText] = useState('');
  const [suggestions, setSuggestions] = useState<CommandSuggestion[]>([]);
  const [active, setActive] = useState(0);
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!text.startsWith('/') || text.includes('\n')) {
      setSuggestions([]);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      completeCommand(api, chatId, text).then(
        (r) => {
          if (!live) return;
          setSuggestions(r.items.slice(0, 8));
          setActive(0);
        },
        () => live && setSuggestions([]),
      );
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, chatId, text]);

  const pick = (s: CommandSuggestion) => {
    setText(applySuggestion(text, s));
    setSuggestions([]);
    ref.current?.focus();
  };

  const send = () => {
    const body = text.trim();
    if (!body) return;
    setText('');
    setSuggestions([]);
    void outbox.add({ kind: 'message', chat_id: chatId, body, thread_root_id: thread });
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggestions.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setActive((a) => (a + d + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey)) {
        const s = suggestions[active];
        if (s) {
          e.preventDefault();
          pick(s);
          return;
        }
      }
      if (e.key === 'Escape') {
        setSuggestions([]);
        return;
      }
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  };

  const listId = `cmd-${chatId}`;
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {suggestions.length > 0 && (
        <ul className="suggestions" id={listId} role="listbox" aria-label="/">
          {suggestions.map((s, i) => (
            <li
              key={`${s.kind}:${s.label}:${i}`}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(s)}
            >
              <span className="s-label">{s.label}</span>
              {s.detail && <span className="muted small"> {s.detail}</span>}
            </li>
          ))}
        </ul>
      )}
      <textarea
        ref={ref}
        rows={1}
        value={text}
        placeholder={m('chat.message')}
        aria-label={m('chat.message')}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={suggestions.length > 0}
        aria-controls={suggestions.length > 0 ? listId : undefined}
        aria-activedescendant={suggestions.length > 0 ? `${listId}-${active}` : undefined}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
      />
      <button type="submit" className="primary" disabled={!text.trim()}>
        {t('chat.send')}
      </button>
    </form>
  );
}
