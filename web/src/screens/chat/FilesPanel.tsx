// A chat's files, newest first, page by page: images as thumbnails that open the
// lightbox, other files to download; each with its size, who sent it and when.
import { useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { unwrap, type ChatFile } from '@artel/client';
import { api } from '../../app/session';
import { useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { useI18n } from '@artel/client/i18n';
import { fileSize, isInlineImage } from '../../state/files';
import { Dialog } from '../../ui/Dialog';
import { errorMessage } from '../../ui/errors';
import { ErrorText } from '../../ui/Field';
import { Icon } from '../../ui/Icon';
import { toast } from '../../ui/Toast';
import { downloadFile, Lightbox, useImageUrl } from './files';

/** The query key of a chat's files (refreshed when a message with files comes or one goes). */
export const filesKey = (chatId: string) => ['files', chatId] as const;

export function FilesPanel({ chatId, onClose, asDialog }: { chatId: string; onClose: () => void; asDialog?: boolean }) {
  const t = useI18n();
  const files = useInfiniteQuery({
    queryKey: filesKey(chatId),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.http.GET('/chats/{id}/files', {
          params: { path: { id: chatId }, query: pageParam ? { cursor: pageParam } : {} },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const list = files.data?.pages.flatMap((p) => p.files) ?? [];
  const body = (
    <>
      {files.isError && <ErrorText error={errorMessage(files.error, t)} />}
      {files.isPending && <div className="skeleton" style={{ width: '70%' }} aria-busy="true" />}
      {files.isSuccess && list.length === 0 && <p className="muted">{t.t('files.empty')}</p>}
      {list.length > 0 && (
        <ul className="list files-list" aria-label={t.t('files.title')}>
          {list.map((f) => (
            <FileRow key={f.id} file={f} />
          ))}
        </ul>
      )}
      {files.hasNextPage && (
        <button type="button" className="btn" disabled={files.isFetchingNextPage} onClick={() => void files.fetchNextPage()}>
          {t.t('files.more')}
        </button>
      )}
    </>
  );
  if (asDialog)
    return (
      <Dialog title={t.t('files.title')} onClose={onClose}>
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
    <aside className="panel" aria-label={t.t('files.title')}>
      <header className="page-head">
        <h2>{t.t('files.title')}</h2>
        <span className="spacer" />
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label={t.t('common.close')}>
          <Icon name="close" />
        </button>
      </header>
      <div className="page-body">{body}</div>
    </aside>
  );
}

function FileRow({ file }: { file: ChatFile }) {
  const t = useI18n();
  const users = useUsers();
  const image = isInlineImage(file.content_type);
  const url = useImageUrl(file);
  const [open, setOpen] = useState(false);
  const download = () =>
    void downloadFile(file).catch(() => toast.show(t.t('files.failed', { name: file.filename })));
  return (
    <li className="file-row" data-file={file.filename}>
      {image && url ? (
        <button type="button" className="file-thumb" onClick={() => setOpen(true)} aria-label={t.t('files.open', { name: file.filename })}>
          <img src={url} alt="" />
        </button>
      ) : (
        <span className="file-thumb" aria-hidden="true">
          <Icon name="file" size={20} />
        </span>
      )}
      <span className="grow file-meta">
        <span className="file-name">{file.filename}</span>
        <span className="hint">
          {fileSize(file.size_bytes, t.lang)} · <span className="file-who">{userName(users.data, file.uploader_id)}</span> ·{' '}
          <time dateTime={file.sent_at}>{t.dateTime(file.sent_at)}</time>
        </span>
      </span>
      <button type="button" className="btn btn-ghost" onClick={download} aria-label={t.t('files.downloadName', { name: file.filename })}>
        {t.t('files.download')}
      </button>
      {open && url && <Lightbox a={file} url={url} onClose={() => setOpen(false)} />}
    </li>
  );
}
