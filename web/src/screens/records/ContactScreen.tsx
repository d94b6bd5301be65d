// A contact's or company's card: every field edited in place (a refused value
// is named next to its field), archive, tasks, change history, and its chat
// (opened on first use) side by side.
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Company, type Contact } from '@artel/client';
import { api } from '../../app/session';
import { usePipelines, useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate, pathOf } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { Skeleton } from '../Shell';
import { errorMessage } from '../../ui/errors';
import { toast } from '../../ui/Toast';
import { LinkedText } from '../../ui/LinkedText';
import { EntityTasks, RecordLayout, Timeline } from './parts';
import { ClientPicker, CustomInput, CustomView, InlineField, UserSelect, customValue, initialCustom, useClientName, useCustomFields } from './edit';
import { splitList } from './forms';
import { DuplicateWarning, useDuplicates } from './ClientForm';
import { MergeDialog } from './MergeDialog';
import { useDefaultCurrency } from '../board/DealForm';
import type { components } from '@artel/client';

type Patch = components['schemas']['UpdateContact'] & components['schemas']['UpdateCompany'];

export default function ContactScreen({ kind, id }: { kind: 'contact' | 'company'; id: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const fields = useCustomFields(kind);
  const currency = useDefaultCurrency();
  const record = useQuery({
    queryKey: [kind, id],
    queryFn: (): Promise<Contact | Company> =>
      kind === 'contact'
        ? unwrap(api.http.GET('/contacts/{id}', { params: { path: { id } } }))
        : unwrap(api.http.GET('/companies/{id}', { params: { path: { id } } })),
  });
  const history = useQuery({
    queryKey: [kind, id, 'history'],
    queryFn: () =>
      kind === 'contact'
        ? unwrap(api.http.GET('/contacts/{id}/history', { params: { path: { id } } }))
        : unwrap(api.http.GET('/companies/{id}/history', { params: { path: { id } } })),
  });
  const companyId = record.data && 'company_id' in record.data ? record.data.company_id : null;
  const companyName = useClientName('company', companyId);
  // Other records sharing a phone, an e-mail or (companies) the name: each may be merged in.
  const dups = useDuplicates(
    kind,
    kind === 'company' ? record.data?.name ?? '' : '',
    record.data?.phones.map((p) => p.e164) ?? [],
    record.data?.emails ?? [],
    id,
  );
  const [merging, setMerging] = useState<string | null>(null);
  // This card was merged into another: its address now reads that one.
  const movedTo = record.data && record.data.id !== id ? record.data.id : null;
  useEffect(() => {
    if (!movedTo) return;
    toast.show(t.t('merge.followed'));
    navigate({ name: kind, id: movedTo }, { replace: true });
    // Once per move: the translator's identity is not a reason to say it again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [movedTo, kind]);
  if (record.isPending || movedTo) return <Skeleton />;
  if (record.isError) return <div className="empty" role="alert">{errorMessage(record.error, t)}</div>;
  const r = record.data;
  const saved = (next: Contact | Company, duplicates: { length: number }) => {
    qc.setQueryData([kind, id], next);
    void qc.invalidateQueries({ queryKey: [kind, id, 'history'] });
    void qc.invalidateQueries({ queryKey: [kind === 'contact' ? 'contacts' : 'companies'] });
    if (duplicates.length) toast.show(t.t('dup.savedAnyway'));
  };
  const patch = async (body: Patch) => {
    if (kind === 'contact') {
      const { website: _w, ...rest } = body;
      const { duplicates, ...next } = await unwrap(api.http.PATCH('/contacts/{id}', { params: { path: { id } }, body: rest }));
      saved(next, duplicates);
    } else {
      const { position: _p, company_id: _c, ...rest } = body;
      const { duplicates, ...next } = await unwrap(api.http.PATCH('/companies/{id}', { params: { path: { id } }, body: rest }));
      saved(next, duplicates);
    }
  };
  const setArchived = async (archive: boolean) => {
    try {
      const path = { params: { path: { id } } };
      const next =
        kind === 'contact'
          ? await unwrap(archive ? api.http.POST('/contacts/{id}/archive', path) : api.http.POST('/contacts/{id}/restore', path))
          : await unwrap(archive ? api.http.POST('/companies/{id}/archive', path) : api.http.POST('/companies/{id}/restore', path));
      saved(next as Contact | Company, []);
      toast.show(archive ? t.t('card.archivedToast') : t.t('card.restoredToast'));
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  const textField = (label: string, name: 'name' | 'position' | 'website' | 'address' | 'source', value: string | null | undefined, type = 'text') => (
    <InlineField
      label={label}
      name={name}
      view={name === 'website' && value ? <a href={value} target="_blank" rel="noreferrer noopener">{value}</a> : value || t.t('common.none')}
      initial={() => value ?? ''}
      editor={(x, set, fid) => <input id={fid} className="input" type={type} aria-label={label} value={x} onChange={(e) => set(e.target.value)} />}
      onSave={(x) => patch(name === 'name' ? { name: x.trim() } : { [name]: x.trim() || null })}
    />
  );
  const listField = (label: string, name: 'phones' | 'emails', view: React.ReactNode, initial: string[]) => (
    <InlineField
      label={label}
      name={name}
      view={view}
      initial={() => initial.join('\n')}
      editor={(x, set, fid) => <textarea id={fid} className="input" rows={3} aria-label={label} placeholder={t.t('form.onePerLine')} value={x} onChange={(e) => set(e.target.value)} />}
      onSave={(x) => patch({ [name]: splitList(x) })}
    />
  );
  const custom = r.custom as Record<string, unknown>;
  return (
    <RecordLayout
      entity={{ kind, id }}
      head={
        <>
          <h1>{r.name}</h1>
          {r.archived_at && <span className="tag">{t.t('card.archived')}</span>}
          <span className="spacer" />
          <button type="button" className="btn" onClick={() => void setArchived(!r.archived_at)}>
            {r.archived_at ? t.t('card.restore') : t.t('card.archive')}
          </button>
        </>
      }
    >
      <DuplicateWarning kind={kind} list={dups} onMerge={setMerging} />
      {merging && <MergeDialog kind={kind} keepId={id} otherId={merging} onClose={() => setMerging(null)} />}
      <section className="section">
        <h2>{t.t('card.fields')}</h2>
        <dl className="fields">
          {textField(t.t('field.name'), 'name', r.name)}
          {listField(
            t.t('card.phones'),
            'phones',
            r.phones.length ? r.phones.map((p) => <div key={p.e164}><a href={`tel:${p.e164}`}>{p.raw || p.e164}</a></div>) : t.t('common.none'),
            r.phones.map((p) => p.raw || p.e164),
          )}
          {listField(
            t.t('card.emails'),
            'emails',
            r.emails.length ? r.emails.map((e) => <div key={e}><a href={`mailto:${e}`}>{e}</a></div>) : t.t('common.none'),
            r.emails,
          )}
          {'position' in r || kind === 'contact' ? (
            <>
              <InlineField
                label={t.t('card.company')}
                name="company"
                view={
                  companyId ? (
                    <a href={pathOf({ name: 'company', id: companyId })} onClick={(e) => (e.preventDefault(), navigate({ name: 'company', id: companyId }))}>
                      {companyName ?? '…'}
                    </a>
                  ) : (
                    t.t('common.none')
                  )
                }
                initial={() => companyId ?? null}
                editor={(x, set) => <ClientPicker kind="company" label={t.t('card.company')} value={x} onChange={set} />}
                onSave={(x) => patch({ company_id: x })}
              />
              {textField(t.t('card.position'), 'position', (r as Contact).position)}
            </>
          ) : (
            textField(t.t('card.website'), 'website', (r as Company).website, 'url')
          )}
          {textField(t.t('card.address'), 'address', r.address)}
          <InlineField
            label={t.t('card.owner')}
            name="owner"
            view={r.owner_id ? userName(users.data, r.owner_id) : t.t('common.none')}
            initial={() => r.owner_id ?? ''}
            editor={(x, set, fid) => <UserSelect id={fid} label={t.t('card.owner')} value={x} onChange={set} allowNone />}
            onSave={(x) => patch({ owner_id: x || null })}
          />
          <InlineField
            label={t.t('card.tags')}
            name="tags"
            view={r.tags.length ? r.tags.map((x) => <span className="tag" key={x}>{x}</span>) : t.t('common.none')}
            initial={() => r.tags.join(', ')}
            editor={(x, set, fid) => <input id={fid} className="input" aria-label={t.t('card.tags')} placeholder={t.t('form.tagsHint')} value={x} onChange={(e) => set(e.target.value)} />}
            onSave={(x) => patch({ tags: splitList(x) })}
          />
          {textField(t.t('card.source'), 'source', r.source)}
          <InlineField
            label={t.t('card.notes')}
            name="notes"
            view={<span style={{ whiteSpace: 'pre-wrap' }} data-testid="record-notes">{r.notes ? <LinkedText text={r.notes} /> : t.t('common.none')}</span>}
            initial={() => r.notes}
            editor={(x, set, fid) => <textarea id={fid} className="input" rows={4} aria-label={t.t('card.notes')} value={x} onChange={(e) => set(e.target.value)} />}
            onSave={(x) => patch({ notes: x })}
          />
          {fields.data?.map((f) => (
            <InlineField
              key={f.id}
              label={f.required ? `${f.label} *` : f.label}
              name={`custom.${f.key}`}
              view={<CustomView field={f} value={custom[f.key]} users={users.data} />}
              initial={() => initialCustom(f, custom[f.key])}
              editor={(x, set, fid) => <CustomInput id={fid} field={f} value={x} onChange={set} />}
              onSave={async (x) => patch({ custom: { [f.key]: customValue(f, x, currency, t) } as Patch['custom'] })}
            />
          ))}
          <dt>{t.t('card.created')}</dt>
          <dd>{t.dateTime(r.created_at)}</dd>
        </dl>
      </section>
      <Related kind={kind} id={id} />
      <EntityTasks kind={kind} id={id} />
      <section className="section">
        <h2>{t.t('card.history')}</h2>
        <Timeline kind={kind} items={history.data ?? []} users={users.data} customLabels={new Map((fields.data ?? []).map((f) => [f.key, f.label]))} />
      </section>
    </RecordLayout>
  );
}

/** The client's deals (and a company's people), each a link to its card. */
function Related({ kind, id }: { kind: 'contact' | 'company'; id: string }) {
  const t = useI18n();
  const pipelines = usePipelines();
  const deals = useQuery({
    queryKey: ['deals', kind, id],
    queryFn: () => unwrap(api.http.GET('/deals', { params: { query: kind === 'contact' ? { contact_id: id, limit: 50 } : { company_id: id, limit: 50 } } })),
  });
  const people = useQuery({
    queryKey: ['contacts', 'of-company', id],
    enabled: kind === 'company',
    queryFn: () => unwrap(api.http.GET('/contacts', { params: { query: { company_id: id, limit: 50, sort: 'name_asc' } } })),
  });
  const stageName = (pipelineId: string, stageId: string) => pipelines.data?.find((p) => p.id === pipelineId)?.stages.find((s) => s.id === stageId)?.name ?? '';
  return (
    <>
      <section className="section" data-testid="client-deals">
        <h2>{t.t('card.deals')}</h2>
        {deals.data && deals.data.length === 0 && <p className="muted">{t.t('common.empty')}</p>}
        {deals.data && deals.data.length > 0 && (
          <ul className="list">
            {deals.data.map((d) => (
              <li key={d.id}>
                <a href={pathOf({ name: 'deal', id: d.id })} onClick={(e) => (e.preventDefault(), navigate({ name: 'deal', id: d.id }))}>
                  {d.title}
                </a>
                <span className="hint">{stageName(d.pipeline_id, d.stage_id)}</span>
                <span className="spacer" />
                <span>{t.money(d.amount_minor, d.currency)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {kind === 'company' && (
        <section className="section">
          <h2>{t.t('card.people')}</h2>
          {people.data && people.data.items.length === 0 && <p className="muted">{t.t('common.empty')}</p>}
          {people.data && people.data.items.length > 0 && (
            <ul className="list">
              {people.data.items.map((c) => (
                <li key={c.id}>
                  <a href={pathOf({ name: 'contact', id: c.id })} onClick={(e) => (e.preventDefault(), navigate({ name: 'contact', id: c.id }))}>
                    {c.name}
                  </a>
                  {c.position && <span className="hint">{c.position}</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
