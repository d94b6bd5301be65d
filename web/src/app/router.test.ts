import { describe, expect, it } from 'vitest';
import { parseRoute, pathOf, type Route } from './router';

describe('router', () => {
  it('round-trips every route through its path', () => {
    const routes: Route[] = [
      { name: 'home' },
      { name: 'chat', chatId: 'c-1' },
      { name: 'chat', chatId: 'c-1', seq: 42 },
      { name: 'board' },
      { name: 'board', pipelineId: 'p' },
      { name: 'pipelineEdit', pipelineId: 'p' },
      { name: 'deal', id: 'd' },
      { name: 'contacts', tab: 'contacts' },
      { name: 'contacts', tab: 'companies' },
      { name: 'contact', id: 'x' },
      { name: 'company', id: 'y' },
      { name: 'tasks' },
      { name: 'tasks', taskId: 't-1' },
      { name: 'settings' },
      { name: 'admin', tab: 'people' },
      { name: 'admin', tab: 'bots' },
      { name: 'reset', token: 'art_pwr_abc' },
      { name: 'search', q: 'договор Иванов' },
      { name: 'invite', token: 'tok' },
    ];
    for (const r of routes) {
      const path = pathOf(r);
      const i = path.indexOf('?');
      expect(i < 0 ? parseRoute(path) : parseRoute(path.slice(0, i), path.slice(i))).toEqual(r);
    }
    expect(parseRoute('/nope')).toEqual({ name: 'notFound' });
    expect(parseRoute('/admin')).toEqual({ name: 'admin', tab: 'people' });
    expect(parseRoute('/admin/nope')).toEqual({ name: 'notFound' });
  });
});
