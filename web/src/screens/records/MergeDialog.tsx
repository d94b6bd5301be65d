// Merging two copies of a contact or company: both side by side, the values
// that differ chosen one by one (the staying card's by default, the other's
// where the staying one is empty), phones, e-mails and tags joined. The other
// card's deals, tasks, people and chat move over; then the staying card opens.
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Company, type Contact } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate } from '../../app/router';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { toast } from '../../ui/Toast';
import { errorMessage } from '../../ui/errors';
import { CustomView, useClientName, useCustomFields } from './edit';
import { mergePicks, singleFields, type MergeField, type Pick } from './merge';

type Kind = 'contact' | 'company';
type Client = Contact | Company;

function useRecord(kind: Kind, id: string) {
  return useQuery({
    queryKey: [kind, id],
    queryFn: (): Promise<Client> =>
      kind === 'contact'
        ? unwrap(api.http.GET('/contacts/{id}', { params: { path: { id } } }))
        : unwrap(api.http.GET('/companies/{id}', { params: { path: { id } } })),
  });
}

export function MergeDialog({
  kind,
  keepId,
  otherId,
  onClose,
  onMerged,
}: {
  kind: Kind;
  /** The card that stays unless the user swaps them. */
  keepId: string;
  otherId: string;
  onClose: () => void;
  /** After the merge (before the staying card opens); `onClose` when not given. */
  onMerged?: () => void;
}) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const fields = useCustomFields(kind);
  // Which card stays: the one opened, unless the user swaps them.
  const [swapped, setSwapped] = useState(false);
  const [intoId, fromId] = swapped ? [otherId, keepId] : [keepId, otherId];
  const into = useRecord(kind, intoId);
  const from = useRecord(kind, fromId);
  const [picks, setPicks] = useState<Record<string, Pick>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const intoCompany = useClientName('company', into.data && 'company_id' in into.data ? into.data.company_id : null);
  const fromCompany = useClientName('company', from.data && 'company_id' in from.data ? from.data.company_id : null);

  const labels: Record<string, string> = {
    name: t.t('field.name'),
    position: t.t('card.position'),
    company_id: t.t('card.company'),
    website: t.t('card.website'),
    address: t.t('card.address'),
    owner_id: t.t('card.owner'),
    source: t.t('card.source'),
    notes: t.t('card.notes'),
  };
  const ready = into.data && from.data;
  const rows: MergeField[] = ready ? singleFields(kind, into.data as Client, from.data as Client, (fields.data ?? []).map((f) => f.key)) : [];
  const show = (f: MergeField, side: 'into' | 'from') => {
    const v = side === 'into' ? f.into : f.from;
    if (v === null || v === undefined || v === '') return t.t('common.none');
    if (f.key === 'owner_id') return userName(users.data, String(v));
    if (f.key === 'company_id') return (side === 'into' ? intoCompany : fromCompany) ?? '…';
    if (f.key.startsWith('custom.')) {
      const def = fields.data?.find((d) => `custom.${d.key}` === f.key);
      if (def) return <CustomView field={def} value={v} users={users.data} />;
    }
    return String(v);
  };
  const label = (f: MergeField) => labels[f.key] ?? fields.data?.find((d) => `custom.${d.key}` === f.key)?.label ?? f.key;
  const list = (c: Client) => [
    ...c.phones.map((p) => p.raw || p.e164),
    ...c.emails,
  ];

  const submit = async () => {
    if (!ready) return;
    setBusy(true);
    setError(null);
    const body = { from_id: fromId, fields: mergePicks(rows, picks) };
    try {
      const merged =
        kind === 'contact'
          ? await unwrap(api.http.POST('/contacts/{id}/merge', { params: { path: { id: intoId } }, body }))
          : await unwrap(api.http.POST('/companies/{id}/merge', { params: { path: { id: intoId } }, body }));
      qc.setQueryData([kind, intoId], merged);
      qc.removeQueries({ queryKey: [kind, fromId] });
      void qc.invalidateQueries({ queryKey: [kind, intoId] });
      void qc.invalidateQueries({ queryKey: [kind === 'contact' ? 'contacts' : 'companies'] });
      void qc.invalidateQueries({ queryKey: ['deals'] });
      void qc.invalidateQueries({ queryKey: ['tasks'] });
      void qc.invalidateQueries({ queryKey: keys.chats });
      toast.show(t.t('merge.done', { name: merged.name }));
      (onMerged ?? onClose)();
      navigate({ name: kind, id: intoId });
    } catch (err) {
      setError(errorMessage(err, t));
      setBusy(false);
    }
  };

  return (
    <Dialog title={kind === 'contact' ? t.t('merge.titleContact') : t.t('merge.titleCompany')} onClose={onClose} wide>
      {!ready ? (
        <p className="muted" role="status">{t.t('app.loading')}</p>
      ) : (
        <div className="merge" data-testid="merge-dialog">
          <p className="hint">{t.t('merge.explain', { keep: into.data.name, other: from.data.name })}</p>
          <table className="data merge-table">
            <thead>
              <tr>
                <th scope="col">{t.t('merge.field')}</th>
                <th scope="col">{t.t('merge.stays')}</th>
                <th scope="col">{t.t('merge.goes')}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">{t.t('merge.card')}</th>
                <td><strong>{into.data.name}</strong></td>
                <td>{from.data.name}</td>
              </tr>
              {rows.map((f) => {
                const pick = picks[f.key] ?? f.default;
                const name = `merge-${f.key}`;
                return (
                  <tr key={f.key} data-field={f.key}>
                    <th scope="row" id={name}>
                      {label(f)}
                    </th>
                    {(['into', 'from'] as const).map((side) => (
                      <td key={side}>
                        {f.conflict ? (
                          <label className="merge-choice">
                            <input
                              type="radio"
                              name={name}
                              aria-describedby={name}
                              checked={pick === (side === 'into' ? 'keep' : 'take')}
                              onChange={() => setPicks((p) => ({ ...p, [f.key]: side === 'into' ? 'keep' : 'take' }))}
                            />
                            <span>{show(f, side)}</span>
                          </label>
                        ) : (
                          // The value the merge drops is dimmed (notes of both are kept).
                          <span className={f.key !== 'notes' && (side === 'from') === (f.default === 'keep') ? 'muted' : undefined}>{show(f, side)}</span>
                        )}
                      </td>
                    ))}
                  </tr>
                );
              })}
              {list(into.data).length + list(from.data).length > 0 && (
                <tr>
                  <th scope="row">{t.t('merge.contacts')}</th>
                  <td>{list(into.data).join(', ') || t.t('common.none')}</td>
                  <td>{list(from.data).join(', ') || t.t('common.none')}</td>
                </tr>
              )}
            </tbody>
          </table>
          <p className="hint">{t.t('merge.joined')}</p>
          <p className="hint">{t.t('merge.moves', { other: from.data.name })}</p>
          {error && (
            <p className="error-text" role="alert">
              {error}
            </p>
          )}
          <div className="row">
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void submit()}>
              {t.t('merge.confirm')}
            </button>
            <button type="button" className="btn" disabled={busy} onClick={() => (setSwapped((s) => !s), setPicks({}))}>
              {t.t('merge.swap')}
            </button>
            <button type="button" className="btn" onClick={onClose}>
              {t.t('common.cancel')}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
