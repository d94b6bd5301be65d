// The message box: Enter sends, Shift+Enter breaks the line, Up edits my last
// message, @ suggests people (sent as <@id>), files upload with a preview.
// A line starting with "/" is a slash-command: the server suggests as it is
// typed, and the command runs over REST so its result (or its refusal with the
// usage line) is shown here, to the issuer only; when the chat also got a
// notice of it (everyone sees that), the result says so.
import { useEffect, useMemo, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type User } from '@artel/client';
import { api, newClientId, realtime } from '../../app/session';
import { keys, refreshRecords } from '../../app/live';
import { useI18n, type Translator } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { Icon } from '../../ui/Icon';
import { useFitting } from '../../ui/fit';
import {
  applySuggestion,
  commandFailure,
  enterPicks,
  isCommandLine,
  type CommandFailure,
  type CommandResult,
  type Suggestion,
} from '../../state/commands';
import { narrowStale, orderStages } from '../../state/suggest';

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

/** What the last command said, shown above the box until dismissed. */
type Outcome = { ok: true; line: string; result: CommandResult } | { ok: false; line: string; failure: CommandFailure };

/** The line typed so far, settled for a moment (no request per keystroke). */
function useSettled(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return settled;
}

/** The server's suggestions for what is typed now, and how to get them right away. */
interface CommandSuggestions {
  items: Suggestion[];
  /** The answer shown is for an earlier line (or is being refreshed). */
  stale: boolean;
  /** The answer for exactly this line, fetched now. */
  fresh: (line: string) => Promise<Suggestion[]>;
}

/** Server suggestions for a command line (none for other text). */
function useCommandSuggestions(chatId: string, line: string): CommandSuggestions {
  const qc = useQueryClient();
  const settled = useSettled(line, 80);
  const on = isCommandLine(settled) && settled.length <= 2000;
  const fetchFor = (l: string) => async () => {
    const r = await api.http.GET('/commands/complete', { params: { query: { chat_id: chatId, line: l } } });
    return r.data?.items ?? [];
  };
  const q = useQuery({
    queryKey: ['complete', chatId, settled],
    queryFn: fetchFor(settled),
    enabled: on,
    // Stages and people change (a deal moves, a stage is renamed): ask again each time.
    staleTime: 0,
    placeholderData: (prev) => prev,
  });
  const items = q.data ?? [];
  const wantsStages = items.some((s) => s.kind === 'stage');
  const pipelines = useQuery({
    queryKey: keys.pipelines,
    queryFn: () => unwrap(api.http.GET('/pipelines')),
    // A funnel made or changed since the list was loaded must order its stages too.
    staleTime: 0,
    enabled: wantsStages,
  });
  const fresh = (l: string) => qc.fetchQuery({ queryKey: ['complete', chatId, l], queryFn: fetchFor(l), staleTime: 0 });
  if (!on || !isCommandLine(line)) return { items: [], stale: false, fresh };
  // Until the answer for this very line is in, the last one is narrowed to
  // what still fits, so neither the list nor Tab offers what no longer does.
  const stale = q.isPlaceholderData || settled !== line || q.isFetching;
  const lineLength = Array.from(line).length;
  const shown = stale ? narrowStale(line, items.filter((s) => s.replace_from <= lineLength)) : items;
  return { items: orderStages(line, shown, pipelines.data), stale, fresh };
}

/** A stage's kind comes as a code (open, won, lost): shown in the reader's words. */
function suggestionDetail(s: Suggestion, t: Translator): string {
  if (s.kind === 'stage' && (s.detail === 'open' || s.detail === 'won' || s.detail === 'lost')) return t.t(`pipeline.kind.${s.detail}`);
  return s.detail ?? '';
}

/** Turns "@Name" of people picked from the suggestions into the server's <@id> form. */
export function encodeMentions(body: string, picked: Map<string, string>): string {
  let out = body;
  for (const [name, id] of picked) out = out.split(`@${name}`).join(`<@${id}>`);
  return out;
}

export function Composer({ chatId, placeholder, users, onSend, onEditLast, autoFocus }: Props) {
  const t = useI18n();
  const qc = useQueryClient();
  const [text, setText] = useState('');
  // The text as typed so far, for answers that arrive after more was typed.
  const latest = useRef(text);
  latest.current = text;
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [suggest, setSuggest] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [undoing, setUndoing] = useState(false);
  const picked = useRef(new Map<string, string>());
  const lastTyping = useRef(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  // "Message #general" where it fits, "Message" on a phone; the full one stays the name.
  const shownPlaceholder = useFitting(box, placeholder, t.t('chat.placeholderShort'));

  const mention = /(?:^|\s)@([\p{L}\p{N}_.-]*)$/u.exec(text.slice(0, box.current?.selectionStart ?? text.length));
  const lineToCursor = text.slice(0, box.current?.selectionStart ?? text.length);
  const commands = useCommandSuggestions(chatId, lineToCursor);
  const commandItems = commands.items;
  const commandOpen = commandItems.length > 0 && dismissed !== text;
  const candidates = useMemo(() => {
    if (!mention || !users || isCommandLine(text)) return [];
    const q = (mention[1] ?? '').toLowerCase();
    return [...users.values()].filter((u) => !u.deactivated_at && u.name.toLowerCase().includes(q)).slice(0, 6);
  }, [mention, users, text]);

  const pick = (u: User) => {
    if (!mention) return;
    const cut = text.length - (mention[1] ?? '').length;
    picked.current.set(u.name, u.id);
    setText(text.slice(0, cut) + u.name + ' ');
    setSuggest(0);
    box.current?.focus();
  };

  const pickCommand = (s: Suggestion) => {
    const now = latest.current;
    const at = box.current?.selectionStart ?? now.length;
    const applied = applySuggestion(now.slice(0, at), s);
    if (applied.mention) picked.current.set(applied.mention.name, applied.mention.id);
    const next = applied.text + now.slice(at);
    setText(next);
    setSuggest(0);
    requestAnimationFrame(() => {
      box.current?.focus();
      box.current?.setSelectionRange(applied.text.length, applied.text.length);
    });
  };

  /**
   * Tab pressed before the answer for this line came: take the chosen item if
   * the fresh answer still has it, else the fresh answer's first.
   */
  const pickFresh = async (line: string, chosen: Suggestion | undefined) => {
    try {
      const items = orderStages(line, await commands.fresh(line), qc.getQueryData(keys.pipelines));
      // Typed on meanwhile: the answer is for a line that is gone; keep what was typed.
      if (latest.current.slice(0, box.current?.selectionStart ?? latest.current.length) !== line) return;
      const same = chosen && items.find((s) => s.kind === chosen.kind && s.insert === chosen.insert);
      const take = same ?? items[0];
      if (take) pickCommand(take);
    } catch (err) {
      setError(errorMessage(err, t));
    }
  };

  /** Runs a command over REST: the answer is for me only, shown inline. */
  const runCommand = async (line: string) => {
    setBusy(true);
    setOutcome(null);
    try {
      const r = await api.http.POST('/chats/{id}/messages', {
        params: { path: { id: chatId } },
        body: { body: line, client_msg_id: newClientId() },
      });
      if (r.response.ok && r.data && 'command' in r.data) {
        setOutcome({ ok: true, line, result: r.data as CommandResult });
        refreshRecords(qc);
        setText('');
        picked.current.clear();
      } else if (r.response.ok) {
        setText(''); // sent as an ordinary message ("//…")
      } else {
        setOutcome({ ok: false, line, failure: commandFailure(r.response.status, r.error) });
      }
    } catch (err) {
      setOutcome({ ok: false, line, failure: { code: 'network', message: errorMessage(err, t) } });
    } finally {
      setBusy(false);
    }
  };

  const undo = async (id: string) => {
    setUndoing(true);
    try {
      const r = await api.http.POST('/commands/{id}/undo', { params: { path: { id } } });
      if (r.response.ok && r.data) {
        setOutcome({ ok: true, line: '/undo', result: r.data });
        refreshRecords(qc);
      }
      else setOutcome({ ok: false, line: '/undo', failure: commandFailure(r.response.status, r.error) });
    } finally {
      setUndoing(false);
    }
  };

  const submit = async () => {
    if (isCommandLine(text.trim()) && uploads.length === 0) {
      await runCommand(encodeMentions(text.trim(), picked.current));
      return;
    }
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
    if (commandOpen) {
      const n = commandItems.length;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setSuggest((s) => (Math.min(s, n - 1) + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      const current = commandItems[Math.min(suggest, n - 1)];
      if (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey && enterPicks(text, current))) {
        e.preventDefault();
        if (commands.stale) void pickFresh(lineToCursor, current);
        else if (current) pickCommand(current);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        setDismissed(text);
        return;
      }
    } else if (e.key === 'Escape' && outcome) {
      e.preventDefault();
      e.stopPropagation();
      setOutcome(null);
      return;
    }
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
    setSuggest(0);
    const now = Date.now();
    if (now - lastTyping.current > 3000 && e.target.value) {
      lastTyping.current = now;
      realtime.typing(chatId);
    }
  };

  /** Takes a file off the message before it is sent (the upload is simply never referenced). */
  const unattach = (id: string) =>
    setUploads((list) => {
      list.filter((u) => u.id === id).forEach((u) => u.preview && URL.revokeObjectURL(u.preview));
      return list.filter((u) => u.id !== id);
    });

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

  const active = commandOpen ? Math.min(suggest, commandItems.length - 1) : -1;
  const listId = `cmd-${chatId}`;
  return (
    <div className="composer">
      {outcome && (
        <div className={`command-outcome${outcome.ok ? '' : ' failed'}`} role={outcome.ok ? 'status' : 'alert'} data-testid="command-outcome">
          <div className="command-line">
            <code>{outcome.line}</code>
            <span className="hint">{t.t(outcome.ok && outcome.result.shared ? 'commands.shared' : 'commands.onlyYou')}</span>
            <span className="spacer" />
            {outcome.ok && outcome.result.undo_until && new Date(outcome.result.undo_until).getTime() > Date.now() && (
              <button type="button" className="btn btn-ghost" disabled={undoing} onClick={() => void undo(outcome.result.id)}>
                {t.t('commands.undo')}
              </button>
            )}
            <button type="button" className="btn btn-ghost btn-icon" aria-label={t.t('common.close')} onClick={() => setOutcome(null)}>
              ×
            </button>
          </div>
          {outcome.ok ? (
            <p className="command-text">{outcome.result.text}</p>
          ) : (
            <>
              <p className="command-text error-text">{outcome.failure.message}</p>
              {outcome.failure.usage && (
                <p className="hint">
                  {t.t('commands.usage')} <code>{outcome.failure.usage}</code>
                </p>
              )}
            </>
          )}
        </div>
      )}
      {commandOpen && (
        <ul className="switcher-list command-list" id={listId} role="listbox" aria-label={t.t('commands.title')}>
          {commandItems.map((s, i) => (
            <li
              key={`${s.kind}:${s.insert}`}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseEnter={() => setSuggest(i)}
              onMouseDown={(e) => (e.preventDefault(), pickCommand(s))}
            >
              <span className="command-label">{s.label}</span>
              {s.detail && <span className="hint">{suggestionDetail(s, t)}</span>}
            </li>
          ))}
        </ul>
      )}
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
          {uploads.map((u) => (
            <span key={u.id} className="upload-chip" data-testid="upload">
              {u.preview ? <img src={u.preview} alt={u.name} style={{ maxHeight: 80 }} /> : <span className="file-chip">📎 {u.name}</span>}
              <button type="button" className="btn btn-ghost btn-icon" aria-label={t.t('files.remove', { name: u.name })} title={t.t('files.remove', { name: u.name })} onClick={() => unattach(u.id)}>
                <Icon name="close" size={14} />
              </button>
            </span>
          ))}
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
          placeholder={shownPlaceholder}
          aria-label={placeholder}
          title={shownPlaceholder === placeholder ? undefined : placeholder}
          aria-autocomplete={commandOpen ? 'list' : undefined}
          aria-controls={commandOpen ? listId : undefined}
          aria-activedescendant={commandOpen && active >= 0 ? `${listId}-${active}` : undefined}
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
