// The phone app: sign-in, then a shell with the screens and a bottom tab bar.
// Starts the realtime connection and the outbox, and keeps the push
// subscription fresh on every start.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  createApiClient,
  createRealtime,
  localStorageSessionStore,
  unwrap,
  type Session,
  type User,
} from '@artel/client';
import { detectLanguage, I18nProvider, rememberLanguage, useI18n, type Lang } from '@artel/client/i18n';
import { idbOutboxStore, openDb, ReadCache, type Db } from './db';
import { Outbox } from './outbox';
import { apiSender } from './sender';
import { Ctx, useApp, useOnline, useOutbox, type AppCtx } from './context';
import { mobileStrings, useM } from './strings';
import { navigate, useRoute, type Route } from './router';
import { refreshPushSubscription } from './push';
import { stageNames } from './stages';
import { ChatList } from './screens/ChatList';
import { ChatScreen } from './screens/Chat';
import { Tasks } from './screens/Tasks';
import { DealScreen } from './screens/Deal';
import { DealsScreen } from './screens/Deals';
import { SearchScreen } from './screens/Search';
import { Settings } from './screens/Settings';

const store = localStorageSessionStore();
const sessionListeners = new Set<(s: Session | null) => void>();
const api = createApiClient({ store, onSession: (s) => sessionListeners.forEach((f) => f(s)) });
const rt = createRealtime(api);

export function App() {
  const [session, setSession] = useState<Session | null>(() => store.load());
  const [lang, setLang] = useState<Lang>(() => detectLanguage());
  const [db, setDb] = useState<Db | null>(null);
  useEffect(() => {
    sessionListeners.add(setSession);
    void openDb().then(setDb);
    return () => void sessionListeners.delete(setSession);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const changeLang = (l: Lang) => {
    rememberLanguage(l);
    setLang(l);
  };
  return (
    <I18nProvider lang={lang} timeZone={session?.user.time_zone}>
      {!session ? <SignIn /> : db ? <Signed session={session} db={db} setLang={changeLang} /> : <Splash />}
    </I18nProvider>
  );
}

function Splash() {
  const { t } = useI18n();
  return (
    <main className="splash" aria-busy="true">
      {t('app.loading')}
    </main>
  );
}

function SignIn() {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login({ email, password });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>{t('auth.signInTitle')}</h1>
      <form onSubmit={submit}>
        <label>
          {t('auth.email')}
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t('auth.password')}
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {t('auth.signIn')}
        </button>
      </form>
    </main>
  );
}

function Signed({ session, db, setLang }: { session: Session; db: Db; setLang: (l: Lang) => void }) {
  const { lang } = useI18n();
  const [users, setUsers] = useState<Map<string, User>>(new Map());
  const cache = useMemo(() => new ReadCache(db), [db]);
  const outbox = useMemo(() => {
    const m = mobileStrings(lang);
    const sender = apiSender(
      api,
      {
        conflictDeal: (stage) => (stage ? m('out.conflictDealNow', { stage }) : m('out.conflictDeal')),
        conflictTask: m('out.conflictTask'),
        offline: m('out.offline'),
        fileGone: (name) => m('file.gone', { name }),
        fileRefused: (name, status, reason) =>
          status === 413 ? m('file.tooLarge', { name }) : status === 403 ? m('file.forbidden') : m('file.refused', { name, reason }),
      },
      (id) => stageNames.get(id) ?? null,
    );
    const locks = navigator.locks;
    return new Outbox({
      store: idbOutboxStore(db),
      sender,
      lock: locks?.request ? <T,>(f: () => Promise<T>) => locks.request('artel-outbox', f) as Promise<T> : undefined,
    });
  }, [db, lang]);

  useEffect(() => {
    rt.start();
    const off = rt.on('status', (s) => {
      if (s === 'open') void outbox.flush();
    });
    const onOnline = () => {
      rt.reconnectNow();
      void outbox.flush();
    };
    window.addEventListener('online', onOnline);
    // navigator.onLine can be wrong either way: try the queue now and then.
    const timer = setInterval(() => {
      if (outbox.list().some((i) => i.state === 'pending')) void outbox.flush();
    }, 10_000);
    void outbox.load().then(() => outbox.flush());
    return () => {
      off();
      clearInterval(timer);
      window.removeEventListener('online', onOnline);
    };
  }, [outbox]);

  const loadUsers = useCallback(() => {
    unwrap(api.http.GET('/users')).then(
      (list) => {
        setUsers(new Map(list.map((x) => [x.id, x])));
        void cache.set('users', list);
      },
      () => {},
    );
  }, [cache]);
  useEffect(() => {
    let live = true;
    void cache.get<User[]>('users').then((cached) => {
      if (live && cached) setUsers((u) => (u.size ? u : new Map(cached.map((x) => [x.id, x]))));
    });
    loadUsers();
    void refreshPushSubscription(api).catch(() => {});
    return () => {
      live = false;
    };
  }, [cache, loadUsers]);

  // A teammate who joined after the directory loaded is named, not "…", once
  // seen: the directory reloads (each unknown id is asked about once).
  const usersRef = useRef(users);
  usersRef.current = users;
  const asked = useRef(new Set<string>());
  const learnUsers = useCallback(
    (ids: Iterable<string | null | undefined>) => {
      if (usersRef.current.size === 0) return; // the first load is still to come
      const missing = [...ids].filter((id): id is string => !!id && !usersRef.current.has(id) && !asked.current.has(id));
      if (!missing.length) return;
      missing.forEach((id) => asked.current.add(id));
      loadUsers();
    },
    [loadUsers],
  );
  useEffect(
    () =>
      rt.on('event', (e) => {
        const c = e.change;
        if (c.type === 'message_created') learnUsers([c.message.author_id, ...c.message.mentions]);
        else if (c.type === 'member_added') learnUsers([c.user_id]);
      }),
    [learnUsers],
  );

  useEffect(() => rt.on('signedOut', () => store.save(null)), []);

  const ctx: AppCtx = useMemo(
    () => ({ api, rt, outbox, cache, session, users, learnUsers }),
    [outbox, cache, session, users, learnUsers],
  );
  return (
    <Ctx.Provider value={ctx}>
      <Shell setLang={setLang} />
    </Ctx.Provider>
  );
}

function Shell({ setLang }: { setLang: (l: Lang) => void }) {
  const route = useRoute();
  const m = useM();
  const online = useOnline();
  const items = useOutbox();
  const queued = items.filter((i) => i.state === 'pending' || i.state === 'sending').length;
  return (
    <div className="shell">
      {(!online || queued > 0) && (
        <div className={online ? 'banner' : 'banner offline'} role="status">
          {!online && <span>{m('net.offline')}</span>}
          {queued > 0 && <span className="queued">{m('net.outbox', { count: queued })}</span>}
        </div>
      )}
      <main className="screen" id="main">
        <Screen route={route} setLang={setLang} />
      </main>
      <TabBar route={route} />
    </div>
  );
}

function Screen({ route, setLang }: { route: Route; setLang: (l: Lang) => void }) {
  switch (route.name) {
    case 'chats':
      return <ChatList />;
    case 'chat':
      return <ChatScreen key={route.chatId + (route.thread ?? '')} chatId={route.chatId} thread={route.thread ?? null} />;
    case 'tasks':
      return <Tasks focus={route.taskId ?? null} />;
    case 'deals':
      return <DealsScreen pipelineId={route.pipeline} stageId={route.stage} />;
    case 'deal':
      return <DealScreen key={route.id} id={route.id} />;
    case 'search':
      return <SearchScreen q={route.q} />;
    case 'settings':
      return <Settings setLang={setLang} />;
  }
}

function TabBar({ route }: { route: Route }) {
  const m = useM();
  const { session } = useApp();
  const tabs: { r: Route; label: string; icon: string; active: boolean }[] = [
    { r: { name: 'chats' }, label: m('nav.chats'), icon: '✉', active: route.name === 'chats' || route.name === 'chat' },
    { r: { name: 'deals' }, label: m('nav.deals'), icon: '◧', active: route.name === 'deals' || route.name === 'deal' },
    { r: { name: 'tasks' }, label: m('nav.tasks'), icon: '✓', active: route.name === 'tasks' },
    { r: { name: 'search', q: '' }, label: m('nav.search'), icon: '⌕', active: route.name === 'search' },
    { r: { name: 'settings' }, label: m('nav.settings'), icon: '⚙', active: route.name === 'settings' },
  ];
  return (
    <nav className="tabbar" aria-label={session.workspace.name}>
      {tabs.map((tab) => (
        <button
          key={tab.r.name}
          type="button"
          aria-current={tab.active ? 'page' : undefined}
          onClick={() => navigate(tab.r)}
        >
          <span aria-hidden="true" className="tab-icon">
            {tab.icon}
          </span>
          <span>{tab.label}</span>
        </button>
      ))}
    </nav>
  );
}
