// CSV import of contacts or companies: pick a file (or paste), say which column
// is which field, run a dry run and read its report, and only then import.
import { useMemo, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { errorMessage } from '../../ui/errors';
import { useCustomFields } from './edit';
import { csvHeader, guessMapping, IMPORT_TARGETS } from './csv';
import type { components } from '@artel/client';

type Report = components['schemas']['ImportReport'];

export function ImportDialog({ kind, onClose }: { kind: 'contact' | 'company'; onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const fields = useCustomFields(kind);
  const [csv, setCsv] = useState('');
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [onDuplicate, setOnDuplicate] = useState<'skip' | 'create'>('skip');
  const [report, setReport] = useState<Report | null>(null);
  const [checked, setChecked] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { headers, delimiter } = useMemo(() => csvHeader(csv), [csv]);
  const targets = [...IMPORT_TARGETS[kind], ...(fields.data ?? []).map((f) => `custom.${f.key}`)];
  const label = (target: string) => {
    if (target.startsWith('custom.')) return fields.data?.find((f) => `custom.${f.key}` === target)?.label ?? target;
    return t.t(`import.field.${target}` as 'import.field.name');
  };
  const effective = useMemo(() => {
    const guessed = guessMapping(headers, targets);
    return Object.fromEntries(headers.map((h) => [h, mapping[h] ?? guessed[h] ?? ''])) as Record<string, string>;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [headers, mapping, fields.data]);
  const signature = JSON.stringify([csv, effective, onDuplicate]);
  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(null);
    const m = Object.fromEntries(Object.entries(effective).filter(([, v]) => v));
    const body = { csv, delimiter, dry_run: dryRun, mapping: m, on_duplicate: onDuplicate };
    try {
      const r =
        kind === 'contact'
          ? await unwrap(api.http.POST('/contacts/import', { body }))
          : await unwrap(api.http.POST('/companies/import', { body }));
      setReport(r);
      setChecked(dryRun ? signature : null);
      if (!dryRun) {
        void qc.invalidateQueries({ queryKey: ['contacts'] });
        void qc.invalidateQueries({ queryKey: ['companies'] });
      }
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };
  const readFile = async (file: File | undefined) => {
    if (!file) return;
    setCsv(await file.text());
    setMapping({});
    setReport(null);
  };
  const mappedName = Object.values(effective).includes('name');
  return (
    <Dialog title={kind === 'contact' ? t.t('import.titleContacts') : t.t('import.titleCompanies')} onClose={onClose}>
      <div className="record-form import">
        <label className="field">
          <span>{t.t('import.file')}</span>
          <input type="file" accept=".csv,text/csv" onChange={(e) => void readFile(e.target.files?.[0])} />
        </label>
        <label className="field">
          <span>{t.t('import.paste')}</span>
          <textarea className="input mono" rows={4} value={csv} onChange={(e) => (setCsv(e.target.value), setReport(null))} />
        </label>
        {headers.length > 0 && (
          <fieldset className="mapping">
            <legend>{t.t('import.mapping')}</legend>
            {headers.map((h) => (
              <label key={h} className="form-row">
                <span className="form-label">{h}</span>
                <select className="select" value={effective[h]} onChange={(e) => (setMapping((m) => ({ ...m, [h]: e.target.value })), setReport(null))}>
                  <option value="">{t.t('import.skipColumn')}</option>
                  {targets.map((x) => (
                    <option key={x} value={x}>
                      {label(x)}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </fieldset>
        )}
        {headers.length > 0 && !mappedName && <p className="error-text" role="alert">{t.t('import.needName')}</p>}
        <label className="field">
          <span>{t.t('import.onDuplicate')}</span>
          <select className="select" value={onDuplicate} onChange={(e) => (setOnDuplicate(e.target.value as 'skip' | 'create'), setReport(null))}>
            <option value="skip">{t.t('import.dupSkip')}</option>
            <option value="create">{t.t('import.dupCreate')}</option>
          </select>
        </label>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        {report && <ImportReportView report={report} />}
        <div className="row">
          <button type="button" className="btn" disabled={busy || !csv.trim() || !mappedName} onClick={() => void run(true)}>
            {t.t('import.check')}
          </button>
          <button type="button" className="btn btn-primary" disabled={busy || checked !== signature || !report || report.counts.imported === 0} onClick={() => void run(false)}>
            {t.t('import.run')}
          </button>
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.close')}
          </button>
        </div>
        {!report && csv.trim() && <p className="hint">{t.t('import.checkFirst')}</p>}
      </div>
    </Dialog>
  );
}

function ImportReportView({ report }: { report: Report }) {
  const t = useI18n();
  const c = report.counts;
  const problems = report.rows.filter((r) => r.status !== 'imported');
  return (
    <section className="import-report" aria-label={t.t('import.report')} data-testid="import-report" data-dry-run={report.dry_run}>
      <h3>{report.dry_run ? t.t('import.dryRunReport') : t.t('import.doneReport')}</h3>
      <p>
        {t.t(report.dry_run ? 'import.countsDry' : 'import.counts', { rows: c.rows, imported: c.imported, skipped: c.skipped, errors: c.errors })}
        {c.companies_created > 0 && ` ${t.t('import.companiesCreated', { count: c.companies_created })}`}
      </p>
      {problems.length > 0 && (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">{t.t('import.row')}</th>
              <th scope="col">{t.t('import.status')}</th>
              <th scope="col">{t.t('import.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {problems.slice(0, 100).map((r) => (
              <tr key={r.row}>
                <td>{r.row}</td>
                <td>{r.status === 'error' ? t.t('import.statusError') : t.t('import.statusSkipped')}</td>
                <td lang={t.lang === 'en' ? undefined : 'en'}>{r.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
