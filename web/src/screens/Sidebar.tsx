// Channels, direct messages and record chats with unread and mention badges,
// plus the app's sections.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { unwrap, type ChatSummary, type Session } from '@artel/client';
import { api, realtime } from '../app/session';
import { keys, presenceOf, useEphemeral } from '../app/live';
import { useChats, useUsers } from '../app/data';
import { chatGlyph, chatName } from '../app/names';
import { navigate, pathOf, useRoute, type Route } from '../app/router';
import { useI18n } from '@artel/client/i18n';
import { Dialog } from '../ui/Dialog';
import { ErrorText, Field } from '../ui/Field';
import { errorMessage } from '../ui/errors';
import { Icon } from '../ui/Icon';
import { BrowseChannels } from './chat/BrowseChannels';
import { SidebarList } from './SidebarList';

export function Sidebar({ session, onSwitcher }: { session: Session; onSwitcher: () => void }) {
  const t = useI18n();
  const route = useRoute();
  const chats = useChats();
  const users = useUsers();
  const [creating, setCreating] = useState(false);
  const [browsing, setBrowsing] = useState(false);
  const navRef = useRef<HTMLElement>(null);
  const me = session.user.id;
  const list = chats.data ?? [];
  const channels = list.filter((s) => !s.chat.entity && s.chat.kind === 'channel');
  const directs = list.filter((s) => !s.chat.entity && s.chat.kind !== 'channel');
  const records = list.filter((s) => s.chat.entity);
  const activeChat = route.name === 'chat' ? route.chatId : null;
  const isGuest = session.user.role === 'guest';
  const isAdmin = session.user.role === 'owner' || session.user.role === 'admin';
  // The sidebar shows the presence of direct-chat partners: follow just them.
  const partners = directs
    .filter((s) => s.chat.kind === 'direct')
    .flatMap((s) => s.chat.direct_user_ids ?? [])
    .filter((u) => u !== me);
  const partnerKey = [...new Set(partners)].sort().join(',');
  useEffect(() => {
    realtime.watchPresence(partnerKey ? partnerKey.split(',') : []);
  }, [partnerKey]);

  const section = (title: string, items: ChatSummary[], extra?: React.ReactNode) => (
    <section className="nav-section" aria-label={title}>
      <h2>
        {title}
        {extra}
      </h2>
      <SidebarList
        items={items}
        keyOf={(s) => s.chat.id}
        render={(s) => <ChatLink summary={s} me={me} active={s.chat.id === activeChat} name={chatName(s.chat, me, users.data)} />}
        scroller={navRef}
      />
    </section>
  );

  return (
    <aside className="sidebar" aria-label={t.t('nav.chats')}>
      <div className="sidebar-head">
        <strong>{session.workspace.name}</strong>
      </div>
      <button type="button" className="switcher-btn" onClick={onSwitcher} aria-keyshortcuts="Control+K">
        {t.t('nav.switcher')}
      </button>
      <nav aria-label={t.t('app.name')} ref={navRef}>
        <ul style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {!isGuest && <NavLink to={{ name: 'board' }} glyph="▦" label={t.t('nav.board')} active={route.name === 'board' || route.name === 'pipelineEdit' || route.name === 'deal'} />}
          <NavLink to={{ name: 'tasks' }} glyph="✓" label={t.t('nav.tasks')} active={route.name === 'tasks'} />
          {!isGuest && <NavLink to={{ name: 'contacts', tab: 'contacts' }} glyph="◎" label={t.t('nav.contacts')} active={route.name === 'contacts' || route.name === 'contact' || route.name === 'company'} />}
          <NavLink to={{ name: 'search', q: '' }} glyph="⌕" label={t.t('nav.search')} active={route.name === 'search'} />
          {isAdmin && <NavLink to={{ name: 'admin', tab: 'people' }} glyph="⚙" label={t.t('admin.title')} active={route.name === 'admin'} />}
        </ul>
        {chats.isPending && <div className="skeleton" style={{ margin: '16px' }} />}
        {(channels.length > 0 || !isGuest) && section(
          t.t('nav.channels'),
          channels,
          !isGuest && (
            <button type="button" className="btn btn-ghost btn-icon" aria-label={t.t('nav.newChannel')} title={t.t('nav.newChannel')} onClick={() => setCreating(true)}>
              +
            </button>
          ),
        )}
        {!isGuest && (
          <button type="button" className="nav-item nav-browse" onClick={() => setBrowsing(true)}>
            <span className="glyph" aria-hidden="true">
              #
            </span>
            <span className="name">{t.t('nav.browse')}</span>
          </button>
        )}
        {section(t.t('nav.directs'), directs)}
        {records.length > 0 && section(t.t('nav.records'), records)}
      </nav>
      <div className="sidebar-foot">
        <span className="name" style={{ flex: 1 }}>
          {session.user.name}
        </span>
        <a className={'btn btn-ghost btn-icon'} href="/settings" onClick={(e) => go(e, { name: 'settings' })} aria-label={t.t('nav.settings')} title={t.t('nav.settings')}>
          <Icon name="gear" />
        </a>
        <button type="button" className="btn btn-ghost btn-icon" onClick={() => void api.logout()} title={t.t('auth.signOut')}>
          {t.t('auth.signOut')}
        </button>
      </div>
      {creating && <NewChannel onClose={() => setCreating(false)} />}
      {browsing && <BrowseChannels onClose={() => setBrowsing(false)} />}
    </aside>
  );
}

function go(e: React.MouseEvent, to: Route) {
  if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(to);
}

function NavLink({ to, glyph, label, active }: { to: Route; glyph: string; label: string; active: boolean }) {
  return (
    <li>
      <a className="nav-item" href={pathOf(to)} aria-current={active ? 'page' : undefined} onClick={(e) => go(e, to)}>
        <span className="glyph" aria-hidden="true">
          {glyph}
        </span>
        <span className="name">{label}</span>
      </a>
    </li>
  );
}

function ChatLink({ summary, me, active, name }: { summary: ChatSummary; me: string; active: boolean; name: string }) {
  const t = useI18n();
  useEphemeral();
  const other = summary.chat.kind === 'direct' ? summary.chat.direct_user_ids?.find((u) => u !== me) : undefined;
  const presence = other ? presenceOf(other) : null;
  const unread = active ? 0 : summary.unread_count;
  const mentions = active ? 0 : summary.mention_count;
  const to: Route = { name: 'chat', chatId: summary.chat.id };
  return (
    <a
      className={`nav-item${unread > 0 ? ' unread' : ''}`}
      href={pathOf(to)}
      aria-current={active ? 'page' : undefined}
      onClick={(e) => go(e, to)}
      data-chat-id={summary.chat.id}
    >
      <span className="glyph" aria-hidden="true">
        {summary.chat.is_private && summary.chat.kind === 'channel' && !summary.chat.entity ? <Icon name="lock" size={14} /> : chatGlyph(summary.chat)}
      </span>
      <span className="name">{name}</span>
      {presence && <span className={`presence presence-${presence}`} role="img" aria-label={t.t(`presence.${presence}`)} />}
      {mentions > 0 ? (
        <span className="badge badge-mention" aria-label={t.tn('nav.mentions', mentions)}>
          {mentions}
        </span>
      ) : unread > 0 ? (
        <span className="badge" aria-label={t.tn('nav.unread', unread)}>
          {unread}
        </span>
      ) : null}
    </a>
  );
}

function NewChannel({ onClose }: { onClose: () => void }) {
  const t = useI18n();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    try {
      const chat = await unwrap(api.http.POST('/chats', { body: { kind: 'channel', name, is_private: isPrivate } }));
      await qc.invalidateQueries({ queryKey: keys.chats });
      onClose();
      navigate({ name: 'chat', chatId: chat.id });
    } catch (err) {
      setError(errorMessage(err, t));
    }
  }
  return (
    <Dialog title={t.t('nav.newChannel')} onClose={onClose}>
      <form onSubmit={submit}>
        <Field label={t.t('chat.newName')} required autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        <label className="row" style={{ marginBottom: 12 }}>
          <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
          {t.t('chat.private')}
        </label>
        <ErrorText error={error} />
        <div className="row">
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t.t('common.create')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
