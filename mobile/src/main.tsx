import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);

// The service worker caches the app shell and shows pushes; it controls /m/.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch((e: unknown) => {
      console.warn('service worker not registered', e);
    });
  });
  // A notification click in the worker asks an open window to go to its chat.
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent<{ type?: string; url?: string }>) => {
    if (e.data?.type === 'open' && typeof e.data.url === 'string' && e.data.url.startsWith('/m/')) {
      history.pushState(null, '', e.data.url);
      dispatchEvent(new PopStateEvent('popstate'));
    }
  });
}
