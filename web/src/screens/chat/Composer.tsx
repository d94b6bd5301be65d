// The message box: Enter sends, Shift+Enter breaks the line, Up edits my last
// message, @ suggests people (sent as <@id>), files upload with a preview.
import { useMemo, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react';
import type { User } from '@api';
import { api, realtime } from '../../app/session';
import { useI18n } from '../../i18n';
import { errorMessage } from '../../ui/errors';
import { Icon } from '../../ui/Icon';

interface Props {
  chatId: string;
  placeholder: string;
  users: Map<string, User> | undefined;
  onSend: (body: string, attachmentIds: string[]) => Promise<void>;
  onEditLast?: () => void;
  autoFocus?: boolean;
}

interface Upload {
  id: string;
  name: string;
  preview: string | null;
}

// TODO(commands): slash-command autocomplete with inline results and errors, once
// the server's command endpoint (being built on another branch) is documented in
// the OpenAPI document; "/…" is sent as an ordinary message until then.

/** Turns "@Name" of people picked from the suggestions into the server's <@id> form. */
export function encodeMentions(body: string, picked: Map<string, string>): string {
  let out = body;
  for (const [name, id] of picked) out = out.split(`@${name}`).join(`<@${id}>`);
  return out;
}

export function Composer({ chatId, placeholder, users, onSend, onEditLast, autoFocus }: Props) {
  const t = useI18n();
  const [text, setText] = useState('');
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [suggest, setSuggest] = useState(0);
  const picked = useRef(new Map<string, string>());
  const lastTyping = useRef(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const mention = /(?:^|\s)@([\p{L}\p{N}_.-]*)$/u.exec(text.slice(0, box.current?.selectionStart ?? text.length));
  const candidates = useMemo(() => {
    if (!mention || !users) return [];
    const q = (mention[1] ?? '').toLowerCase();
    return [...users.values()].filter((u) => !u.deactivated_at && u.name.toLowerCase().includes(q)).slice(0, 6);
  }, [mention, users]);

  const pick = (u: User) => {
    if (!mention) return;
    const cut = text.length - (mention[1] ?? '').length;
    picked.current.set(u.name, u.id);
    setText(text.slice(0, cut) + u.name + ' ');
    setSuggest(0);
    box.current?.focus();
  };

  const submit = async () => {
    const body = encodeMentions(text.trim(), picked.current);
    if (!body && uploads.length === 0) return;
    const ids = uploads.map((u) => u.id);
    setText('');
    setUploads([]);
    picked.current.clear();
    uploads.forEach((u) => u.preview && URL.revokeObjectURL(u.preview));
    await onSend(body, ids);
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (candidates.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setSuggest((s) => (s + (e.key === 'ArrowDown' ? 1 : candidates.length - 1)) % candidates.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        const c = candidates[suggest];
        if (c) pick(c);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    } else if (e.key === 'ArrowUp' && text === '' && onEditLast) {
      e.preventDefault();
      onEditLast();
    }
  };

  const onChange = (e: ChangeEvent<HTMLTextAreaElement>) => {
    setText(e.target.value);
    const now = Date.now();
    if (now - lastTyping.current > 3000 && e.target.value) {
      lastTyping.current = now;
      realtime.typing(chatId);
    }
  };

  const onFiles = async (files: FileList | null) => {
    if (!files?.length) return;
    setBusy(true);
    setError(null);
    try {
      for (const f of Array.from(files)) {
        const a = await api.upload(chatId, f, f.name);
        setUploads((u) => [...u, { id: a.id, name: a.filename, preview: f.type.startsWith('image/') ? URL.createObjectURL(f) : null }]);
      }
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  return (
    <div className="composer">
      {candidates.length > 0 && (
        <ul className="switcher-list" role="listbox" aria-label="@">
          {candidates.map((u, i) => (
            <li key={u.id} role="option" aria-selected={i === suggest} onMouseDown={(e) => (e.preventDefault(), pick(u))}>
              @{u.name}
            </li>
          ))}
        </ul>
      )}
      {uploads.length > 0 && (
        <div className="attachments" style={{ marginBottom: 8 }}>
          {uploads.map((u) =>
            u.preview ? <img key={u.id} src={u.preview} alt={u.name} style={{ maxHeight: 80 }} /> : <span key={u.id} className="file-chip">📎 {u.name}</span>,
          )}
        </div>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div className="composer-box">
        <button type="button" className="btn btn-ghost btn-icon" aria-label={t.t('chat.attach')} title={t.t('chat.attach')} disabled={busy} onClick={() => fileInput.current?.click()}>
          <Icon name="clip" />
        </button>
        <input ref={fileInput} type="file" multiple hidden onChange={(e) => void onFiles(e.target.files)} />
        <textarea
          ref={box}
          rows={1}
          value={text}
          autoFocus={autoFocus}
          placeholder={placeholder}
          aria-label={placeholder}
          onChange={onChange}
          onKeyDown={onKey}
          onPaste={(e) => {
            if (e.clipboardData.files.length) {
              e.preventDefault();
              void onFiles(e.clipboardData.files);
            }
          }}
        />
        <button type="button" className="btn btn-primary" onClick={() => void submit()} disabled={busy}>
          {busy ? t.t('chat.upload') : t.t('chat.send')}
        </button>
      </div>
    </div>
  );
}
