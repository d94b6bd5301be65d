// A new deal with all its fields at once (the board's quick create takes a
// title and an amount only). A refused field is named next to its input.
import { useState, type FormEvent, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { usePipelines } from '../../app/data';
import { navigate } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { ClientPicker, CustomInput, PeopleChecks, UserSelect, customValue, errorField, serverFieldError, useCustomFields } from '../records/edit';
import { parseAmount, splitList, type CustomDraft } from '../records/forms';
import { CurrencySelect } from '../records/DealScreen';
import type { components } from '@artel/client';

export function useDefaultCurrency(): string {
  const ws = useQuery({ queryKey: ['workspace'], queryFn: () => unwrap(api.http.GET('/workspace')), staleTime: 300_000, retry: false });
  return ws.data?.default_currency ?? 'RUB';
}

export function DealForm({ pipelineId, onClose }: { pipelineId: string; onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const me = api.session()?.user.id ?? '';
  const pipelines = usePipelines();
  const fields = useCustomFields('deal');
  const defaultCurrency = useDefaultCurrency();
  const stages = pipelines.data?.find((p) => p.id === pipelineId)?.stages ?? [];
  const [title, setTitle] = useState('');
  const [stageId, setStageId] = useState('');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState<string | null>(null);
  const [owner, setOwner] = useState(me);
  const [participants, setParticipants] = useState<string[]>([]);
  const [contact, setContact] = useState<string | null>(null);
  const [company, setCompany] = useState<string | null>(null);
  const [close, setClose] = useState('');
  const [tags, setTags] = useState('');
  const [custom, setCustom] = useState<Record<string, CustomDraft>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const cur = currency ?? defaultCurrency;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const bad: Record<string, string> = {};
    if (!title.trim()) bad.title = t.t('form.required');
    const minor = parseAmount(amount, cur);
    if (minor === null) bad.amount_minor = t.t('form.badMoney');
    const values: Record<string, unknown> = {};
    for (const f of fields.data ?? []) {
      try {
        const v = customValue(f, custom[f.key] ?? (f.multiple ? [] : ''), cur, t);
        if (v !== null) values[f.key] = v;
        else if (f.required) bad[`custom.${f.key}`] = t.t('form.required');
      } catch (err) {
        bad[`custom.${f.key}`] = (err as Error).message;
      }
    }
    setErrors(bad);
    if (Object.keys(bad).length) return;
    setBusy(true);
    try {
      const created = await unwrap(
        api.http.POST('/deals', {
          body: {
            title: title.trim(),
            pipeline_id: pipelineId,
            stage_id: stageId || null,
            amount_minor: minor,
            currency: cur,
            owner_id: owner || null,
            participants,
            contact_id: contact,
            company_id: company,
            expected_close_date: close || null,
            tags: splitList(tags),
            custom: values as components['schemas']['CreateDeal']['custom'],
          },
        }),
      );
      void qc.invalidateQueries({ queryKey: ['board', pipelineId] });
      void qc.invalidateQueries({ queryKey: ['deals'] });
      onClose();
      navigate({ name: 'deal', id: created.id });
    } catch (err) {
      const field = errorField(err);
      const known = ['title', 'stage_id', 'amount_minor', 'owner_id', 'participants', 'contact_id', 'company_id', 'expected_close_date', 'tags'];
      const at = field === 'currency' ? 'amount_minor' : field && (known.includes(field) || field.startsWith('custom.')) ? field : '_';
      setErrors({ [at]: serverFieldError(err, t) });
    } finally {
      setBusy(false);
    }
  };
  const err = (k: string) => errors[k] && <p className="error-text" role="alert">{errors[k]}</p>;
  const row = (label: string, k: string, input: ReactNode) => (
    <div className="form-row" data-field={k}>
      <span className="form-label">{label}</span>
      <div>
        {input}
        {err(k)}
      </div>
    </div>
  );
  return (
    <Dialog title={t.t('deals.newTitle')} onClose={onClose}>
      <form className="record-form" onSubmit={(e) => void submit(e)} noValidate>
        {row(t.t('field.title'), 'title', <input className="input" aria-label={t.t('field.title')} value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={errors.title ? true : undefined} />)}
        {row(
          t.t('card.stage'),
          'stage_id',
          <select className="select" aria-label={t.t('card.stage')} value={stageId} onChange={(e) => setStageId(e.target.value)}>
            {stages.map((s, i) => (
              <option key={s.id} value={i === 0 ? '' : s.id}>
                {s.name}
              </option>
            ))}
          </select>,
        )}
        {row(
          t.t('card.amount'),
          'amount_minor',
          <div className="row">
            <input className="input" inputMode="decimal" aria-label={t.t('card.amount')} value={amount} onChange={(e) => setAmount(e.target.value)} />
            <CurrencySelect value={cur} onChange={setCurrency} />
          </div>,
        )}
        {row(t.t('card.owner'), 'owner_id', <UserSelect label={t.t('card.owner')} value={owner} onChange={setOwner} />)}
        {row(t.t('card.participants'), 'participants', <PeopleChecks label={t.t('card.participants')} value={participants} onChange={setParticipants} exclude={owner} />)}
        {row(t.t('card.contact'), 'contact_id', <ClientPicker kind="contact" label={t.t('card.contact')} value={contact} onChange={setContact} />)}
        {row(t.t('card.company'), 'company_id', <ClientPicker kind="company" label={t.t('card.company')} value={company} onChange={setCompany} />)}
        {row(t.t('card.closeDate'), 'expected_close_date', <input className="input" type="date" aria-label={t.t('card.closeDate')} value={close} onChange={(e) => setClose(e.target.value)} />)}
        {row(t.t('card.tags'), 'tags', <input className="input" aria-label={t.t('card.tags')} placeholder={t.t('form.tagsHint')} value={tags} onChange={(e) => setTags(e.target.value)} />)}
        {fields.data?.map((f) =>
          row(
            f.required ? `${f.label} *` : f.label,
            `custom.${f.key}`,
            <CustomInput field={f} value={custom[f.key] ?? (f.multiple ? [] : '')} onChange={(v) => setCustom((c) => ({ ...c, [f.key]: v }))} />,
          ),
        )}
        {err('_')}
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
