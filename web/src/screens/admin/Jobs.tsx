// Background jobs (admins): how the workspace's queue stands — what waits and
// for how long — and the jobs given up after their last attempt, each with its
// reason and a button to run it again once the cause is fixed.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { useI18n, type Key } from '@artel/client/i18n';
import { toast } from '../../ui/Toast';
import { SectionError, adminError } from './common';

const KIND_LABEL: Record<string, Key> = {
  webhook_delivery: 'admin.jobs.kind.webhook_delivery',
  rule_run: 'admin.jobs.kind.rule_run',
  rule_call: 'admin.jobs.kind.rule_call',
  event_webhooks: 'admin.jobs.kind.event_webhooks',
  event_rules: 'admin.jobs.kind.event_rules',
  event_notices: 'admin.jobs.kind.event_notices',
  event_push: 'admin.jobs.kind.event_push',
};

export function BackgroundJobs() {
  const t = useI18n();
  const qc = useQueryClient();
  const stats = useQuery({ queryKey: ['job-stats'], queryFn: () => unwrap(api.http.GET('/jobs/stats')), refetchInterval: 10_000 });
  const failed = useQuery({
    queryKey: ['jobs', 'failed'],
    queryFn: () => unwrap(api.http.GET('/jobs', { params: { query: { status: 'failed', limit: 50 } } })),
    refetchInterval: 10_000,
  });
  const retry = async (id: string) => {
    try {
      await unwrap(api.http.POST('/jobs/{id}/retry', { params: { path: { id } } }));
      toast.show(t.t('admin.jobs.retried'));
    } catch (e) {
      toast.show(adminError(e, t));
    }
    await Promise.all([qc.invalidateQueries({ queryKey: ['jobs'] }), qc.invalidateQueries({ queryKey: ['job-stats'] })]);
  };
  const kind = (k: string) => (KIND_LABEL[k] ? t.t(KIND_LABEL[k]) : k);
  return (
    <section className="section admin-section" aria-labelledby="jobs-h" data-testid="jobs">
      <h2 id="jobs-h">{t.t('admin.jobs.title')}</h2>
      <p className="hint">{t.t('admin.jobs.lead')}</p>
      {stats.isError && <SectionError error={adminError(stats.error, t)} />}
      {stats.data && (
        <dl className="job-stats" data-testid="job-stats">
          <div>
            <dt>{t.t('admin.jobs.pending')}</dt>
            <dd data-testid="jobs-pending">{t.number(stats.data.pending)}</dd>
          </div>
          <div>
            <dt>{t.t('admin.jobs.lag')}</dt>
            <dd data-testid="jobs-lag">{t.t('admin.jobs.secs', { n: t.number(stats.data.lag_secs) })}</dd>
          </div>
          <div>
            <dt>{t.t('admin.jobs.failed')}</dt>
            <dd data-testid="jobs-failed">{t.number(stats.data.failed)}</dd>
          </div>
        </dl>
      )}
      {failed.isError && <SectionError error={adminError(failed.error, t)} />}
      {failed.isPending && <div className="skeleton" />}
      {failed.data && failed.data.length === 0 && <p className="muted">{t.t('admin.jobs.noFailed')}</p>}
      {failed.data && failed.data.length > 0 && (
        <table className="data" aria-label={t.t('admin.jobs.failedList')}>
          <thead>
            <tr>
              <th scope="col">{t.t('admin.int.when')}</th>
              <th scope="col">{t.t('admin.jobs.kind')}</th>
              <th scope="col">{t.t('admin.jobs.error')}</th>
              <th scope="col">
                <span className="sr-only">{t.t('admin.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {failed.data.map((j) => (
              <tr key={j.id} data-testid="failed-job">
                <td>
                  <time dateTime={j.updated_at}>{t.dateTime(j.updated_at)}</time>
                </td>
                <td>
                  {kind(j.kind)}
                  <span className="muted"> · {t.t('admin.int.attempt', { n: j.attempts })}</span>
                </td>
                <td className="break">{j.last_error ?? t.t('common.none')}</td>
                <td>
                  <button className="btn btn-ghost" onClick={() => void retry(j.id)} aria-label={`${t.t('admin.jobs.retry')}: ${kind(j.kind)}`}>
                    {t.t('admin.jobs.retry')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
