// A deal card: title, amount, stage, and a stage picker. The move goes through
// the outbox with the deal's version, so it works offline; a conflict (someone
// moved or changed it first) shows as failed with the reason.
import { useEffect } from 'react';
import { unwrap, type Deal, type Pipeline } from '@api';
import { useI18n } from '@i18n';
import { useApp, useCached, useOutbox } from '../context';
import { navigate } from '../router';
import { stageNames } from '../stages';
import { useM } from '../strings';
import { Header, latest, OutboxState } from './common';

export function DealScreen({ id }: { id: string }) {
  const { api, outbox } = useApp();
  const { t, money } = useI18n();
  const m = useM();
  const deal = useCached<Deal>(`deal:${id}`, () => unwrap(api.http.GET('/deals/{id}', { params: { path: { id } } })));
  const pipelines = useCached<Pipeline[]>('pipelines', () => unwrap(api.http.GET('/pipelines')));
  for (const p of pipelines.data ?? []) for (const s of p.stages) stageNames.set(s.id, s.name);
  const items = useOutbox();
  const move = latest(items, (i) => i.payload.kind === 'move_deal' && i.payload.deal_id === id);
  const d = deal.data;
  const pipeline = d ? pipelines.data?.find((p) => p.id === d.pipeline_id) : undefined;
  // A move that went through brings the deal's new version and stage.
  const sent = move?.state === 'sent' ? (move.result as Deal | undefined) : undefined;
  const { set, reload } = deal;
  // A refused move means the card is stale: show where the deal really is.
  const failed = move?.state === 'failed';
  useEffect(() => {
    if (failed) reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [failed]);
  useEffect(() => {
    if (sent && typeof sent === 'object' && 'version' in sent) set((old) => (old && old.version >= sent.version ? old : sent));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [sent]);
  // While a move waits in the outbox, the card shows where it is going.
  const shownStage =
    move && move.payload.kind === 'move_deal' && (move.state === 'pending' || move.state === 'sending')
      ? move.payload.stage_id
      : d?.stage_id;
  const pick = async (stageId: string, stageName: string) => {
    if (!d || stageId === shownStage) return;
    // Offline, only the last choice matters: it replaces a move still waiting.
    if (move && move.state === 'pending') await outbox.discard(move.id);
    await outbox.add({ kind: 'move_deal', deal_id: d.id, stage_id: stageId, version: d.version, stage_name: stageName });
  };

  return (
    <>
      <Header title={d?.title ?? m('deal.title')} back={() => history.back()} />
      {!d && !deal.error && <p className="muted">{t('app.loading')}</p>}
      {deal.error && !d && (
        <p role="alert" className="error">
          {deal.error.message}
        </p>
      )}
      {d && (
        <div className="card">
          <dl>
            <dt>{m('deal.amount')}</dt>
            <dd>{money(d.amount_minor, d.currency)}</dd>
            <dt>{m('deal.stage')}</dt>
            <dd data-testid="deal-stage">{stageNames.get(shownStage ?? '') ?? '…'}</dd>
          </dl>
          {move && (
            <OutboxState
              item={move}
              onRetry={() => {
                // Retried on the deal as it is now (the old version would only conflict again).
                if (move.payload.kind !== 'move_deal' || !d) return;
                const { stage_id, stage_name } = move.payload;
                void outbox
                  .add({ kind: 'move_deal', deal_id: d.id, stage_id, version: d.version, stage_name })
                  .then(() => outbox.discard(move.id));
              }}
            />
          )}
          {d.chat_id && (
            <button type="button" className="chip" onClick={() => navigate({ name: 'chat', chatId: d.chat_id! })}>
              {m('deal.openChat')}
            </button>
          )}
          {pipeline && (
            <fieldset className="stages">
              <legend>{m('deal.move')}</legend>
              {pipeline.stages.map((s) => (
                <label key={s.id} className="stage">
                  <input
                    type="radio"
                    name={`stage-${d.id}`}
                    value={s.id}
                    checked={s.id === shownStage}
                    onChange={() => void pick(s.id, s.name)}
                  />
                  <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
                  {s.name}
                </label>
              ))}
            </fieldset>
          )}
        </div>
      )}
    </>
  );
}
