// Editing pieces shared by the deal, contact and company cards and their create
// forms: a field edited in place (its draft survives a refused save), people and
// client pickers, and custom fields rendered by their kind.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ApiError, unwrap, type User } from '@artel/client';
import { api } from '../../app/session';
import { useUsers } from '../../app/data';
import { useI18n, type Translator } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { customToDraft, draftToCustom, isDraftError, type CustomDraft, type FieldKind } from './forms';
import type { components } from '@artel/client';

export type CustomField = components['schemas']['CustomFieldDto'];

/** Field definitions of one record kind, in card order. */
export function useCustomFields(entity: 'deal' | 'contact' | 'company') {
  return useQuery({
    queryKey: ['custom-fields', entity],
    queryFn: () => unwrap(api.http.GET('/custom-fields', { params: { query: { entity } } })),
    select: (list) => [...list].sort((a, b) => a.position - b.position),
    staleTime: 60_000,
  });
}

/**
 * What to show under a field the server refused. Its own words in the English
 * UI; the Russian UI says it in Russian and keeps the server's detail (marked
 * as English) for whoever needs it.
 */
export function serverFieldError(err: unknown, t: Translator): string {
  if (err instanceof ApiError && err.status === 422) {
    return t.lang === 'en' ? capital(err.message) : t.t('form.invalidValue');
  }
  if (err instanceof ApiError && err.status === 403) return t.t('form.forbidden');
  return errorMessage(err, t);
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The field a 422 names (`phones`, `custom.budget`), if any. */
export function errorField(err: unknown): string | undefined {
  return err instanceof ApiError && err.status === 422 ? err.field : undefined;
}

/** A save refused as stale; `version` is the one just reloaded, to base a retry on. */
export class ConflictError extends Error {
  constructor(readonly version?: number) {
    super('conflict');
  }
}

/**
 * One field of a card: its value, an edit button, and in edit mode the editor
 * with Save/Cancel. A refused save keeps the editor open with what was typed,
 * and says why next to it (a conflict, a bad value, no right).
 */
export function InlineField<T>({
  label,
  name,
  view,
  initial,
  editor,
  onSave,
  disabled,
  version,
}: {
  label: string;
  /** Stable name for tests and for matching a server error's `field`. */
  name: string;
  view: ReactNode;
  initial: () => T;
  editor: (value: T, set: (v: T) => void, id: string) => ReactNode;
  /**
   * Resolves when saved; throws to keep the editor open. `base` is the record's
   * version when the edit began (a change by someone else since is a conflict).
   */
  onSave: (value: T, base: number) => Promise<void>;
  disabled?: boolean;
  version?: number;
}) {
  const t = useI18n();
  const id = useId();
  const [draft, setDraft] = useState<{ value: T; base: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    setError(null);
    try {
      await onSave(draft.value, draft.base);
      setDraft(null);
    } catch (err) {
      if (err instanceof ConflictError) {
        // What was typed stays; a second Save means "over their change", knowingly.
        const base = err.version ?? draft.base;
        setDraft((cur) => (cur ? { ...cur, base } : cur));
        setError(t.t('card.conflict'));
      } else setError(serverFieldError(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <dt id={`${id}-label`}>{label}</dt>
      <dd data-field={name}>
        {draft ? (
          <form className="inline-edit" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-label`}>
            {editor(draft.value, (value) => setDraft((cur) => (cur ? { ...cur, value } : cur)), id)}
            {error && (
              <p className="error-text" role="alert" id={`${id}-error`}>
                {error}
              </p>
            )}
            <div className="row">
              <button className="btn btn-primary" type="submit" disabled={busy}>
                {t.t('common.save')}
              </button>
              <button className="btn" type="button" onClick={() => (setDraft(null), setError(null))}>
                {t.t('common.cancel')}
              </button>
            </div>
          </form>
        ) : (
          <div className="inline-view">
            <div className="inline-value">{view}</div>
            {!disabled && (
              <button type="button" className="btn btn-ghost btn-small" aria-label={`${t.t('common.edit')}: ${label}`} onClick={() => setDraft({ value: initial(), base: version ?? 0 })}>
                {t.t('common.edit')}
              </button>
            )}
          </div>
        )}
      </dd>
    </>
  );
}

/** Workspace people a record can belong to (guests cannot own records). */
export function usePeople(): User[] {
  const users = useUsers();
  return [...(users.data?.values() ?? [])].filter((u) => u.role !== 'guest' && !u.deactivated_at).sort((a, b) => a.name.localeCompare(b.name));
}

export function UserSelect({ id, label, value, onChange, allowNone }: { id?: string; label: string; value: string; onChange: (v: string) => void; allowNone?: boolean }) {
  const t = useI18n();
  const people = usePeople();
  return (
    <select id={id} className="select" aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      {allowNone && <option value="">{t.t('common.none')}</option>}
      {people.map((u) => (
        <option key={u.id} value={u.id}>
          {u.name}
        </option>
      ))}
    </select>
  );
}

/** Several people: a checkbox each (a workspace is small enough to list). */
export function PeopleChecks({ label, value, onChange, exclude }: { label: string; value: string[]; onChange: (v: string[]) => void; exclude?: string }) {
  const people = usePeople().filter((u) => u.id !== exclude);
  return (
    <fieldset className="checks">
      <legend className="sr-only">{label}</legend>
      {people.map((u) => (
        <label key={u.id} className="check">
          <input type="checkbox" checked={value.includes(u.id)} onChange={(e) => onChange(e.target.checked ? [...value, u.id] : value.filter((x) => x !== u.id))} />
          {u.name}
        </label>
      ))}
    </fieldset>
  );
}

/** A contact's or company's name by id (cached with the card's query). */
export function useClientName(kind: 'contact' | 'company', id: string | null | undefined): string | undefined {
  const q = useQuery({
    queryKey: [kind, id],
    enabled: !!id,
    queryFn: () =>
      kind === 'contact'
        ? unwrap(api.http.GET('/contacts/{id}', { params: { path: { id: id! } } }))
        : unwrap(api.http.GET('/companies/{id}', { params: { path: { id: id! } } })),
    staleTime: 60_000,
  });
  return q.data?.name;
}

/**
 * Picks a contact or company by typing part of its name, phone or e-mail; the
 * matches are a radio group under the box ("none" first, to unlink).
 */
export function ClientPicker({ kind, label, value, onChange }: { kind: 'contact' | 'company'; label: string; value: string | null; onChange: (id: string | null) => void }) {
  const t = useI18n();
  const id = useId();
  const [text, setText] = useState('');
  const current = useClientName(kind, value);
  const found = useQuery({
    queryKey: [kind === 'contact' ? 'contacts' : 'companies', 'pick', text.trim()],
    queryFn: async () => {
      const query = { text: text.trim() || undefined, limit: 8, sort: 'name_asc' as const };
      const page =
        kind === 'contact'
          ? await unwrap(api.http.GET('/contacts', { params: { query } }))
          : await unwrap(api.http.GET('/companies', { params: { query } }));
      return page.items.map((x) => ({ id: x.id, name: x.name }));
    },
  });
  const options = [...(value && current && !found.data?.some((x) => x.id === value) ? [{ id: value, name: current }] : []), ...(found.data ?? [])];
  return (
    <div className="picker">
      <input className="input" type="search" aria-label={`${label}: ${t.t('common.search')}`} placeholder={t.t('form.typeToFind')} value={text} onChange={(e) => setText(e.target.value)} />
      <div role="radiogroup" aria-label={label} className="picker-options">
        <label className="check">
          <input type="radio" name={id} checked={!value} onChange={() => onChange(null)} />
          {t.t('form.noneLinked')}
        </label>
        {options.map((o) => (
          <label className="check" key={o.id}>
            <input type="radio" name={id} checked={value === o.id} onChange={() => onChange(o.id)} />
            {o.name}
          </label>
        ))}
        {found.data && found.data.length === 0 && text.trim() && <span className="hint">{t.t('form.nothingFound')}</span>}
      </div>
    </div>
  );
}

/** The input for one custom field, by its kind. */
export function CustomInput({ field, value, onChange, id }: { field: CustomField; value: CustomDraft; onChange: (v: CustomDraft) => void; id?: string }) {
  const t = useI18n();
  const kind = field.kind as FieldKind;
  if (kind === 'list' && field.multiple) {
    const v = Array.isArray(value) ? value : [];
    return (
      <fieldset className="checks">
        <legend className="sr-only">{field.label}</legend>
        {field.options.map((o) => (
          <label key={o} className="check">
            <input type="checkbox" checked={v.includes(o)} onChange={(e) => onChange(e.target.checked ? [...v, o] : v.filter((x) => x !== o))} />
            {o}
          </label>
        ))}
      </fieldset>
    );
  }
  const s = Array.isArray(value) ? value.join(', ') : value;
  if (kind === 'list')
    return (
      <select id={id} className="select" aria-label={field.label} value={s} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t.t('common.none')}</option>
        {field.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  if (kind === 'user') return <UserSelect id={id} label={field.label} value={s} onChange={onChange} allowNone />;
  const type = kind === 'date' ? 'date' : kind === 'link' ? 'url' : 'text';
  return (
    <input
      id={id}
      className="input"
      type={type}
      inputMode={kind === 'number' || kind === 'money' ? 'decimal' : undefined}
      aria-label={field.label}
      placeholder={kind === 'money' ? t.t('form.moneyHint') : undefined}
      value={s}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/** A custom value as the card shows it. */
export function CustomView({ field, value, users }: { field: CustomField; value: unknown; users: Map<string, User> | undefined }) {
  const t = useI18n();
  if (value === null || value === undefined || (Array.isArray(value) && !value.length)) return <>{t.t('common.none')}</>;
  switch (field.kind) {
    case 'money': {
      const m = value as { amount_minor: number; currency: string };
      return <>{t.money(m.amount_minor, m.currency)}</>;
    }
    case 'date':
      return <>{t.date(String(value) + 'T12:00:00Z')}</>;
    case 'user':
      return <>{users?.get(String(value))?.name ?? t.t('common.none')}</>;
    case 'link':
      return (
        <a href={String(value)} target="_blank" rel="noreferrer noopener">
          {String(value)}
        </a>
      );
    case 'number':
      return <>{t.number(Number(value))}</>;
    default:
      return <>{Array.isArray(value) ? value.join(', ') : String(value)}</>;
  }
}

/** The API value for a custom draft, or throws a translated message for the field. */
export function customValue(field: CustomField, draft: CustomDraft, currency: string, t: Translator): unknown {
  const v = draftToCustom(field.kind as FieldKind, field.multiple, draft, currency);
  if (isDraftError(v)) throw new Error(v.error === 'money' ? t.t('form.badMoney') : t.t('form.badNumber'));
  return v;
}

export function initialCustom(field: CustomField, value: unknown): CustomDraft {
  return customToDraft(field.kind as FieldKind, field.multiple, value);
}
