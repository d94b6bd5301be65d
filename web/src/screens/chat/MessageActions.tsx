// From talk to record in one action: a message becomes a task, a quote in its
// client's notes, or a phone / e-mail on a client's card, each with a link
// back to the message.
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { ApiError, unwrap, type Chat, type Company, type Contact } from '@artel/client';
import { api } from '../../app/session';
import type { Translator } from '@artel/client/i18n';
import { useI18n } from '@artel/client/i18n';
import { appendNote, findContacts, hasEmail, hasPhone, noteQuote } from '../../state/actions';
import { Dialog } from '../../ui/Dialog';
import { errorMessage } from '../../ui/errors';
import { toast } from '../../ui/Toast';

export type ClientKind = 'contact' | 'company';
export interface ClientRef {
  kind: ClientKind;
  id: string;
}
type Client = Contact | Company;

const getClient = (ref: ClientRef): Promise<Client> =>
  ref.kind === 'contact'
    ? unwrap(api.http.GET('/contacts/{id}', { params: { path: { id: ref.id } } }))
    : unwrap(api.http.GET('/companies/{id}', { params: { path: { id: ref.id } } }));

const patchClient = (ref: ClientRef, body: { notes?: string; phones?: string[]; emails?: string[] }): Promise<unknown> =>
  ref.kind === 'contact'
    ? unwrap(api.http.PATCH('/contacts/{id}', { params: { path: { id: ref.id } }, body }))
    : unwrap(api.http.PATCH('/companies/{id}', { params: { path: { id: ref.id } }, body }));

/**
 * The client a chat's notes and card actions go to: the contact or company
 * of a contact's or company's chat; for a deal's chat, the deal's contact (or
 * its company). Deals have no notes field of their own in the API.
 * `undefined` while loading, `null` when there is none.
 */
export function useClientOf(chat: Chat | undefined): { ref: ClientRef | null | undefined; name: string } {
  const e = chat?.entity;
  const deal = useQuery({
    queryKey: ['deal', e?.id ?? ''],
    queryFn: () => unwrap(api.http.GET('/deals/{id}', { params: { path: { id: e!.id } } })),
    enabled: e?.kind === 'deal',
  });
  let ref: ClientRef | null | undefined = null;
  if (e?.kind === 'contact' || e?.kind === 'company') ref = { kind: e.kind, id: e.id };
  else if (e?.kind === 'deal') {
    const d = deal.data;
    ref = !d ? undefined : d.contact_id ? { kind: 'contact', id: d.contact_id } : d.company_id ? { kind: 'company', id: d.company_id } : null;
  }
  const client = useQuery({
    queryKey: [ref?.kind ?? 'contact', ref?.id ?? ''],
    queryFn: () => getClient(ref!),
    enabled: Boolean(ref),
  });
  return { ref, name: client.data?.name ?? '' };
}

function refreshClient(qc: QueryClient, ref: ClientRef) {
  void qc.invalidateQueries({ queryKey: [ref.kind, ref.id] });
}

function failure(err: unknown, t: Translator): string {
  if (err instanceof ApiError && err.status === 403) return t.t('actions.forbidden');
  return errorMessage(err, t);
}

/**
 * Appends a quote to the client's notes from the freshest copy. A 409 (should
 * the server ever version these records) reloads and retries once, then says so.
 */
export async function addToNotes(
  qc: QueryClient,
  t: Translator,
  ref: ClientRef,
  quote: string,
): Promise<void> {
  let name = '';
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const fresh = await getClient(ref);
      name = fresh.name;
      try {
        await patchClient(ref, { notes: appendNote(fresh.notes, quote) });
        refreshClient(qc, ref);
        toast.show(t.t('actions.notesAdded', { name }));
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409)) throw err;
      }
    }
    refreshClient(qc, ref);
    toast.show(t.t('actions.notesConflict', { name }));
  } catch (err) {
    toast.show(failure(err, t));
  }
}

/** Builds the quote of a message for notes. */
export function quoteOf(t: Translator, text: string, author: string, createdAt: string, link: string): string {
  return noteQuote(text, author, t.dateTime(createdAt), link);
}

/** Phones and e-mails found in a message, added to a card the user picks. */
export function CopyToCardDialog({ text, initial, onClose }: { text: string; initial: ClientRef | null; onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const found = findContacts(text);
  const [target, setTarget] = useState<ClientRef | null>(initial);
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const card = useQuery({ queryKey: [target?.kind ?? 'contact', target?.id ?? ''], queryFn: () => getClient(target!), enabled: Boolean(target) });
  const initialCard = useQuery({ queryKey: [initial?.kind ?? 'contact', initial?.id ?? ''], queryFn: () => getClient(initial!), enabled: Boolean(initial) });
  const search = useQuery({
    queryKey: ['contacts', 'pick', query.trim()],
    queryFn: () => unwrap(api.http.GET('/contacts', { params: { query: { text: query.trim(), limit: 6 } } })),
    enabled: query.trim().length >= 2,
  });

  const onCard = (v: string, isPhone: boolean) =>
    card.data ? (isPhone ? hasPhone(card.data.phones.map((p) => p.e164), v) : hasEmail(card.data.emails, v)) : false;
  const values = [...found.phones.map((v) => ({ v, phone: true })), ...found.emails.map((v) => ({ v, phone: false }))];
  const fresh = values.filter((x) => !onCard(x.v, x.phone));
  const chosen = picked ?? fresh.map((x) => x.v);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!target) return setError(t.t('actions.pickCard'));
    const add = fresh.filter((x) => chosen.includes(x.v));
    if (!add.length) return setError(fresh.length ? t.t('actions.pickValue') : t.t('actions.nothingNew'));
    setBusy(true);
    try {
      const now = await getClient(target);
      const phones = add.filter((x) => x.phone && !hasPhone(now.phones.map((p) => p.e164), x.v)).map((x) => x.v);
      const emails = add.filter((x) => !x.phone && !hasEmail(now.emails, x.v)).map((x) => x.v);
      if (!phones.length && !emails.length) {
        refreshClient(qc, target);
        setError(t.t('actions.nothingNew'));
        return;
      }
      const body: { phones?: string[]; emails?: string[] } = {};
      // Existing numbers go back as they were typed: the server re-reads them the same way.
      if (phones.length) body.phones = [...now.phones.map((p) => p.raw || p.e164), ...phones];
      if (emails.length) body.emails = [...now.emails, ...emails];
      await patchClient(target, body);
      refreshClient(qc, target);
      toast.show(t.t('actions.copied', { name: now.name }));
      onClose();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && (err.field === 'phones' || err.field === 'emails')) {
        // The server names the value it refused in quotes; show it in the reader's words.
        const value = /"([^"]+)"/.exec(err.message)?.[1] ?? add.map((x) => x.v).join(', ');
        setError(t.t(err.field === 'phones' ? 'actions.invalidPhone' : 'actions.invalidEmail', { value }));
      } else setError(failure(err, t));
    } finally {
      setBusy(false);
    }
  };

  const choices: { ref: ClientRef; name: string }[] = [];
  if (initial && initialCard.data) choices.push({ ref: initial, name: initialCard.data.name });
  for (const c of search.data?.items ?? []) if (!choices.some((x) => x.ref.id === c.id)) choices.push({ ref: { kind: 'contact', id: c.id }, name: c.name });
  if (target && card.data && !choices.some((x) => x.ref.id === target.id)) choices.push({ ref: target, name: card.data.name });

  return (
    <Dialog title={t.t('actions.cardTitle')} onClose={onClose}>
      <form className="copy-card" onSubmit={(e) => void save(e)} aria-label={t.t('actions.cardTitle')}>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <fieldset className="field">
          <legend>{t.t('actions.found')}</legend>
          {values.map((x) => {
            const already = onCard(x.v, x.phone);
            return (
              <label key={x.v} className="check">
                <input
                  type="checkbox"
                  disabled={already}
                  checked={!already && chosen.includes(x.v)}
                  onChange={(e) => setPicked(e.target.checked ? [...chosen, x.v] : chosen.filter((v) => v !== x.v))}
                />
                {x.v}
                {already && <span className="muted"> — {t.t('actions.already')}</span>}
              </label>
            );
          })}
        </fieldset>
        <fieldset className="field">
          <legend>{t.t('actions.target')}</legend>
          {choices.map((c) => (
            <label key={c.ref.id} className="check">
              <input type="radio" name="copy-target" checked={target?.id === c.ref.id} onChange={() => (setTarget(c.ref), setPicked(null))} />
              {c.name}
            </label>
          ))}
          <input
            className="input"
            type="search"
            aria-label={t.t('actions.otherContact')}
            placeholder={t.t('actions.otherContact')}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          {search.isSuccess && search.data.items.length === 0 && <p className="muted">{t.t('actions.noneFound')}</p>}
        </fieldset>
        <div className="row">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {t.t('actions.copy')}
          </button>
          <button className="btn btn-ghost" type="button" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
