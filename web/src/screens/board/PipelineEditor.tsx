// Pipeline and stage editor for admins: rename the pipeline, add, rename,
// recolour, retype, reorder and delete stages, create another pipeline. The
// server is the judge: its refusals (a stage still holding deals, the last
// stage) are shown as it words them. Loaded on demand.
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { unwrap, type Pipeline, type Stage } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { usePipelines } from '../../app/data';
import { navigate, pathOf } from '../../app/router';
import { useI18n, type Key } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { toast } from '../../ui/Toast';

type StageKind = Stage['kind'];
const KINDS: StageKind[] = ['open', 'won', 'lost'];

export default function PipelineEditor({ pipelineId }: { pipelineId: string }) {
  const t = useI18n();
  const pipelines = usePipelines();
  const role = api.session()?.user.role;
  if (role !== 'owner' && role !== 'admin') {
    return (
      <div className="empty" role="alert">
        {t.t('pipeline.adminsOnly')}
      </div>
    );
  }
  if (pipelines.isPending) return <div className="page-body skeleton" style={{ height: 200 }} />;
  const p = pipelines.data?.find((x) => x.id === pipelineId);
  if (!p) return <div className="empty">{t.t('board.empty')}</div>;
  return <Editor pipeline={p} />;
}

function Editor({ pipeline }: { pipeline: Pipeline }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const stages = [...pipeline.stages].sort((a, b) => a.position - b.position);

  /** Runs one change; on success the pipelines and the board are refetched. */
  const run = async (f: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      await qc.invalidateQueries({ queryKey: keys.pipelines });
      void qc.invalidateQueries({ queryKey: ['board', pipeline.id] });
      if (done) toast.show(done);
      return true;
    } catch (err) {
      setError(errorMessage(err, t));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const move = (i: number, by: -1 | 1) => {
    const order = stages.map((s) => s.id);
    const j = i + by;
    if (j < 0 || j >= order.length) return;
    [order[i], order[j]] = [order[j] as string, order[i] as string];
    void run(() =>
      unwrap(api.http.PUT('/pipelines/{id}/stage-order', { params: { path: { id: pipeline.id } }, body: { stage_ids: order } })),
    );
  };

  const board = { name: 'board' as const, pipelineId: pipeline.id };
  return (
    <>
      <header className="page-head">
        <h1>{t.t('pipeline.title')}</h1>
        <span className="sub">{pipeline.name}</span>
        <span className="spacer" />
        <a className="btn" href={pathOf(board)} onClick={(e) => (e.preventDefault(), navigate(board))}>
          ← {t.t('pipeline.back')}
        </a>
      </header>
      <div className="page-body pipeline-editor">
        {error && (
          <p className="error-text" role="alert" data-testid="pipeline-error">
            {error}
          </p>
        )}
        <PipelineName pipeline={pipeline} busy={busy} run={run} />
        <section className="section" aria-labelledby="stages-h">
          <h2 id="stages-h">{t.t('pipeline.stages')}</h2>
          <ol className="list stage-list">
            {stages.map((s, i) => (
              <StageRow
                key={s.id}
                stage={s}
                first={i === 0}
                last={i === stages.length - 1}
                busy={busy}
                onUp={() => move(i, -1)}
                onDown={() => move(i, 1)}
                run={run}
              />
            ))}
          </ol>
          <NewStage pipelineId={pipeline.id} busy={busy} run={run} />
        </section>
        <NewPipeline run={run} busy={busy} />
      </div>
    </>
  );
}

type Run = (f: () => Promise<unknown>, done?: string) => Promise<boolean>;

function PipelineName({ pipeline, busy, run }: { pipeline: Pipeline; busy: boolean; run: Run }) {
  const t = useI18n();
  const [name, setName] = useState(pipeline.name);
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || name.trim() === pipeline.name) return;
    void run(
      () => unwrap(api.http.PATCH('/pipelines/{id}', { params: { path: { id: pipeline.id } }, body: { name: name.trim() } })),
      t.t('common.saved'),
    );
  };
  return (
    <form className="row section" onSubmit={save} aria-label={t.t('pipeline.name')}>
      <input className="input" aria-label={t.t('pipeline.name')} value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
      <button className="btn" type="submit" disabled={busy}>
        {t.t('common.save')}
      </button>
    </form>
  );
}

function StageRow(props: { stage: Stage; first: boolean; last: boolean; busy: boolean; onUp: () => void; onDown: () => void; run: Run }) {
  const { stage, busy, run } = props;
  const t = useI18n();
  const [name, setName] = useState(stage.name);
  const patch = (body: { name?: string; color?: string; kind?: StageKind }) =>
    run(() => unwrap(api.http.PATCH('/stages/{id}', { params: { path: { id: stage.id } }, body })));
  const label = (k: Key) => `${t.t(k)}: ${stage.name}`;
  return (
    <li className="stage-row" data-stage-row={stage.id}>
      <input
        type="color"
        className="stage-color"
        aria-label={label('pipeline.color')}
        value={stage.color}
        onChange={(e) => void patch({ color: e.target.value })}
      />
      <input
        className="input"
        aria-label={label('pipeline.stageName')}
        value={name}
        maxLength={100}
        onChange={(e) => setName(e.target.value)}
        onBlur={() => name.trim() && name.trim() !== stage.name && void patch({ name: name.trim() })}
        onKeyDown={(e) => e.key === 'Enter' && (e.preventDefault(), e.currentTarget.blur())}
      />
      <select className="select" style={{ width: 'auto' }} aria-label={label('pipeline.kind')} value={stage.kind} onChange={(e) => void patch({ kind: e.target.value as StageKind })}>
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {t.t(`pipeline.kind.${k}`)}
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-ghost btn-icon" aria-label={label('pipeline.up')} disabled={busy || props.first} onClick={props.onUp}>
        ↑
      </button>
      <button type="button" className="btn btn-ghost btn-icon" aria-label={label('pipeline.down')} disabled={busy || props.last} onClick={props.onDown}>
        ↓
      </button>
      <button
        type="button"
        className="btn btn-danger"
        aria-label={label('common.delete')}
        disabled={busy}
        onClick={() => void run(() => unwrap(api.http.DELETE('/stages/{id}', { params: { path: { id: stage.id } } })), t.t('pipeline.deleted'))}
      >
        {t.t('common.delete')}
      </button>
    </li>
  );
}

function NewStage({ pipelineId, busy, run }: { pipelineId: string; busy: boolean; run: Run }) {
  const t = useI18n();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<StageKind>('open');
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    const ok = await run(() =>
      unwrap(api.http.POST('/pipelines/{id}/stages', { params: { path: { id: pipelineId } }, body: { name: name.trim(), kind } })),
    );
    if (ok) setName('');
  };
  return (
    <form className="row" onSubmit={(e) => void add(e)} aria-label={t.t('pipeline.addStage')}>
      <input className="input" aria-label={t.t('pipeline.newStage')} placeholder={t.t('pipeline.newStage')} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      <select className="select" style={{ width: 'auto' }} aria-label={t.t('pipeline.newStageKind')} value={kind} onChange={(e) => setKind(e.target.value as StageKind)}>
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {t.t(`pipeline.kind.${k}`)}
          </option>
        ))}
      </select>
      <button className="btn btn-primary" type="submit" disabled={busy}>
        {t.t('pipeline.addStage')}
      </button>
    </form>
  );
}

function NewPipeline({ busy, run }: { busy: boolean; run: Run }) {
  const t = useI18n();
  const [name, setName] = useState('');
  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    let created: Pipeline | null = null;
    const ok = await run(async () => {
      created = await unwrap(api.http.POST('/pipelines', { body: { name: name.trim() } }));
    });
    const p = created as Pipeline | null;
    if (ok && p) {
      setName('');
      navigate({ name: 'pipelineEdit', pipelineId: p.id });
    }
  };
  return (
    <section className="section" aria-labelledby="new-pipeline-h">
      <h2 id="new-pipeline-h">{t.t('pipeline.new')}</h2>
      <form className="row" onSubmit={(e) => void create(e)} aria-label={t.t('pipeline.new')}>
        <input className="input" aria-label={t.t('pipeline.newName')} placeholder={t.t('pipeline.newName')} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        <button className="btn" type="submit" disabled={busy}>
          {t.t('common.create')}
        </button>
      </form>
    </section>
  );
}
