// Asks why a deal is lost before it moves to a lost stage: from the card's
// "Lost" button, its stage list and a drop on the board's lost column alike.
import { useState, type FormEvent } from 'react';
import { useI18n } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { Dialog } from '../../ui/Dialog';

export function LossDialog({ onClose, onSubmit }: { onClose: () => void; onSubmit: (reason: string) => Promise<void> }) {
  const t = useI18n();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return setError(t.t('card.lossReasonNeeded'));
    try {
      await onSubmit(reason.trim());
    } catch (err) {
      setError(errorMessage(err, t));
    }
  };
  return (
    <Dialog title={t.t('card.markLost')} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label className="field">
          <span>{t.t('card.lossReason')}</span>
          <textarea className="input" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={error ? true : undefined} />
        </label>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <div className="row">
          <button className="btn btn-danger" type="submit">
            {t.t('card.markLost')}
          </button>
          <button className="btn" type="button" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
