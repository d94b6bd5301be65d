// A channel's (or group's) name and topic. Everyone in it may read them here;
// its owners and admins change them (the server refuses others, and says so).
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { unwrap, type Chat } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { ErrorText, Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { refusal } from './MembersPanel';

const MAX_TOPIC = 1000;

export function ChatSettings({ chat, canEdit, onClose }: { chat: Chat; canEdit: boolean; onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [name, setName] = useState(chat.name ?? '');
  const [topic, setTopic] = useState(chat.description ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title = chat.kind === 'channel' ? t.t('channel.settings') : t.t('chat.settings');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const changed = await unwrap(
        api.http.PATCH('/chats/{id}', { params: { path: { id: chat.id } }, body: { name: name.trim(), description: topic.trim() } }),
      );
      qc.setQueryData(['chat', chat.id], changed);
      await qc.invalidateQueries({ queryKey: keys.chats });
      void qc.invalidateQueries({ queryKey: ['browse'] });
      toast.show(t.t('common.saved'));
      onClose();
    } catch (err) {
      setError(refusal(err, t, 'channel.forbidden'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit}>
        {!canEdit && <p className="hint">{t.t('channel.readOnly')}</p>}
        <Field label={t.t('channel.name')} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        <label className="field">
          <span>{t.t('channel.topic')}</span>
          <textarea className="textarea" rows={3} maxLength={MAX_TOPIC} value={topic} onChange={(e) => setTopic(e.target.value)} aria-describedby={`topic-hint-${chat.id}`} />
          <small className="hint" id={`topic-hint-${chat.id}`}>
            {t.t('channel.topicHint')}
          </small>
        </label>
        <ErrorText error={error} />
        <div className="row">
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t.t('common.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
