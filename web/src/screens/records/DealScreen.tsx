// A deal's card: fields (stage changeable here too), change history, tasks, and
// the deal's chat side by side.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, unwrap, type History } from '@api';
import { api } from '../../app/session';
import { usePipelines, useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate, pathOf } from '../../app/router';
import { useI18n } from '../../i18n';
import { Skeleton } from '../Shell';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { EntityTasks, RecordLayout, Timeline } from './parts';

export default function DealScreen({ id }: { id: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const pipelines = usePipelines();
  const deal = useQuery({ queryKey: ['deal', id], queryFn: () => unwrap(api.http.GET('/deals/{id}', { params: { path: { id } } })) });
  const history = useQuery({
    queryKey: ['deal', id, 'history'],
    queryFn: () => unwrap(api.http.GET('/deals/{id}/history', { params: { path: { id } } })),
  });
  if (deal.isPending) return <Skeleton />;
  if (deal.isError) return <div className="empty" role="alert">{errorMessage(deal.error, t)}</div>;
  const d = deal.data;
  const pipeline = pipelines.data?.find((p) => p.id === d.pipeline_id);
  const moveTo = async (stageId: string) => {
    try {
      const moved = await unwrap(api.http.POST('/deals/{id}/move', { params: { path: { id } }, body: { version: d.version, stage_id: stageId } }));
      qc.setQueryData(['deal', id], moved);
      void qc.invalidateQueries({ queryKey: ['deal', id, 'history'] });
    } catch (err) {
      toast.show(err instanceof ApiError && err.status === 409 ? t.t('board.conflict') : errorMessage(err, t));
      void deal.refetch();
    }
  };
  const boardRoute = { name: 'board' as const, pipelineId: d.pipeline_id };
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
        </>
      }
    >
      <section className="section">
        <h2>{t.t('card.fields')}</h2>
        <dl className="fields">
          <dt>{t.t('card.stage')}</dt>
          <dd>
            <select className="select" aria-label={t.t('card.stage')} value={d.stage_id} onChange={(e) => void moveTo(e.target.value)}>
              {pipeline?.stages.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </dd>
          <dt>{t.t('card.amount')}</dt>
          <dd>{t.money(d.amount_minor, d.currency)}</dd>
          <dt>{t.t('card.owner')}</dt>
          <dd>{userName(users.data, d.owner_id)}</dd>
          <dt>{t.t('card.closeDate')}</dt>
          <dd>{d.expected_close_date ? t.date(d.expected_close_date) : t.t('common.none')}</dd>
          <dt>{t.t('card.tags')}</dt>
          <dd>{d.tags.length ? d.tags.map((x) => <span className="tag" key={x}>{x}</span>) : t.t('common.none')}</dd>
          {d.contact_id && (
            <>
              <dt>{t.t('card.contact')}</dt>
              <dd>
                <a href={pathOf({ name: 'contact', id: d.contact_id })} onClick={(e) => (e.preventDefault(), navigate({ name: 'contact', id: d.contact_id! }))}>
                  {t.t('card.contact')}
                </a>
              </dd>
            </>
          )}
          {d.company_id && (
            <>
              <dt>{t.t('card.company')}</dt>
              <dd>
                <a href={pathOf({ name: 'company', id: d.company_id })} onClick={(e) => (e.preventDefault(), navigate({ name: 'company', id: d.company_id! }))}>
                  {t.t('card.company')}
                </a>
              </dd>
            </>
          )}
          <dt>{t.t('card.created')}</dt>
          <dd>{t.dateTime(d.created_at)}</dd>
        </dl>
      </section>
      <EntityTasks kind="deal" id={id} />
      <section className="section">
        <h2>{t.t('card.history')}</h2>
        <Timeline items={(history.data ?? []).map((h) => stageNames(h, pipeline?.stages ?? [], t.t('common.none')))} users={users.data} />
      </section>
    </RecordLayout>
  );
}

/** Stage ids in the history read as stage names. */
function stageNames(h: History, stages: { id: string; name: string }[], none: string): History {
  if (h.field !== 'stage_id' && h.field !== 'stage') return h;
  const name = (v: unknown) => (typeof v === 'string' ? (stages.find((s) => s.id === v)?.name ?? v) : v ?? none);
  return { ...h, old: name(h.old) as History['old'], new: name(h.new) as History['new'] };
}
