// A contact's or company's card: fields, tasks, change history, and its chat
// (opened on first use) side by side.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap, type Company, type Contact } from '@api';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useChats, useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { useI18n } from '../../i18n';
import { Skeleton } from '../Shell';
import { errorMessage } from '../../ui/errors';
import { toast } from '../../ui/Toast';
import { LinkedText } from '../../ui/LinkedText';
import { EntityTasks, RecordLayout, Timeline } from './parts';

export default function ContactScreen({ kind, id }: { kind: 'contact' | 'company'; id: string }) {
  const t = useI18n();
  const qc = useQueryClient();
  const users = useUsers();
  const chats = useChats();
  const record = useQuery({
    queryKey: [kind, id],
    queryFn: (): Promise<Contact | Company> =>
      kind === 'contact'
        ? unwrap(api.http.GET('/contacts/{id}', { params: { path: { id } } }))
        : unwrap(api.http.GET('/companies/{id}', { params: { path: { id } } })),
  });
  const history = useQuery({
    queryKey: [kind, id, 'history'],
    queryFn: () =>
      kind === 'contact'
        ? unwrap(api.http.GET('/contacts/{id}/history', { params: { path: { id } } }))
        : unwrap(api.http.GET('/companies/{id}/history', { params: { path: { id } } })),
  });
  const chatId = chats.data?.find((s) => s.chat.entity?.kind === kind && s.chat.entity.id === id)?.chat.id;
  const openChat = async () => {
    try {
      await unwrap(api.http.POST('/chats/entity', { body: { kind, id } }));
      await qc.invalidateQueries({ queryKey: keys.chats });
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  if (record.isPending) return <Skeleton />;
  if (record.isError) return <div className="empty" role="alert">{errorMessage(record.error, t)}</div>;
  const r = record.data;
  return (
    <RecordLayout chatId={chatId} onOpenChat={() => void openChat()} head={<h1>{r.name}</h1>}>
      <section className="section">
        <h2>{t.t('card.fields')}</h2>
        <dl className="fields">
          {'position' in r && (
            <>
              <dt>{t.t('card.position')}</dt>
              <dd>{r.position ?? t.t('common.none')}</dd>
            </>
          )}
          {'website' in r && (
            <>
              <dt>{t.t('card.website')}</dt>
              <dd>{r.website ?? t.t('common.none')}</dd>
            </>
          )}
          <dt>{t.t('card.phones')}</dt>
          <dd>{r.phones.length ? r.phones.map((p) => <div key={p.e164}><a href={`tel:${p.e164}`}>{p.raw || p.e164}</a></div>) : t.t('common.none')}</dd>
          <dt>{t.t('card.emails')}</dt>
          <dd>{r.emails.length ? r.emails.map((e) => <div key={e}><a href={`mailto:${e}`}>{e}</a></div>) : t.t('common.none')}</dd>
          <dt>{t.t('card.owner')}</dt>
          <dd>{r.owner_id ? userName(users.data, r.owner_id) : t.t('common.none')}</dd>
          <dt>{t.t('card.tags')}</dt>
          <dd>{r.tags.length ? r.tags.map((x) => <span className="tag" key={x}>{x}</span>) : t.t('common.none')}</dd>
          <dt>{t.t('card.notes')}</dt>
          <dd style={{ whiteSpace: 'pre-wrap' }} data-testid="record-notes">{r.notes ? <LinkedText text={r.notes} /> : t.t('common.none')}</dd>
        </dl>
      </section>
      <EntityTasks kind={kind} id={id} />
      <section className="section">
        <h2>{t.t('card.history')}</h2>
        <Timeline items={history.data ?? []} users={users.data} />
      </section>
    </RecordLayout>
  );
}
