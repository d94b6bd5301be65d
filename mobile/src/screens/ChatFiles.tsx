// A chat's files on the phone, opened from the chat's header: newest first, page
// by page, each with who sent it and when; images open in the viewer, the rest
// download. Needs the network (nothing of it is kept offline).
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, unwrap, type ChatFile } from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { useApp } from '../context';
import { formatSize, isInlineImage } from '../files';
import { useM } from '../strings';
import { Header } from './common';
import { FileCard, Thumb, type Viewing } from './Files';

export function ChatFiles({ chatId, onClose, onOpen }: { chatId: string; onClose: () => void; onOpen: (v: Viewing) => void }) {
  const { api, users, learnUsers } = useApp();
  const { t, dateTime, lang } = useI18n();
  const m = useM();
  const [files, setFiles] = useState<ChatFile[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState('');
  const load = useCallback(
    async (cursor: string | null) => {
      setState('loading');
      try {
        const page = await unwrap(
          api.http.GET('/chats/{id}/files', { params: { path: { id: chatId }, query: cursor ? { cursor } : {} } }),
        );
        learnUsers(page.files.map((f) => f.uploader_id));
        setFiles((old) => (cursor ? [...old, ...page.files] : page.files));
        setNext(page.next_cursor ?? null);
        setState('ready');
      } catch (e) {
        setError(e instanceof ApiError && e.status !== 0 ? t('chat.noAccess') : m('out.offline'));
        setState('error');
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, chatId],
  );
  useEffect(() => {
    void load(null);
  }, [load]);
  // Focus moves in (to "back") and returns on close; Escape closes unless the
  // image viewer above it takes the key.
  const sheet = useRef<HTMLElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    sheet.current?.querySelector<HTMLElement>('button')?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && !document.querySelector('.viewer') && onClose();
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      before?.focus?.();
    };
  }, [onClose]);
  return (
    <section ref={sheet} className="sheet" role="dialog" aria-modal="true" aria-label={t('files.title')}>
      <Header title={t('files.title')} back={onClose} />
      {state === 'error' && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {state === 'ready' && files.length === 0 && <p className="note">{t('files.empty')}</p>}
      <ul className="chat-files">
        {files.map((f) => {
          const meta = `${users.get(f.uploader_id)?.name ?? '…'} · ${dateTime(f.sent_at)}`;
          return (
            <li key={f.id} data-file={f.filename}>
              {isInlineImage(f.content_type) ? (
                <>
                  <Thumb a={f} onOpen={onOpen} />
                  <span className="small">
                    <span className="file-name">{f.filename}</span> {formatSize(f.size_bytes, lang)}
                  </span>
                </>
              ) : (
                <FileCard name={f.filename} size={f.size_bytes} attachment={f} />
              )}
              <span className="muted small">{meta}</span>
            </li>
          );
        })}
      </ul>
      {next && (
        <button type="button" className="more" disabled={state === 'loading'} onClick={() => void load(next)}>
          {t('files.more')}
        </button>
      )}
    </section>
  );
}
