// A chat (or one thread of it) on a phone: history from the server or, offline,
// the saved copy; live events; my queued messages with their outbox state;
// reactions; replies in threads; slash-command autocomplete in the composer;
// files (thumbnails, cards, attaching with progress, the chat's files list);
// system notices as notices.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import {
  ApiError,
  applySuggestion,
  completeCommand,
  mentionsToHtml,
  mentionsToText,
  unwrap,
  type Chat,
  type CommandSuggestion,
  type Message,
} from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { applyEvent, emptyList, mergePage, upsert, type MessageList } from '@artel/client/state/messages';
import { botName, noticeText } from '@artel/client/state/notices';
import { useApp, useCached, useOnline, useOutbox } from '../context';
import { uploadWithProgress } from '../files';
import { navigate } from '../router';
import { useM } from '../strings';
import type { OutboxItem, QueuedFile } from '../outbox';
import { chatName, Header, OutboxState } from './common';
import { Attachments, FileCard, ImageViewer, QueuedFiles, type Viewing } from './Files';
import { ChatFiles } from './ChatFiles';

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

  const [viewing, setViewing] = useState<Viewing | null>(null);
  const closeViewer = useCallback(() => setViewing(null), []);
  const [filesOpen, setFilesOpen] = useState(false);
  const closeFiles = useCallback(() => setFilesOpen(false), []);

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
        {!thread && (
          <button type="button" className="chip" aria-expanded={filesOpen} onClick={() => setFilesOpen(true)}>
            {t('files.title')}
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
          // What Artel itself says ("Anna moved the deal…"): a line in the
          // flow of the talk, not a person's message to react or reply to.
          if (msg.kind === 'system') {
            return (
              <li key={msg.id} className="notice" data-kind="system" data-seq={msg.seq}>
                {worded ? (
                  <span className="notice-text">{worded}</span>
                ) : (
                  <span className="notice-text" dangerouslySetInnerHTML={{ __html: mentionsToHtml(msg.html, nameOf, me) }} />
                )}{' '}
                <time className="small" dateTime={msg.created_at}>
                  {time(msg.created_at)}
                </time>
              </li>
            );
          }
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
                <>
                  {msg.body.trim() !== '' && (
                    <div className="msg-body" dangerouslySetInnerHTML={{ __html: mentionsToHtml(msg.html, nameOf, me) }} />
                  )}
                  {msg.attachments.length > 0 && <Attachments list={msg.attachments} onOpen={setViewing} />}
                </>
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
            {i.payload.body && <div className="msg-body">{mentionsToText(i.payload.body, nameOf)}</div>}
            {i.payload.files && i.payload.files.length > 0 && (
              <QueuedFiles files={i.payload.files} status={m(`out.${i.state}`)} />
            )}
          </li>
        ))}
      </ol>
      <div ref={end} />
      <Composer chatId={chatId} thread={thread} />
      {filesOpen && <ChatFiles chatId={chatId} onClose={closeFiles} onOpen={setViewing} />}
      {viewing && <ImageViewer viewing={viewing} onClose={closeViewer} />}
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

/** A file picked in the composer, from choosing it to sending the message. */
interface Picked {
  key: string;
  file: File;
  /** Uploading now; uploaded (has `id`); kept to upload later (no network); refused. */
  state: 'uploading' | 'ready' | 'queued' | 'failed';
  progress: number;
  id?: string;
  error?: string;
  abort?: () => void;
}

function Composer({ chatId, thread }: { chatId: string; thread: string | null }) {
  const { api, outbox } = useApp();
  const { t } = useI18n();
  const m = useM();
  const online = useOnline();
  const [text, setText] = useState('');
  const [picked, setPicked] = useState<Picked[]>([]);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const form = useRef<HTMLFormElement>(null);
  // The composer grows with picked files: the last messages stay above it.
  useEffect(() => {
    const el = form.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const root = document.documentElement;
    const ro = new ResizeObserver(() => root.style.setProperty('--composer-h', `${el.offsetHeight}px`));
    ro.observe(el);
    return () => {
      ro.disconnect();
      root.style.removeProperty('--composer-h');
    };
  }, []);
  const cameraInput = useRef<HTMLInputElement>(null);
  const patch = (key: string, p: Partial<Picked>) => setPicked((list) => list.map((x) => (x.key === key ? { ...x, ...p } : x)));

  // Leaving the chat stops uploads nobody will send.
  const pickedRef = useRef(picked);
  pickedRef.current = picked;
  useEffect(() => () => pickedRef.current.forEach((p) => p.abort?.()), []);

  const startUpload = (p: Picked) => {
    const h = uploadWithProgress(api, chatId, p.file, p.file.name, (f) => patch(p.key, { progress: f }));
    patch(p.key, { state: 'uploading', progress: 0, abort: h.abort, error: undefined });
    h.done.then(
      (a) => patch(p.key, { state: 'ready', id: a.id, progress: 1, abort: undefined }),
      (e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(0, 'network', String(e));
        if (err.code === 'aborted') return;
        // No network: the bytes stay here and go with the message through the outbox.
        if (err.status === 0 || err.status >= 500 || err.status === 429 || err.status === 408) {
          patch(p.key, { state: 'queued', abort: undefined });
          return;
        }
        const name = p.file.name;
        const reason =
          err.status === 413 ? m('file.tooLarge', { name }) : err.status === 403 ? m('file.forbidden') : m('file.refused', { name, reason: err.message });
        patch(p.key, { state: 'failed', error: reason, abort: undefined });
      },
    );
  };

  const onFiles = (files: FileList | null) => {
    if (!files?.length) return;
    setError(null);
    const added: Picked[] = Array.from(files).map((file) => ({
      key: crypto.randomUUID(),
      file,
      state: navigator.onLine ? 'uploading' : 'queued',
      progress: 0,
    }));
    setPicked((list) => [...list, ...added]);
    for (const p of added) if (p.state === 'uploading') startUpload(p);
    if (fileInput.current) fileInput.current.value = '';
    if (cameraInput.current) cameraInput.current.value = '';
  };

  const remove = (p: Picked) => {
    p.abort?.();
    setPicked((list) => list.filter((x) => x.key !== p.key));
    setError(null);
  };

  // Back online: files kept for later go up now, while the message is still being written.
  useEffect(() => {
    if (online) pickedRef.current.filter((p) => p.state === 'queued').forEach(startUpload);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [online]);
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

  const send = async () => {
    const body = text.trim();
    if (!body && picked.length === 0) return;
    if (picked.some((p) => p.state === 'uploading')) return setError(m('file.wait'));
    if (picked.some((p) => p.state === 'failed')) return setError(m('file.removeFailed'));
    const files: QueuedFile[] = picked.map((p) => {
      const meta = { key: p.key, name: p.file.name, size: p.file.size, type: p.file.type };
      return p.id ? { ...meta, id: p.id } : { ...meta, blob: p.file };
    });
    const sentText = text;
    const sentFiles = picked;
    setText('');
    setPicked([]);
    setSuggestions([]);
    setError(null);
    try {
      await outbox.add({ kind: 'message', chat_id: chatId, body, thread_root_id: thread, ...(files.length ? { files } : {}) });
    } catch (e) {
      // The phone would not keep it (storage full or refused): nothing is
      // lost, the message and its files go back into the composer.
      setText(sentText);
      setPicked(sentFiles);
      const waiting = sentFiles.find((p) => !p.id);
      const reason = e instanceof Error ? e.message : String(e);
      setError(waiting ? m('file.notQueued', { name: waiting.file.name, reason }) : reason);
    }
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
      void send();
    }
  };

  const listId = `cmd-${chatId}`;
  return (
    <form
      ref={form}
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {(picked.length > 0 || error) && (
        <div className="picked">
          {error && (
            <p role="alert" className="picked-error">
              {error}
            </p>
          )}
          {picked.length > 0 && (
            <ul className="picked-list" aria-label={m('file.files', { count: picked.length })}>
              {picked.map((p) => (
                <li key={p.key} className={`picked-item picked-${p.state}`} data-state={p.state}>
                  <FileCard
                    name={p.file.name}
                    size={p.file.size}
                    image={p.file.type.startsWith('image/') ? p.file : undefined}
                    status={
                      p.state === 'uploading'
                        ? m('file.uploading', { percent: Math.round(p.progress * 100) })
                        : p.state === 'ready'
                          ? m('file.ready')
                          : p.state === 'queued'
                            ? m('file.queued')
                            : p.error
                    }
                  />
                  {p.state === 'uploading' && (
                    <progress max={1} value={p.progress} aria-label={m('file.uploading', { percent: Math.round(p.progress * 100) })} />
                  )}
                  <button type="button" className="small" aria-label={m('file.remove', { name: p.file.name })} onClick={() => remove(p)}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <input ref={fileInput} type="file" multiple hidden data-testid="attach-input" onChange={(e) => onFiles(e.target.files)} />
      <input
        ref={cameraInput}
        type="file"
        accept="image/*"
        capture="environment"
        hidden
        data-testid="camera-input"
        onChange={(e) => onFiles(e.target.files)}
      />
      <button type="button" className="icon-btn" aria-label={m('file.attach')} onClick={() => fileInput.current?.click()}>
        <svg aria-hidden="true" width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M21 11.5 12.5 20a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6L15 7" />
        </svg>
      </button>
      <button type="button" className="icon-btn" aria-label={m('file.camera')} onClick={() => cameraInput.current?.click()}>
        <svg aria-hidden="true" width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M4 8h3l2-3h6l2 3h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V9a1 1 0 0 1 1-1Z" />
          <circle cx="12" cy="13.5" r="3.5" />
        </svg>
      </button>
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
      <button type="submit" className="primary" disabled={!text.trim() && picked.length === 0}>
        {t('chat.send')}
      </button>
    </form>
  );
}
