// Files on the phone: an upload with progress (fetch reports none, so XHR),
// sizes in the reader's words, and downloads with the bearer token (the
// attachment URL needs it, so a plain link would not do).
import { ApiError, type ApiClient, type Attachment } from '@artel/client';

/** Types the server shows inline (the rest are downloads). */
export function isInlineImage(contentType: string): boolean {
  return /^image\/(png|jpeg|gif|webp)$/.test(contentType);
}

/** "820 B", "14 KB", "3.2 MB" (", " in Russian: "3,2 МБ"). */
export function formatSize(bytes: number, lang: 'ru' | 'en'): string {
  const units = lang === 'ru' ? ['Б', 'КБ', 'МБ', 'ГБ'] : ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  const digits = u === 0 || n >= 10 ? 0 : 1;
  const num = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: digits }).format(n);
  return `${num}\u00a0${units[u]}`;
}

export interface UploadHandle {
  done: Promise<Attachment>;
  abort: () => void;
}

/**
 * Uploads `file` into a chat, calling `onProgress` with 0..1. Fails with an
 * ApiError: status 0 when the network is not there (the caller may queue the
 * file instead), 4xx when the server refuses it. One 401 refreshes the token.
 */
export function uploadWithProgress(
  api: ApiClient,
  chatId: string,
  file: Blob,
  filename: string,
  onProgress: (fraction: number) => void,
): UploadHandle {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const once = (token: string | null) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const x = new XMLHttpRequest();
      xhr = x;
      const url = `${api.baseUrl}/chats/${encodeURIComponent(chatId)}/attachments?filename=${encodeURIComponent(filename)}`;
      x.open('POST', url);
      if (token) x.setRequestHeader('authorization', `Bearer ${token}`);
      x.setRequestHeader('content-type', 'application/octet-stream');
      x.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      x.onload = () => {
        let body: unknown = null;
        try {
          body = x.responseText ? JSON.parse(x.responseText) : null;
        } catch {
          body = null;
        }
        resolve({ status: x.status, body });
      };
      x.onerror = () => reject(new ApiError(0, 'network', 'the server cannot be reached'));
      x.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
      x.send(file);
    });
  const done = (async () => {
    let r = await once(await api.accessToken());
    if (r.status === 401 && !aborted) r = await once((await api.refresh())?.accessToken ?? null);
    if (r.status >= 200 && r.status < 300) {
      onProgress(1);
      return r.body as Attachment;
    }
    throw ApiError.from(r.status, r.body);
  })();
  return {
    done,
    abort: () => {
      aborted = true;
      (xhr as XMLHttpRequest | null)?.abort();
    },
  };
}

/** The file's bytes, fetched with the bearer token. */
export async function fetchAttachment(api: ApiClient, a: Pick<Attachment, 'url'>): Promise<Blob> {
  const token = await api.accessToken();
  const res = await fetch(a.url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw ApiError.from(res.status, await res.json().catch(() => null));
  return res.blob();
}

/** Saves the file the way a link with `download` would. */
export async function downloadAttachment(api: ApiClient, a: Pick<Attachment, 'url' | 'filename'>): Promise<void> {
  const blob = await fetchAttachment(api, a);
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = a.filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
