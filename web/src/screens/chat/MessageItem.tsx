// One message: author, time, sanitised HTML (rendered by the server), files,
// reactions, thread summary, and the hover/focus actions. A system notice is
// worded here for the reader (their language, zone and dates) from its
// `notice`; a hook's message is signed with the hook's name.
import { memo, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import { ApiError, mentionsToHtml, mentionsToText, unwrap, type EntityRef, type User } from '@artel/client';
import { api } from '../../app/session';
import { initials, userName } from '../../app/names';
import { useI18n } from '@artel/client/i18n';
import { canRetry, type LocalMessage } from '@artel/client/state/messages';
import { botName, noticeText } from '@artel/client/state/notices';
import { errorMessage } from '../../ui/errors';
import { Icon } from '../../ui/Icon';
import { toast } from '../../ui/Toast';
import { findContacts } from '../../state/actions';
import { AttachmentView } from './files';

export type MessageAction = 'task' | 'notes' | 'card';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '👀', '✅'];
/** The picker's choice beyond the quick ones: the reactions teams use at work. */
export const MORE_REACTIONS = ['🙏', '🔥', '💯', '👏', '🤝', '💪', '🚀', '😮', '😢', '🤔', '😅', '🙌', '👎', '❌', '⏳', '📌', '💰', '📞', '✍️', '⭐'];

interface Props {
  message: LocalMessage;
  compact: boolean;
  me: string;
  users: Map<string, User> | undefined;
  editing: boolean;
  highlight?: boolean;
  inThread?: boolean;
  /** The record of the chat: a notice about it says "the deal", not its title. */
  here?: EntityRef | null;
  onEdit: (id: string | null) => void;
  onOpenThread?: (id: string) => void;
  onRetry?: (m: LocalMessage) => void;
  /** Message actions (task, notes, card); absent where they do not apply. */
  onAction?: (kind: MessageAction, m: LocalMessage) => void;
  /** The notes item's label ("Add to notes: Ivan"), when the chat has a client. */
  notesLabel?: string;
}

export const MessageItem = memo(function MessageItem({
  message: m,
  compact,
  me,
  users,
  editing,
  highlight,
  inThread,
  here,
  onEdit,
  onOpenThread,
  onRetry,
  onAction,
  notesLabel,
}: Props) {
  const t = useI18n();
  const hook = botName(m.notice);
  const author =
    m.kind === 'user' ? userName(users, m.author_id) : hook ?? t.t(m.kind === 'bot' ? 'chat.automation' : 'chat.system');
  const badge = hook ? t.t('chat.badgeHook') : m.kind === 'user' && m.author_id && users?.get(m.author_id)?.bot ? t.t('chat.badgeBot') : null;
  const mine = m.author_id === me;
  const deleted = Boolean(m.deleted_at);
  const nameOf = (id: string) => users?.get(id)?.name;
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const html = useMemo(() => mentionsToHtml(m.html, nameOf, me), [m.html, users, me]);
  const notice =
    m.kind === 'system' && m.notice && !deleted
      ? noticeText(m.notice, { t, actor: userName(users, m.author_id) || t.t('chat.system'), nameOf, here })
      : null;
  const classes = ['msg'];
  if (compact) classes.push('compact');
  if (m.local) classes.push(m.local);
  // A hook's text is someone's message, not a notice: it is not greyed out.
  if (m.kind !== 'user' && !hook) classes.push('system');
  if (highlight) classes.push('highlight');

  const react = (emoji: string) => {
    const has = m.reactions.some((g) => g.emoji === emoji && g.user_ids.includes(me));
    const opts = { params: { path: { id: m.id, emoji } } };
    void (has ? api.http.DELETE('/messages/{id}/reactions/{emoji}', opts) : api.http.PUT('/messages/{id}/reactions/{emoji}', opts));
  };
  const [picker, setPicker] = useState(false);
  const togglePin = async () => {
    const opts = { params: { path: { id: m.id } } };
    try {
      await unwrap(m.pinned_at ? api.http.DELETE('/messages/{id}/pin', opts) : api.http.PUT('/messages/{id}/pin', opts));
    } catch (err) {
      toast.show(err instanceof ApiError && err.status === 403 ? t.t('pins.forbidden') : errorMessage(err, t));
    }
  };
  const remove = () => {
    if (confirm(t.t('common.delete') + '?')) void api.http.DELETE('/messages/{id}', { params: { path: { id: m.id } } });
  };

  // What Artel itself says ("Anna moved the deal…") is a line in the flow of
  // the talk, not someone's message: centred and muted, with its time, and
  // nothing to react or reply to. Hooks and bots are senders (kind `bot`).
  if (m.kind === 'system') {
    const at = t.time(m.created_at);
    return (
      <div className={highlight ? 'notice-line highlight' : 'notice-line'} role="note" data-seq={m.seq} data-kind="system">
        {deleted ? (
          <span className="notice-text">{t.t('chat.deleted')}</span>
        ) : notice ? (
          <span className="notice-text" data-notice={m.notice?.type}>
            {notice}
          </span>
        ) : (
          // A notice this client cannot word (older or newer than it): the server's text.
          <span className="notice-text" data-notice={m.notice?.type ?? ''} dangerouslySetInnerHTML={{ __html: html }} />
        )}{' '}
        <time dateTime={m.created_at}>{at}</time>
      </div>
    );
  }

  return (
    <article className={classes.join(' ')} data-seq={m.local ? undefined : m.seq} aria-label={`${author}, ${t.time(m.created_at)}`}>
      <div className="avatar" aria-hidden="true">
        {initials(author)}
      </div>
      <div style={{ minWidth: 0 }}>
        {!compact && (
          <div className="msg-head">
            <strong>{author}</strong>
            {badge && <span className="msg-badge">{badge}</span>}
            <time dateTime={m.created_at}>{t.time(m.created_at)}</time>
          </div>
        )}
        {editing ? (
          <EditBox message={m} onDone={() => onEdit(null)} />
        ) : deleted ? (
          <div className="msg-body muted">{t.t('chat.deleted')}</div>
        ) : m.local ? (
          <div className="msg-body">{mentionsToText(m.body, nameOf)}</div>
        ) : notice ? (
          <div className="msg-body" data-notice={m.notice?.type}>
            {notice}
          </div>
        ) : (
          <div className="msg-body" dangerouslySetInnerHTML={{ __html: html }} />
        )}
        {m.edited_at && !deleted && <span className="msg-meta">({t.t('chat.edited')})</span>}
        {m.pinned_at && !deleted && (
          <span className="msg-meta pinned">
            <Icon name="pin" size={12} /> {t.t('pins.pinned')}
          </span>
        )}
        {m.local === 'pending' && <span className="msg-meta"> {t.t('chat.pending')}</span>}
        {m.local === 'failed' &&
          (canRetry(m.failure) ? (
            <span className="msg-meta error-text">
              {t.t('chat.failed')}{' '}
              <button type="button" className="btn btn-ghost btn-icon" onClick={() => onRetry?.(m)}>
                {t.t('common.retry')}
              </button>
            </span>
          ) : (
            <span className="msg-meta error-text" role="alert">
              {t.t('chat.failedReason', {
                reason: m.failure?.code === 'chat_archived' ? t.t('chat.archived') : (m.failure?.message ?? ''),
              })}
            </span>
          ))}
        {m.attachments.length > 0 && (
          <div className="attachments">
            {m.attachments.map((a) => (
              <AttachmentView key={a.id} a={a} />
            ))}
          </div>
        )}
        {m.reactions.length > 0 && (
          <div className="reactions">
            {m.reactions.map((g) => (
              <button
                key={g.emoji}
                type="button"
                className={`reaction${g.user_ids.includes(me) ? ' mine' : ''}`}
                aria-pressed={g.user_ids.includes(me)}
                title={g.user_ids.map((u) => userName(users, u)).join(', ')}
                onClick={() => react(g.emoji)}
              >
                {g.emoji} {g.count}
              </button>
            ))}
          </div>
        )}
        {!inThread && m.reply_count > 0 && (
          <button type="button" className="thread-link" onClick={() => onOpenThread?.(m.id)}>
            {t.tn('chat.replies', m.reply_count)}
          </button>
        )}
      </div>
      {!m.local && !deleted && m.kind === 'user' && (
        <div className="msg-actions" role="toolbar" aria-label={t.t('chat.react')}>
          {QUICK_REACTIONS.slice(0, 3).map((e) => (
            <button key={e} type="button" className="btn btn-ghost btn-icon" aria-label={`${t.t('chat.react')} ${e}`} onClick={() => react(e)}>
              {e}
            </button>
          ))}
          <button type="button" className="btn btn-ghost btn-icon" aria-label={t.t('react.more')} title={t.t('react.more')} aria-expanded={picker} onClick={() => setPicker(!picker)}>
            <Icon name="smile" />
          </button>
          {!inThread && onOpenThread && (
            <button type="button" className="btn btn-ghost btn-icon" onClick={() => onOpenThread(m.id)} aria-label={t.t('chat.reply')} title={t.t('chat.reply')}>
              <Icon name="reply" />
            </button>
          )}
          <button type="button" className="btn btn-ghost btn-icon" onClick={() => void togglePin()} aria-label={m.pinned_at ? t.t('pins.unpin') : t.t('pins.pin')} title={m.pinned_at ? t.t('pins.unpin') : t.t('pins.pin')}>
            <Icon name="pin" />
          </button>
          {onAction && <ActionMenu message={m} onAction={onAction} notesLabel={notesLabel} />}
          {mine && (
            <>
              <button type="button" className="btn btn-ghost btn-icon" onClick={() => onEdit(m.id)} aria-label={t.t('common.edit')} title={t.t('common.edit')}>
                <Icon name="edit" />
              </button>
              <button type="button" className="btn btn-ghost btn-icon" onClick={remove} aria-label={t.t('common.delete')} title={t.t('common.delete')}>
                <Icon name="trash" />
              </button>
            </>
          )}
        </div>
      )}
      {picker && (
        <div
          className="reaction-picker"
          role="group"
          aria-label={t.t('react.picker')}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              setPicker(false);
            }
          }}
        >
          {[...QUICK_REACTIONS, ...MORE_REACTIONS].map((e, i) => (
            <button
              key={e}
              type="button"
              className="btn btn-ghost btn-icon"
              autoFocus={i === 0}
              aria-label={`${t.t('chat.react')} ${e}`}
              onClick={() => {
                react(e);
                setPicker(false);
              }}
            >
              {e}
            </button>
          ))}
        </div>
      )}
    </article>
  );
});

function ActionMenu({ message, onAction, notesLabel }: { message: LocalMessage; onAction: (k: MessageAction, m: LocalMessage) => void; notesLabel?: string }) {
  const t = useI18n();
  const [place, setPlace] = useState<CSSProperties | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const hasContacts = useMemo(() => {
    const f = findContacts(message.body);
    return f.phones.length + f.emails.length > 0;
  }, [message.body]);
  const close = () => setPlace(null);
  const pick = (k: MessageAction) => {
    close();
    onAction(k, message);
  };
  // In <body>, placed by the button: rows are transformed and the list clips,
  // so a menu inside the row would be cut off at the list's edges.
  const toggle = () => {
    if (place) return close();
    const r = button.current?.getBoundingClientRect();
    if (!r) return;
    const right = window.innerWidth - r.right;
    setPlace(r.top > window.innerHeight / 2 ? { right, bottom: window.innerHeight - r.top + 4 } : { right, top: r.bottom + 4 });
  };
  const inside = (n: EventTarget | null) => n instanceof Node && (button.current?.contains(n) || menu.current?.contains(n));
  // Focus settles after the menu mounts (its first item takes focus): judge then.
  const onBlur = () => setTimeout(() => !inside(document.activeElement) && close(), 0);
  return (
    <span className="msg-menu-wrap" data-menu-open={place ? '' : undefined}>
      <button
        ref={button}
        type="button"
        className="btn btn-ghost btn-icon"
        aria-haspopup="menu"
        aria-expanded={Boolean(place)}
        aria-label={t.t('actions.more')}
        title={t.t('actions.more')}
        onClick={toggle}
        onBlur={onBlur}
      >
        ⋯
      </button>
      {place &&
        createPortal(
          <div
            ref={menu}
            className="msg-menu"
            role="menu"
            aria-label={t.t('actions.more')}
            style={place}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.stopPropagation();
                close();
                button.current?.focus();
              }
            }}
            onBlur={onBlur}
          >
            <button type="button" role="menuitem" autoFocus onClick={() => pick('task')}>
              {t.t('actions.makeTask')}
            </button>
            {notesLabel && (
              <button type="button" role="menuitem" onClick={() => pick('notes')}>
                {notesLabel}
              </button>
            )}
            {hasContacts && (
              <button type="button" role="menuitem" onClick={() => pick('card')}>
                {t.t('actions.copyToCard')}
              </button>
            )}
          </div>,
          document.body,
        )}
    </span>
  );
}

function EditBox({ message, onDone }: { message: LocalMessage; onDone: () => void }) {
  const t = useI18n();
  const [body, setBody] = useState(message.body);
  const save = async () => {
    if (body.trim() && body !== message.body) {
      await unwrap(api.http.PATCH('/messages/{id}', { params: { path: { id: message.id } }, body: { body } })).catch(() => undefined);
    }
    onDone();
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onDone();
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void save();
    }
  };
  return (
    <div>
      <textarea className="textarea" autoFocus aria-label={t.t('common.edit')} value={body} onChange={(e) => setBody(e.target.value)} onKeyDown={onKey} rows={2} />
      <span className="hint">{t.t('chat.editHint')}</span>
    </div>
  );
}
