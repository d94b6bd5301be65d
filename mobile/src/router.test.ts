import { describe, expect, it } from 'vitest';
import { parseRoute, pathOf, type Route } from './router';

describe('routes under /m/', () => {
  it('round-trip, including the URLs a push carries', () => {
    const routes: Route[] = [
      { name: 'chats' },
      { name: 'chat', chatId: 'c1' },
      { name: 'chat', chatId: 'c1', thread: 'm9' },
      { name: 'tasks' },
      { name: 'tasks', taskId: 't1' },
      { name: 'deal', id: 'd1' },
      { name: 'deals' },
      { name: 'deals', pipeline: 'p1', stage: 's2' },
      { name: 'search', q: 'договор Иванов' },
      { name: 'settings' },
    ];
    for (const r of routes) {
      const url = new URL(pathOf(r), 'https://x');
      expect(parseRoute(url.pathname, url.search)).toEqual(r);
    }
    expect(parseRoute('/m/chats/abc')).toEqual({ name: 'chat', chatId: 'abc' });
    expect(parseRoute('/m/nope')).toEqual({ name: 'chats' });
  });
});
