// A new contact or company with all its fields. While the name, phones and
// e-mails are typed, the server is asked for records that look the same, and
// they are listed (with a link) before anyone creates a second copy.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { navigate, pathOf } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { toast } from '../../ui/Toast';
import { ClientPicker, CustomInput, UserSelect, customValue, errorField, serverFieldError, useCustomFields } from './edit';
import { splitList, type CustomDraft } from './forms';
import { MergeDialog } from './MergeDialog';
import { useDefaultCurrency } from '../board/DealForm';

type Kind = 'contact' | 'company';

/** Records sharing a phone, an e-mail or (companies) the exact name with what is typed. */
export function useDuplicates(kind: Kind, name: string, phones: string[], emails: string[], exclude?: string) {
  const [probe, setProbe] = useState({ name: '', phones: [] as string[], emails: [] as string[] });
  useEffect(() => {
    const h = setTimeout(() => setProbe({ name: name.trim(), phones, emails }), 400);
    return () => clearTimeout(h);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [name, phones.join('\n'), emails.join('\n')]);
  const empty = !probe.name && !probe.phones.length && !probe.emails.length;
  const q = useQuery({
    queryKey: [kind, 'duplicates', probe],
    enabled: !empty,
    queryFn: async () => {
      const body = { name: probe.name || null, phones: probe.phones, emails: probe.emails };
      const list =
        kind === 'contact'
          ? await unwrap(api.http.POST('/contacts/duplicates', { body }))
          : await unwrap(api.http.POST('/companies/duplicates', { body }));
      return list.map((d) => ({ id: d.id, name: d.name, matched: d.matched_on }));
    },
    retry: false,
  });
  return empty ? [] : (q.data ?? []).filter((d) => d.id !== exclude);
}

export function DuplicateWarning({
  kind,
  list,
  onMerge,
}: {
  kind: Kind;
  list: { id: string; name: string; matched: string[] }[];
  /** Offers "Merge" next to each (the card: into it; the form: the new one into it). */
  onMerge?: (id: string) => void;
}) {
  const t = useI18n();
  if (!list.length) return null;
  return (
    <div className="warning" role="status" data-testid="duplicates">
      <strong>{kind === 'contact' ? t.t('dup.contacts') : t.t('dup.companies')}</strong>
      <ul>
        {list.map((d) => (
          <li key={d.id}>
            <a href={pathOf({ name: kind, id: d.id })} onClick={(e) => (e.preventDefault(), navigate({ name: kind, id: d.id }))}>
              {d.name}
            </a>{' '}
            <span className="hint">({d.matched.map((m) => t.t(`dup.on.${m}` as 'dup.on.phone')).join(', ')})</span>
            {onMerge && (
              <>
                {' '}
                <button type="button" className="btn btn-small" aria-label={t.t('merge.actionWith', { name: d.name })} onClick={() => onMerge(d.id)}>
                  {t.t('merge.action')}
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ClientForm({ kind, onClose }: { kind: Kind; onClose: () => void }) {
  // "Merge" beside a duplicate: the new record is created, then merged into that one.
  const [mergeInto, setMergeInto] = useState<{ keep: string; other: string } | null>(null);
  const t = useI18n();
  const qc = useQueryClient();
  const me = api.session()?.user.id ?? '';
  const fields = useCustomFields(kind);
  const currency = useDefaultCurrency();
  const [v, setV] = useState({ name: '', phones: '', emails: '', position: '', website: '', address: '', source: '', tags: '', notes: '', owner: me });
  const [company, setCompany] = useState<string | null>(null);
  const [custom, setCustom] = useState<Record<string, CustomDraft>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const phones = splitList(v.phones);
  const emails = splitList(v.emails);
  // Contacts are matched by phone and e-mail (namesakes are common); companies by name too.
  const dups = useDuplicates(kind, kind === 'company' ? v.name : '', phones, emails);
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV((x) => ({ ...x, [k]: e.target.value }));

  const submit = async (e: FormEvent | null, into?: string) => {
    e?.preventDefault();
    const bad: Record<string, string> = {};
    if (!v.name.trim()) bad.name = t.t('form.required');
    const values: Record<string, unknown> = {};
    for (const f of fields.data ?? []) {
      try {
        const x = customValue(f, custom[f.key] ?? (f.multiple ? [] : ''), currency, t);
        if (x !== null) values[f.key] = x;
        else if (f.required) bad[`custom.${f.key}`] = t.t('form.required');
      } catch (err) {
        bad[`custom.${f.key}`] = (err as Error).message;
      }
    }
    setErrors(bad);
    if (Object.keys(bad).length) return;
    setBusy(true);
    const common = {
      name: v.name.trim(),
      phones,
      emails,
      address: v.address.trim() || null,
      source: v.source.trim() || null,
      tags: splitList(v.tags),
      notes: v.notes.trim() || null,
      owner_id: v.owner || null,
      custom: values as Record<string, never>,
    };
    try {
      const created =
        kind === 'contact'
          ? await unwrap(api.http.POST('/contacts', { body: { ...common, position: v.position.trim() || null, company_id: company } }))
          : await unwrap(api.http.POST('/companies', { body: { ...common, website: v.website.trim() || null } }));
      void qc.invalidateQueries({ queryKey: [kind === 'contact' ? 'contacts' : 'companies'] });
      if (into) {
        setMergeInto({ keep: into, other: created.id });
        return;
      }
      if (created.duplicates.length) toast.show(t.t('dup.savedAnyway'));
      onClose();
      navigate({ name: kind, id: created.id });
    } catch (err) {
      const f = errorField(err);
      const at = f && /^(name|phones|emails|position|website|address|source|tags|notes|owner_id|company_id|custom\..+)$/.test(f) ? f : '_';
      setErrors({ [at]: serverFieldError(err, t) });
    } finally {
      setBusy(false);
    }
  };
  const row = (label: string, k: string, input: ReactNode) => (
    <div className="form-row" data-field={k}>
      <span className="form-label">{label}</span>
      <div>
        {input}
        {errors[k] && (
          <p className="error-text" role="alert">
            {errors[k]}
          </p>
        )}
      </div>
    </div>
  );
  const text = (label: string, k: keyof typeof v, extra: { type?: string; placeholder?: string } = {}) =>
    row(label, k, <input className="input" aria-label={label} value={v[k]} onChange={set(k)} aria-invalid={errors[k] ? true : undefined} {...extra} />);
  const area = (label: string, k: keyof typeof v, errKey: string, hint?: string) =>
    row(label, errKey, <textarea className="input" rows={2} aria-label={label} placeholder={hint} value={v[k]} onChange={set(k)} aria-invalid={errors[errKey] ? true : undefined} />);
  if (mergeInto) {
    // Cancelled: the new record stays, and its card opens (with the warning again).
    const cancel = () => (onClose(), navigate({ name: kind, id: mergeInto.other }));
    return <MergeDialog kind={kind} keepId={mergeInto.keep} otherId={mergeInto.other} onClose={cancel} onMerged={onClose} />;
  }
  return (
    <Dialog title={kind === 'contact' ? t.t('contacts.new') : t.t('contacts.newCompany')} onClose={onClose}>
      <form className="record-form" onSubmit={(e) => void submit(e)} noValidate>
        {text(t.t('field.name'), 'name')}
        {area(t.t('card.phones'), 'phones', 'phones', t.t('form.onePerLine'))}
        {area(t.t('card.emails'), 'emails', 'emails', t.t('form.onePerLine'))}
        <DuplicateWarning kind={kind} list={dups} onMerge={busy ? undefined : (id) => void submit(null, id)} />
        {kind === 'contact' && row(t.t('card.company'), 'company_id', <ClientPicker kind="company" label={t.t('card.company')} value={company} onChange={setCompany} />)}
        {kind === 'contact' && text(t.t('card.position'), 'position')}
        {kind === 'company' && text(t.t('card.website'), 'website', { placeholder: 'https://' })}
        {text(t.t('card.address'), 'address')}
        {row(t.t('card.owner'), 'owner_id', <UserSelect label={t.t('card.owner')} value={v.owner} onChange={(owner) => setV((x) => ({ ...x, owner }))} allowNone />)}
        {text(t.t('card.tags'), 'tags', { placeholder: t.t('form.tagsHint') })}
        {text(t.t('card.source'), 'source')}
        {area(t.t('card.notes'), 'notes', 'notes')}
        {fields.data?.map((f) =>
          row(
            f.required ? `${f.label} *` : f.label,
            `custom.${f.key}`,
            <CustomInput field={f} value={custom[f.key] ?? (f.multiple ? [] : '')} onChange={(x) => setCustom((c) => ({ ...c, [f.key]: x }))} />,
          ),
        )}
        {errors._ && (
          <p className="error-text" role="alert">
            {errors._}
          </p>
        )}
        <div className="row">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {t.t('common.create')}
          </button>
          <button className="btn" type="button" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
