// A deal's card: every field edited in place (each save carries the version the
// edit started from, so a colleague's change meanwhile is refused, said and
// shown, never overwritten), won/lost with a loss reason, archive, change
// history, tasks, and the deal's chat side by side. The card follows the
// pipeline's board events, so a colleague's edit shows at once.
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, unwrap, type Deal, type History } from '@artel/client';
import { api, realtime } from '../../app/session';
import { usePipelines, useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate, pathOf } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { Skeleton } from '../Shell';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { LossDialog } from './LossDialog';
import { EntityTasks, RecordLayout, Timeline } from './parts';
import {
  ClientPicker,
  ConflictError,
  CustomInput,
  CustomView,
  InlineField,
  PeopleChecks,
  UserSelect,
  customValue,
  initialCustom,
  useClientName,
  useCustomFields,
} from './edit';
import { formatAmountInput, parseAmount, splitList } from './forms';
import type { components } from '@artel/client';

type UpdateDeal = components['schemas']['UpdateDeal'];
export const CURRENCIES = ['RUB', 'USD', 'EUR', 'KZT', 'BYN', 'UZS', 'CNY', 'GBP', 'AED', 'TRY'];

export default function DealScreen({ id }: { id: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const pipelines = usePipelines();
  const fields = useCustomFields('deal');
  // The lost stage a deal is about to move to, once its reason is given.
  const [losing, setLosing] = useState<string | null>(null);
  const deal = useQuery({ queryKey: ['deal', id], queryFn: () => unwrap(api.http.GET('/deals/{id}', { params: { path: { id } } })) });
  const history = useQuery({
    queryKey: ['deal', id, 'history'],
    queryFn: () => unwrap(api.http.GET('/deals/{id}/history', { params: { path: { id } } })),
  });
  const pipelineId = deal.data?.pipeline_id;
  // Live: the pipeline's board events carry every saved change of the deal.
  useEffect(() => {
    if (!pipelineId) return;
    realtime.watchBoard(pipelineId);
    const off = realtime.on('board', (e) => {
      const c = e.change;
      if (c.type === 'deal_upserted' && c.deal.id === id) {
        const cur = qc.getQueryData<Deal>(['deal', id]);
        if (!cur || c.deal.version >= cur.version) qc.setQueryData(['deal', id], { ...cur, ...c.deal });
        void qc.invalidateQueries({ queryKey: ['deal', id, 'history'] });
      } else if ((c.type === 'deal_removed' || c.type === 'deal_hidden') && c.deal_id === id) {
        void qc.invalidateQueries({ queryKey: ['deal', id] });
      }
    });
    const offResync = realtime.on('boardResync', (p) => {
      if (p === pipelineId) void qc.invalidateQueries({ queryKey: ['deal', id] });
    });
    return () => {
      off();
      offResync();
      realtime.unwatchBoard(pipelineId);
    };
  }, [pipelineId, id, qc]);
  const contactName = useClientName('contact', deal.data?.contact_id);
  const companyName = useClientName('company', deal.data?.company_id);

  if (deal.isPending) return <Skeleton />;
  if (deal.isError) return <div className="empty" role="alert">{errorMessage(deal.error, t)}</div>;
  const d = deal.data;
  const pipeline = pipelines.data?.find((p) => p.id === d.pipeline_id);
  const stage = pipeline?.stages.find((s) => s.id === d.stage_id);
  const won = pipeline?.stages.find((s) => s.kind === 'won');
  const lost = pipeline?.stages.find((s) => s.kind === 'lost');
  const archived = !!d.archived_at;

  const saved = (next: Deal) => {
    qc.setQueryData(['deal', id], next);
    void qc.invalidateQueries({ queryKey: ['deal', id, 'history'] });
    void qc.invalidateQueries({ queryKey: ['deals'] });
  };
  /** Reloads after a 409 and hands the fresh version to the editor that was refused. */
  const conflict = async (): Promise<never> => {
    const fresh = await deal.refetch();
    void qc.invalidateQueries({ queryKey: ['deal', id, 'history'] });
    throw new ConflictError(fresh.data?.version);
  };
  const patch = async (body: Omit<UpdateDeal, 'version'>, version: number) => {
    try {
      saved(await unwrap(api.http.PATCH('/deals/{id}', { params: { path: { id } }, body: { ...body, version } })));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) await conflict();
      throw err;
    }
  };
  const moveTo = async (stageId: string, version = d.version) => {
    try {
      saved(await unwrap(api.http.POST('/deals/{id}/move', { params: { path: { id } }, body: { version, stage_id: stageId } })));
      return true;
    } catch (err) {
      toast.show(err instanceof ApiError && err.status === 409 ? t.t('card.conflict') : errorMessage(err, t));
      void deal.refetch();
      return false;
    }
  };
  const setArchived = async (archive: boolean) => {
    try {
      const body = { version: d.version };
      saved(
        await unwrap(
          archive
            ? api.http.POST('/deals/{id}/archive', { params: { path: { id } }, body })
            : api.http.POST('/deals/{id}/restore', { params: { path: { id } }, body }),
        ),
      );
      toast.show(archive ? t.t('card.archivedToast') : t.t('card.restoredToast'));
    } catch (err) {
      toast.show(err instanceof ApiError && err.status === 409 ? t.t('card.conflict') : errorMessage(err, t));
      void deal.refetch();
    }
  };
  const boardRoute = { name: 'board' as const, pipelineId: d.pipeline_id };
  const v = d.version;
  const link = (kind: 'contact' | 'company', to: string, name: string | undefined) => (
    <a href={pathOf({ name: kind, id: to })} onClick={(e) => (e.preventDefault(), navigate({ name: kind, id: to }))}>
      {name ?? '…'}
    </a>
  );
  return (
    <RecordLayout
      entity={{ kind: 'deal', id }}
      chatId={d.chat_id}
      autoJoin
      head={
        <>
          <a href={pathOf(boardRoute)} onClick={(e) => (e.preventDefault(), navigate(boardRoute))}>
            {pipeline?.name ?? t.t('board.title')}
          </a>
          <span aria-hidden="true">/</span>
          <h1>{d.title}</h1>
          {archived && <span className="tag">{t.t('card.archived')}</span>}
          {stage?.kind === 'won' && <span className="tag tag-won">{t.t('card.wonBadge')}</span>}
          {stage?.kind === 'lost' && <span className="tag tag-lost">{t.t('card.lostBadge')}</span>}
          <span className="spacer" />
          {stage?.kind === 'open' && won && (
            <button type="button" className="btn btn-success" onClick={() => void moveTo(won.id).then((ok) => ok && toast.show(t.t('card.wonToast')))}>
              {t.t('card.markWon')}
            </button>
          )}
          {stage?.kind === 'open' && lost && (
            <button type="button" className="btn btn-danger" onClick={() => setLosing(lost.id)}>
              {t.t('card.markLost')}
            </button>
          )}
          <button type="button" className="btn" onClick={() => void setArchived(!archived)}>
            {archived ? t.t('card.restore') : t.t('card.archive')}
          </button>
        </>
      }
    >
      {losing && (
        <LossDialog
          onClose={() => setLosing(null)}
          onSubmit={async (reason) => {
            // The reason first: a reason on a still-open deal harms nothing if the
            // move is then refused, while a lost deal without one would.
            let withReason: Deal;
            try {
              withReason = await unwrap(api.http.PATCH('/deals/{id}', { params: { path: { id } }, body: { version: v, loss_reason: reason } }));
            } catch (err) {
              if (err instanceof ApiError && err.status === 409) {
                void deal.refetch();
                throw new Error(t.t('card.conflict'));
              }
              throw err;
            }
            if (await moveTo(losing, withReason.version)) {
              setLosing(null);
              toast.show(t.t('card.lostToast'));
            } else saved(withReason);
          }}
        />
      )}
      <section className="section">
        <h2>{t.t('card.fields')}</h2>
        <dl className="fields">
          <dt>{t.t('card.stage')}</dt>
          <dd>
            <select className="select" aria-label={t.t('card.stage')} value={d.stage_id} onChange={(e) => (pipeline?.stages.find((s) => s.id === e.target.value)?.kind === 'lost' ? setLosing(e.target.value) : void moveTo(e.target.value))}>
              {pipeline?.stages.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </dd>
          <InlineField
            label={t.t('field.title')}
            name="title"
            version={v}
            view={d.title}
            initial={() => d.title}
            editor={(x, set, fid) => <input id={fid} className="input" aria-label={t.t('field.title')} value={x} onChange={(e) => set(e.target.value)} required />}
            onSave={(x, base) => patch({ title: x.trim() }, base)}
          />
          <InlineField
            label={t.t('card.amount')}
            name="amount"
            version={v}
            view={t.money(d.amount_minor, d.currency)}
            initial={() => ({ amount: formatAmountInput(d.amount_minor, d.currency), currency: d.currency })}
            editor={(x, set) => (
              <div className="row">
                <input className="input" inputMode="decimal" aria-label={t.t('card.amount')} value={x.amount} onChange={(e) => set({ ...x, amount: e.target.value })} />
                <CurrencySelect value={x.currency} onChange={(c) => set({ ...x, currency: c })} />
              </div>
            )}
            onSave={(x, base) => {
              const minor = parseAmount(x.amount, x.currency);
              if (minor === null) return Promise.reject(new Error(t.t('form.badMoney')));
              return patch({ amount_minor: minor, currency: x.currency }, base);
            }}
          />
          <InlineField
            label={t.t('card.owner')}
            name="owner"
            version={v}
            view={userName(users.data, d.owner_id)}
            initial={() => d.owner_id}
            editor={(x, set, fid) => <UserSelect id={fid} label={t.t('card.owner')} value={x} onChange={set} />}
            onSave={(x, base) => patch({ owner_id: x }, base)}
          />
          <InlineField
            label={t.t('card.participants')}
            name="participants"
            version={v}
            view={d.participants.length ? d.participants.map((p) => userName(users.data, p)).join(', ') : t.t('common.none')}
            initial={() => d.participants}
            editor={(x, set) => <PeopleChecks label={t.t('card.participants')} value={x} onChange={set} exclude={d.owner_id} />}
            onSave={(x, base) => patch({ participants: x }, base)}
          />
          <InlineField
            label={t.t('card.contact')}
            name="contact"
            version={v}
            view={d.contact_id ? link('contact', d.contact_id, contactName) : t.t('common.none')}
            initial={() => d.contact_id ?? null}
            editor={(x, set) => <ClientPicker kind="contact" label={t.t('card.contact')} value={x} onChange={set} />}
            onSave={(x, base) => patch({ contact_id: x }, base)}
          />
          <InlineField
            label={t.t('card.company')}
            name="company"
            version={v}
            view={d.company_id ? link('company', d.company_id, companyName) : t.t('common.none')}
            initial={() => d.company_id ?? null}
            editor={(x, set) => <ClientPicker kind="company" label={t.t('card.company')} value={x} onChange={set} />}
            onSave={(x, base) => patch({ company_id: x }, base)}
          />
          <InlineField
            label={t.t('card.closeDate')}
            name="close"
            version={v}
            view={d.expected_close_date ? t.date(d.expected_close_date + 'T12:00:00Z') : t.t('common.none')}
            initial={() => d.expected_close_date ?? ''}
            editor={(x, set, fid) => <input id={fid} className="input" type="date" aria-label={t.t('card.closeDate')} value={x} onChange={(e) => set(e.target.value)} />}
            onSave={(x, base) => patch({ expected_close_date: x || null }, base)}
          />
          <InlineField
            label={t.t('card.tags')}
            name="tags"
            version={v}
            view={d.tags.length ? d.tags.map((x) => <span className="tag" key={x}>{x}</span>) : t.t('common.none')}
            initial={() => d.tags.join(', ')}
            editor={(x, set, fid) => <input id={fid} className="input" aria-label={t.t('card.tags')} placeholder={t.t('form.tagsHint')} value={x} onChange={(e) => set(e.target.value)} />}
            onSave={(x, base) => patch({ tags: splitList(x) }, base)}
          />
          {(stage?.kind === 'lost' || d.loss_reason) && (
            <InlineField
              label={t.t('card.lossReason')}
              name="loss_reason"
              version={v}
              view={d.loss_reason || t.t('common.none')}
              initial={() => d.loss_reason ?? ''}
              editor={(x, set, fid) => <textarea id={fid} className="input" aria-label={t.t('card.lossReason')} value={x} onChange={(e) => set(e.target.value)} />}
              onSave={(x, base) => patch({ loss_reason: x.trim() || null }, base)}
            />
          )}
          {fields.data?.map((f) => (
            <InlineField
              key={f.id}
              label={f.required ? `${f.label} *` : f.label}
              name={`custom.${f.key}`}
              version={v}
              view={<CustomView field={f} value={(d.custom as Record<string, unknown>)[f.key]} users={users.data} />}
              initial={() => initialCustom(f, (d.custom as Record<string, unknown>)[f.key])}
              editor={(x, set, fid) => <CustomInput id={fid} field={f} value={x} onChange={set} />}
              onSave={async (x, base) => patch({ custom: { [f.key]: customValue(f, x, d.currency, t) } as UpdateDeal['custom'] }, base)}
            />
          ))}
          <dt>{t.t('card.created')}</dt>
          <dd>{t.dateTime(d.created_at)}</dd>
        </dl>
      </section>
      <EntityTasks kind="deal" id={id} />
      <section className="section">
        <h2>{t.t('card.history')}</h2>
        <Timeline kind="deal" items={(history.data ?? []).map((h) => stageNames(h, pipeline?.stages ?? [], t.t('common.none')))} users={users.data} customLabels={new Map((fields.data ?? []).map((f) => [f.key, f.label]))} />
      </section>
    </RecordLayout>
  );
}

export function CurrencySelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const t = useI18n();
  const list = CURRENCIES.includes(value) ? CURRENCIES : [value, ...CURRENCIES];
  return (
    <select className="select" style={{ width: 'auto' }} aria-label={t.t('form.currency')} value={value} onChange={(e) => onChange(e.target.value)}>
      {list.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </select>
  );
}

/** Stage ids in the history read as stage names. */
function stageNames(h: History, stages: { id: string; name: string }[], none: string): History {
  if (h.field !== 'stage_id' && h.field !== 'stage') return h;
  const name = (v: unknown) => (typeof v === 'string' ? (stages.find((s) => s.id === v)?.name ?? v) : v ?? none);
  return { ...h, old: name(h.old) as History['old'], new: name(h.new) as History['new'] };
}
