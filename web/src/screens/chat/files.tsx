// Sent files in the web client, for a message and for the chat's Files panel.
// Files are served to chat members with the bearer token, so images load via
// fetch (a plain <img src> would carry no token) and downloads go through a blob.
import { useEffect, useState } from 'react';
import type { Attachment } from '@artel/client';
import { api } from '../../app/session';
import { useI18n } from '@artel/client/i18n';
import { fileSize, isInlineImage } from '../../state/files';
import { Dialog } from '../../ui/Dialog';
import { Icon } from '../../ui/Icon';

export type FileRef = Pick<Attachment, 'url' | 'filename' | 'content_type' | 'size_bytes'>;

async function fetchFile(a: FileRef): Promise<Blob> {
  const token = await api.accessToken();
  const res = await fetch(a.url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`download failed: ${res.status}`);
  return res.blob();
}

/** Saves the file the way a link with `download` would; rejects when it cannot be fetched. */
export async function downloadFile(a: FileRef): Promise<void> {
  const href = URL.createObjectURL(await fetchFile(a));
  const link = document.createElement('a');
  link.href = href;
  link.download = a.filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}

/** An object URL of the image's bytes while mounted (null until loaded, or for other types). */
export function useImageUrl(a: FileRef): string | null {
  const isImage = isInlineImage(a.content_type);
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!isImage) return;
    let revoked = false;
    let objectUrl: string | null = null;
    void fetchFile(a)
      .then((blob) => {
        if (revoked) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      })
      .catch(() => undefined);
    return () => {
      revoked = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [a.url, isImage]);
  return url;
}

/** The image full size, with its size and a download button. */
export function Lightbox({ a, url, onClose }: { a: FileRef; url: string; onClose: () => void }) {
  const t = useI18n();
  return (
    <Dialog title={t.t('files.viewer', { name: a.filename })} onClose={onClose} wide>
      <img className="lightbox-image" src={url} alt={a.filename} />
      <div className="row" style={{ marginTop: 12 }}>
        <span className="muted">{fileSize(a.size_bytes, t.lang)}</span>
        <span className="spacer" />
        <button type="button" className="btn" onClick={() => void downloadFile(a).catch(() => undefined)}>
          {t.t('files.download')}
        </button>
        <button type="button" className="btn btn-primary" onClick={onClose}>
          {t.t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}

/** A file of a message: an image as a thumbnail opening the lightbox, the rest as a download chip. */
export function AttachmentView({ a }: { a: Attachment }) {
  const t = useI18n();
  const url = useImageUrl(a);
  const [open, setOpen] = useState(false);
  if (url)
    return (
      <>
        <button type="button" className="image-open" onClick={() => setOpen(true)} aria-label={t.t('files.open', { name: a.filename })}>
          <img src={url} alt={a.filename} loading="lazy" />
        </button>
        {open && <Lightbox a={a} url={url} onClose={() => setOpen(false)} />}
      </>
    );
  return (
    <button type="button" className="file-chip btn" onClick={() => void downloadFile(a).catch(() => undefined)}>
      <Icon name="clip" /> {a.filename} <span className="muted">({fileSize(a.size_bytes, t.lang)})</span>
    </button>
  );
}
