// Files in a phone chat: images as thumbnails that open full screen, other
// files as a card with name, size and download; the same for files still
// waiting in the outbox (shown from the bytes kept on the phone).
import { useEffect, useRef, useState } from 'react';
import type { Attachment } from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { useApp } from '../context';
import { downloadAttachment, fetchAttachment, formatSize, isInlineImage } from '../files';
import type { QueuedFile } from '../outbox';
import { useM } from '../strings';

/** Object URLs of images already fetched this session, by attachment id. */
const imageUrls = new Map<string, Promise<string>>();

function useImageUrl(a: Attachment): { url: string | null; failed: boolean } {
  const { api } = useApp();
  const [state, setState] = useState<{ url: string | null; failed: boolean }>({ url: null, failed: false });
  useEffect(() => {
    let live = true;
    let p = imageUrls.get(a.id);
    if (!p) {
      p = fetchAttachment(api, a).then((b) => URL.createObjectURL(b));
      imageUrls.set(a.id, p);
      // A failure is not remembered: the next look tries again.
      p.catch(() => imageUrls.delete(a.id));
    }
    p.then(
      (url) => live && setState({ url, failed: false }),
      () => live && setState({ url: null, failed: true }),
    );
    return () => {
      live = false;
    };
  }, [api, a]);
  return state;
}

/** What the viewer shows. */
export interface Viewing {
  url: string;
  attachment: Attachment;
}

/** A sent message's files: images first as a grid of thumbnails, then file cards. */
export function Attachments({ list, onOpen }: { list: Attachment[]; onOpen: (v: Viewing) => void }) {
  const images = list.filter((a) => isInlineImage(a.content_type));
  const files = list.filter((a) => !isInlineImage(a.content_type));
  return (
    <div className="files">
      {images.length > 0 && (
        <div className="thumbs">
          {images.map((a) => (
            <Thumb key={a.id} a={a} onOpen={onOpen} />
          ))}
        </div>
      )}
      {files.map((a) => (
        <FileCard key={a.id} name={a.filename} size={a.size_bytes} attachment={a} />
      ))}
    </div>
  );
}

export function Thumb({ a, onOpen }: { a: Attachment; onOpen: (v: Viewing) => void }) {
  const m = useM();
  const { url, failed } = useImageUrl(a);
  if (failed) return <FileCard name={a.filename} size={a.size_bytes} attachment={a} />;
  return (
    <button
      type="button"
      className="thumb"
      aria-label={m('file.open', { name: a.filename })}
      disabled={!url}
      onClick={() => url && onOpen({ url, attachment: a })}
    >
      {url ? <img src={url} alt="" /> : <span className="thumb-wait" aria-hidden="true" />}
    </button>
  );
}

const extOf = (name: string) => {
  const dot = name.lastIndexOf('.');
  return dot > 0 && name.length - dot <= 5 ? name.slice(dot + 1).toUpperCase() : '';
};

/** A file as a card; `attachment` when it can be downloaded, `status` while it waits. */
export function FileCard({
  name,
  size,
  attachment,
  status,
  image,
}: {
  name: string;
  size: number;
  attachment?: Attachment;
  status?: string;
  /** Bytes of an image to show in place of the type badge (a file being sent). */
  image?: Blob;
}) {
  const { api } = useApp();
  const { lang } = useI18n();
  const m = useM();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const download = async () => {
    if (!attachment) return;
    setBusy(true);
    setError(null);
    try {
      await downloadAttachment(api, attachment);
    } catch {
      setError(m('file.loadFailed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="file-card" data-file={name}>
      {image ? (
        <BlobThumb blob={image} small />
      ) : (
        <span className="file-icon" aria-hidden="true">
          {extOf(name) || '…'}
        </span>
      )}
      <span className="file-main">
        <span className="file-name">{name}</span>
        <span className="muted small">
          {formatSize(size, lang)}
          {status ? ` · ${status}` : ''}
        </span>
        {error && (
          <span role="alert" className="out-failed small">
            {error}
          </span>
        )}
      </span>
      {attachment && (
        <button
          type="button"
          className="small"
          aria-label={m('file.downloadName', { name })}
          disabled={busy}
          onClick={() => void download()}
        >
          {m('file.download')}
        </button>
      )}
    </div>
  );
}

/** Files of a message still in the outbox: images from the kept bytes, the rest as cards. */
export function QueuedFiles({ files, status }: { files: QueuedFile[]; status: string }) {
  return (
    <div className="files">
      {files.map((f) =>
        f.blob && f.type.startsWith('image/') ? (
          <BlobThumb key={f.key} blob={f.blob} />
        ) : (
          <FileCard key={f.key} name={f.name} size={f.size} status={status} />
        ),
      )}
    </div>
  );
}

function BlobThumb({ blob, small }: { blob: Blob; small?: boolean }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return <span className={small ? 'thumb thumb-small' : 'thumb'}>{url && <img src={url} alt="" />}</span>;
}

/** An image full screen, with close and download; Escape closes it. */
export function ImageViewer({ viewing, onClose }: { viewing: Viewing; onClose: () => void }) {
  const { api } = useApp();
  const m = useM();
  const close = useRef<HTMLButtonElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      before?.focus?.();
    };
  }, [onClose]);
  const a = viewing.attachment;
  return (
    <div className="viewer" role="dialog" aria-modal="true" aria-label={a.filename}>
      <div className="viewer-bar">
        <span className="viewer-name">{a.filename}</span>
        <button
          type="button"
          className="small"
          onClick={() => void downloadAttachment(api, a).catch(() => setError(m('file.loadFailed')))}
        >
          {m('file.download')}
        </button>
        <button ref={close} type="button" className="small" onClick={onClose}>
          {m('file.close')}
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <img className="viewer-img" src={viewing.url} alt={a.filename} />
    </div>
  );
}
