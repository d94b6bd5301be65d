// The signed-in frame: sidebar, the routed screen, the quick switcher, the
// connection banner; starts the socket and feeds it into the query cache.
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { unwrap, type ConnectionStatus, type Session } from '@artel/client';
import { api, realtime } from '../app/session';
import { connectLive } from '../app/live';
import { connectNotifications } from '../app/notify';
import { navigate, useRoute } from '../app/router';
import { useI18n } from '@artel/client/i18n';
import { usePrefs } from '../app/prefs';
import { Sidebar } from './Sidebar';
import { Switcher } from './Switcher';
import { Onboarding } from './Onboarding';
import { ChatScreen } from './chat/ChatScreen';
import { Toasts, toast } from '../ui/Toast';
import { useChats, useUsers } from '../app/data';
import { chatName } from '../app/names';
import { tabTitle, totalUnread } from '../app/title';

// Screens away from the chat load on demand, keeping the first bundle small.
const BoardScreen = lazy(() => import('./board/BoardScreen'));
const DealScreen = lazy(() => import('./records/DealScreen'));
const ContactScreen = lazy(() => import('./records/ContactScreen'));
const ContactsScreen = lazy(() => import('./records/ContactsScreen'));
const TasksScreen = lazy(() => import('./tasks/TasksScreen'));
const SettingsScreen = lazy(() => import('./settings/SettingsScreen'));
const SearchScreen = lazy(() => import('./search/SearchScreen'));
const PipelineEditor = lazy(() => import('./board/PipelineEditor'));
const AdminScreen = lazy(() => import('./admin/AdminScreen'));

export function Shell({ session }: { session: Session }) {
  const t = useI18n();
  const qc = useQueryClient();
  const route = useRoute();
  const { setLang, lang } = usePrefs();
  const [status, setStatus] = useState<ConnectionStatus>(realtime.status);
  const [switcher, setSwitcher] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);

  // The account's language wins over the browser's once signed in.
  useEffect(() => {
    if (session.user.language !== lang) setLang(session.user.language);
    // Only on sign-in: later changes go through the settings screen.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session.user.id]);

  // The translator as of now: a language switch needs no reconnect.
  const tRef = useRef(t);
  tRef.current = t;
  useEffect(() => connectNotifications(qc, () => tRef.current), [qc]);

  useEffect(() => {
    const off = connectLive(qc, () => api.session()?.user.id);
    const offStatus = realtime.on('status', (s) => {
      setStatus(s);
      if (s === 'open') toast.dismissOffline();
    });
    const offOut = realtime.on('signedOut', () => {
      void api.logout().catch(() => undefined);
      qc.clear();
    });
    realtime.start();
    const online = () => realtime.reconnectNow();
    const visible = () => realtime.presence(document.hidden ? 'away' : 'online');
    window.addEventListener('online', online);
    document.addEventListener('visibilitychange', visible);
    const reminder = (e: Event) => {
      const d = (e as CustomEvent<{ title: string }>).detail;
      toast.show(t.t('tasks.reminder', { title: d.title }));
    };
    window.addEventListener('artel:reminder', reminder);
    return () => {
      off();
      offStatus();
      offOut();
      window.removeEventListener('online', online);
      document.removeEventListener('visibilitychange', visible);
      window.removeEventListener('artel:reminder', reminder);
      realtime.stop();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [qc]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setSwitcher(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => setMenuOpen(false), [route]);
  useTabTitle(session.user.id);

  let screen;
  switch (route.name) {
    case 'chat':
      screen = <ChatScreen key={route.chatId} chatId={route.chatId} jumpTo={route.seq} />;
      break;
    case 'board':
      screen = <BoardScreen pipelineId={route.pipelineId} />;
      break;
    case 'pipelineEdit':
      screen = <PipelineEditor key={route.pipelineId} pipelineId={route.pipelineId} />;
      break;
    case 'deal':
      screen = <DealScreen key={route.id} id={route.id} />;
      break;
    case 'contact':
      screen = <ContactScreen key={route.id} kind="contact" id={route.id} />;
      break;
    case 'company':
      screen = <ContactScreen key={route.id} kind="company" id={route.id} />;
      break;
    case 'contacts':
      screen = <ContactsScreen tab={route.tab} />;
      break;
    case 'tasks':
      screen = <TasksScreen taskId={route.taskId} />;
      break;
    case 'settings':
      screen = <SettingsScreen />;
      break;
    case 'search':
      screen = <SearchScreen q={route.q} />;
      break;
    case 'admin':
      screen = <AdminScreen tab={route.tab} />;
      break;
    default:
      screen = <HomeRedirect />;
  }

  const offline = status === 'reconnecting';
  return (
    // data-connection: what tests (and styles) can wait on, e.g. "open" once the socket is ready.
    <div className={`shell${menuOpen ? ' menu-open' : ''}`} data-connection={status}>
      <a className="skip-link" href="#main">
        {t.t('app.skip')}
      </a>
      <Sidebar session={session} onSwitcher={() => setSwitcher(true)} />
      <main className="main" id="main" tabIndex={-1}>
        <button type="button" className="btn btn-ghost menu-toggle" aria-label="Menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
          ☰
        </button>
        {offline && (
          <div className="banner" role="status">
            {t.t('app.offline')}
          </div>
        )}
        {(route.name === 'home' || route.name === 'chat') && <Onboarding session={session} />}
        <Suspense fallback={<Skeleton />}>{screen}</Suspense>
      </main>
      {switcher && <Switcher me={session.user.id} onClose={() => setSwitcher(false)} />}
      <Toasts />
    </div>
  );
}

/** The tab's title follows where I am and how much is unread, as chat apps' tabs do. */
function useTabTitle(me: string) {
  const t = useI18n();
  const route = useRoute();
  const chats = useChats();
  const users = useUsers();
  const active = route.name === 'chat' ? route.chatId : null;
  const chat = active ? chats.data?.find((s) => s.chat.id === active)?.chat : undefined;
  let place = '';
  if (route.name === 'chat') place = chat ? `${chat.kind === 'channel' && !chat.entity ? '#' : ''}${chatName(chat, me, users.data)}` : '';
  else if (route.name === 'board' || route.name === 'pipelineEdit' || route.name === 'deal') place = t.t('nav.board');
  else if (route.name === 'contacts' || route.name === 'contact' || route.name === 'company') place = t.t('nav.contacts');
  else if (route.name === 'tasks') place = t.t('nav.tasks');
  else if (route.name === 'settings') place = t.t('nav.settings');
  else if (route.name === 'search') place = t.t('nav.search');
  const title = tabTitle(totalUnread(chats.data, active), place, t.t('app.name'));
  useEffect(() => {
    document.title = title;
  }, [title]);
}

function HomeRedirect() {
  const t = useI18n();
  const qc = useQueryClient();
  useEffect(() => {
    // Open the most recently active chat, if any.
    void qc
      .fetchQuery({ queryKey: ['chats'], queryFn: () => unwrap(api.http.GET('/chats')) })
      .then((list) => {
        const first = list[0];
        if (first) navigate({ name: 'chat', chatId: first.chat.id }, { replace: true });
      })
      .catch(() => undefined);
  }, [qc]);
  return (
    <div className="empty">
      <p>{t.t('chat.select')}</p>
    </div>
  );
}

export function Skeleton() {
  return (
    <div className="page-body" aria-busy="true">
      <div className="skeleton" style={{ width: '40%' }} />
      <div className="skeleton" style={{ width: '70%' }} />
      <div className="skeleton" style={{ width: '55%' }} />
    </div>
  );
}
