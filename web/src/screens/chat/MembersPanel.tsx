// A chat's people: who is in it and with which role, adding someone from the
// workspace, removing a member (chat owners and admins), leaving. Refusals
// from the server are shown in words, beside what was tried.
import { useMemo, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, unwrap, type Chat, type Member, type User } from '@artel/client';
import { api } from '../../app/session';
import { keys } from '../../app/live';
import { useUsers } from '../../app/data';
import { userName } from '../../app/names';
import { navigate } from '../../app/router';
import { useI18n, type Key, type Translator } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { Dialog } from '../../ui/Dialog';
import { ErrorText } from '../../ui/Field';
import { Icon } from '../../ui/Icon';
import { toast } from '../../ui/Toast';

/** A failure in words: our own for a refusal (403), else the usual message. */
export function refusal(err: unknown, t: Translator, forbidden: Key): string {
  return err instanceof ApiError && err.status === 403 ? t.t(forbidden) : errorMessage(err, t);
}

/** Whether I may manage the chat, as the server judges it (it has the last word). */
export function canManage(chat: Chat, mine: Member | undefined, me: User | undefined): boolean {
  if (chat.kind === 'direct') return false;
  if (mine && (mine.role === 'owner' || mine.role === 'admin')) return true;
  const workspaceAdmin = me?.role === 'owner' || me?.role === 'admin';
  return workspaceAdmin && (Boolean(mine) || (chat.kind === 'channel' && !chat.is_private));
}

export function MembersPanel({ chat, onClose, asDialog }: { chat: Chat; onClose: () => void; asDialog?: boolean }) {
  const t = useI18n();
  const qc = useQueryClient();
  const session = api.session();
  const me = session?.user.id ?? '';
  const users = useUsers(true);
  const members = useQuery({
    queryKey: keys.members(chat.id),
    queryFn: () => unwrap(api.http.GET('/chats/{id}/members', { params: { path: { id: chat.id } } })),
  });
  const [find, setFind] = useState('');
  const [error, setError] = useState<string | null>(null);
  const list = useMemo(() => {
    const rank = { owner: 0, admin: 1, member: 2 } as const;
    return [...(members.data ?? [])].sort(
      (a, b) => rank[a.role] - rank[b.role] || userName(users.data, a.user_id).localeCompare(userName(users.data, b.user_id)),
    );
  }, [members.data, users.data]);
  const mine = list.find((m) => m.user_id === me);
  const manager = canManage(chat, mine, session?.user);
  const isGuest = session?.user.role === 'guest';
  const direct = chat.kind === 'direct';
  const inChat = new Set(list.map((m) => m.user_id));
  const needle = find.trim().toLowerCase();
  const candidates = needle
    ? [...(users.data?.values() ?? [])]
        .filter((u) => !u.deactivated_at && !inChat.has(u.id))
        .filter((u) => u.name.toLowerCase().includes(needle) || u.email.toLowerCase().includes(needle))
        .slice(0, 8)
    : [];

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: keys.members(chat.id) });
    void qc.invalidateQueries({ queryKey: keys.chats });
  };
  const add = async (u: User) => {
    setError(null);
    try {
      await unwrap(api.http.POST('/chats/{id}/members', { params: { path: { id: chat.id } }, body: { user_id: u.id } }));
      setFind('');
      toast.show(t.t('members.added', { name: u.name }));
      refresh();
    } catch (err) {
      setError(refusal(err, t, 'members.forbiddenAdd'));
    }
  };
  const remove = async (m: Member) => {
    const name = userName(users.data, m.user_id);
    if (!confirm(t.t('members.removeConfirm', { name }))) return;
    setError(null);
    try {
      await unwrap(api.http.DELETE('/chats/{id}/members/{user_id}', { params: { path: { id: chat.id, user_id: m.user_id } } }));
      toast.show(t.t('members.removed', { name }));
      refresh();
    } catch (err) {
      setError(refusal(err, t, 'members.forbiddenRemove'));
    }
  };
  const leave = async () => {
    if (!confirm(t.t('members.leaveConfirm'))) return;
    setError(null);
    try {
      await unwrap(api.http.POST('/chats/{id}/leave', { params: { path: { id: chat.id } } }));
      toast.show(t.t('members.left'));
      onClose();
      await qc.invalidateQueries({ queryKey: keys.chats });
      qc.removeQueries({ queryKey: keys.messages(chat.id) });
      // On a record's card the chat stays in place (with a way back in); elsewhere go home.
      if (!chat.entity) navigate({ name: 'home' });
    } catch (err) {
      setError(refusal(err, t, 'members.forbiddenLeave'));
    }
  };

  const body = (
    <>
      {!direct && !isGuest && (
        <div className="members-add">
          <label className="field">
            <span>{t.t('members.add')}</span>
            <input className="input" type="search" placeholder={t.t('members.find')} value={find} onChange={(e) => setFind(e.target.value)} />
          </label>
          {needle && candidates.length === 0 && <p className="hint">{t.t('members.nobody')}</p>}
          {candidates.length > 0 && (
            <ul className="list" aria-label={t.t('members.add')}>
              {candidates.map((u) => (
                <li key={u.id}>
                  <span className="grow">
                    {u.name} <span className="hint">{u.email}</span>
                  </span>
                  <button type="button" className="btn" onClick={() => void add(u)} aria-label={`${t.t('members.addOne')}: ${u.name}`}>
                    {t.t('members.addOne')}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <ErrorText error={error} />
      {members.isError && <ErrorText error={errorMessage(members.error, t)} />}
      <ul className="list members-list" aria-label={t.t('members.title')}>
        {list.map((m) => {
          const name = userName(users.data, m.user_id);
          const role = users.data?.get(m.user_id)?.role;
          return (
            <li key={m.user_id} data-user-id={m.user_id}>
              <span className="grow">
                <strong>{name}</strong>
                {m.user_id === me && <span className="hint"> ({t.t('members.you')})</span>}
                <br />
                <span className="hint">
                  {t.t(`members.role.${m.role}`)}
                  {role === 'guest' ? ` · ${t.t('role.guest')}` : ''}
                </span>
              </span>
              {manager && !direct && m.user_id !== me && (
                <button type="button" className="btn btn-ghost btn-icon" onClick={() => void remove(m)} aria-label={t.t('members.remove', { name })} title={t.t('members.remove', { name })}>
                  <Icon name="close" />
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {!direct && mine && (
        <button type="button" className="btn btn-danger" style={{ marginTop: 12 }} onClick={() => void leave()}>
          {t.t('members.leave')}
        </button>
      )}
    </>
  );

  const title = `${t.t('members.title')} (${t.number(list.length)})`;
  if (asDialog)
    return (
      <Dialog title={title} onClose={onClose}>
        {body}
        <div className="row" style={{ marginTop: 12 }}>
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.close')}
          </button>
        </div>
      </Dialog>
    );
  return (
    <aside className="panel" aria-label={t.t('members.title')}>
      <header className="page-head">
        <h2>{title}</h2>
        <span className="spacer" />
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label={t.t('common.close')}>
          <Icon name="close" />
        </button>
      </header>
      <div className="page-body">{body}</div>
    </aside>
  );
}
