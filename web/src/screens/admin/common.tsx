// Pieces every admin section uses: errors in the reader's language, a
// confirmation dialog, and the box that shows a secret exactly once.
import { useState, type ReactNode } from 'react';
import { ApiError } from '@artel/client';
import { useI18n, type Key, type Translator } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { errorMessage } from '../../ui/errors';
import { toast } from '../../ui/Toast';

/** Field names the server reports in 422 answers, as the admin screens label them. */
const FIELD_LABELS: Record<string, Key> = {
  name: 'admin.field.name',
  email: 'admin.field.email',
  url: 'admin.field.url',
  'action.url': 'admin.field.url',
  redirect_url: 'admin.field.redirect',
  key: 'admin.field.key',
  label: 'admin.field.label',
  options: 'admin.field.options',
  events: 'admin.field.events',
  scopes: 'admin.field.scopes',
  default_currency: 'admin.ws.currency',
  phone_region: 'admin.ws.region',
  'action.title': 'admin.rule.taskTitle',
  'action.text': 'admin.rule.messageText',
  'trigger.days': 'admin.rule.days',
};

/**
 * A failure in the reader's words. The server's own messages are English, so
 * they are not shown as they are: a 422 names the field, other statuses say
 * what kind of refusal it was.
 */
export function adminError(e: unknown, t: Translator): string {
  if (!(e instanceof ApiError)) return errorMessage(e, t);
  if (e.status === 403) return t.t('admin.forbidden');
  if (e.status === 404) return t.t('admin.notFound');
  if (e.status === 422 || e.status === 400) {
    if (e.field === 'url' || e.field === 'action.url' || e.field === 'redirect_url') return t.t('admin.badUrl');
    const label = e.field ? FIELD_LABELS[e.field] : undefined;
    return label ? t.t('admin.invalidField', { field: t.t(label) }) : t.t('admin.invalid');
  }
  if (e.code.startsWith('too_many')) return t.t('admin.tooMany');
  if (e.code === 'key_taken' || e.code === 'conflict' || e.status === 409) return t.t('admin.conflict');
  return errorMessage(e, t);
}

/** Copies text, falling back to a selection where the Clipboard API is missing. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label }: { text: string; label?: string }) {
  const t = useI18n();
  return (
    <button
      type="button"
      className="btn"
      onClick={() => void copyText(text).then((ok) => toast.show(ok ? t.t('admin.copied') : t.t('admin.copyFailed')))}
    >
      {label ?? t.t('admin.copy')}
    </button>
  );
}

/** A secret the server shows once: the warning, the value, a copy button. */
export function OnceSecret({ title, value, testId, extra, onDone }: { title: string; value: string; testId?: string; extra?: ReactNode; onDone: () => void }) {
  const t = useI18n();
  return (
    <div className="once-secret" role="status">
      <strong>{title}</strong>
      <p className="hint">{t.t('admin.onceWarning')}</p>
      <code className="link" data-testid={testId ?? 'secret'}>
        {value}
      </code>
      <div className="row">
        <CopyButton text={value} />
        <button type="button" className="btn btn-ghost" onClick={onDone}>
          {t.t('admin.secretDone')}
        </button>
      </div>
      {extra}
    </div>
  );
}

/** Asks before something that cannot be undone with one click. */
export function Confirm({
  title,
  text,
  action,
  danger,
  onConfirm,
  onClose,
}: {
  title: string;
  text: string;
  action: string;
  danger?: boolean;
  onConfirm: () => Promise<unknown> | void;
  onClose: () => void;
}) {
  const t = useI18n();
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{text}</p>
      <div className="row" style={{ justifyContent: 'flex-end', marginTop: 16 }}>
        <button type="button" className="btn" onClick={onClose}>
          {t.t('common.cancel')}
        </button>
        <button
          type="button"
          className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`}
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void Promise.resolve(onConfirm()).finally(() => {
              setBusy(false);
              onClose();
            });
          }}
        >
          {action}
        </button>
      </div>
    </Dialog>
  );
}

/** A section's failure line, announced when it appears. */
export function SectionError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="error-text" role="alert" data-testid="admin-error">
      {error}
    </p>
  );
}
