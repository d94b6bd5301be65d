// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { I18nProvider } from '@artel/client/i18n';
import { createApiClient, memorySessionStore, type SearchResponse } from '@artel/client';
import SearchScreen from './SearchScreen';

// The app's client on an absolute base: Node's Request, unlike a page's, has no
// origin to resolve `/api/v1` against. It calls whatever `fetch` the test stubs.
vi.mock('../../app/session', () => ({
  api: createApiClient({ baseUrl: 'http://localhost/api/v1', store: memorySessionStore() }),
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const response: SearchResponse = {
  catching_up: true,
  groups: [
    {
      kind: 'deal',
      total: 1,
      next_cursor: null,
      hits: [{ kind: 'deal', id: 'd1', title: 'Поставка станков', snippet: '<mark>Поставка</mark> станков', at: '2026-11-20T10:00:00Z', chat_id: null, seq: null, entity: null }],
    },
    {
      kind: 'message',
      total: 12,
      next_cursor: 'abc',
      hits: [
        {
          kind: 'message',
          id: 'm1',
          title: 'общий',
          snippet: 'пришлите <mark>договор</mark> &lt;b&gt;сегодня&lt;/b&gt;',
          at: '2026-11-21T09:00:00Z',
          chat_id: 'c1',
          seq: 42,
          entity: { kind: 'deal', id: 'd1' },
        },
      ],
    },
  ],
};

function renderWith(fetchImpl: typeof fetch, q = 'договор') {
  vi.stubGlobal('fetch', fetchImpl);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <I18nProvider lang="en">
        <SearchScreen q={q} />
      </I18nProvider>
    </QueryClientProvider>,
  );
}

describe('<SearchScreen>', () => {
  it('asks the contract URL and shows groups in kind order with safe snippets and links', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(response), { status: 200 }));
    renderWith(fetchMock as unknown as typeof fetch);
    await screen.findByRole('heading', { name: /Messages/ });
    expect(((fetchMock.mock.calls[0] as unknown[])[0] as Request).url).toBe(
      'http://localhost/api/v1/search?q=%D0%B4%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80&sort=relevance',
    );
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings).toEqual(['Messages 12', 'Deals 1']);
    const messages = screen.getByRole('region', { name: /Messages/ });
    expect(within(messages).getByRole('link', { name: '# общий' }).getAttribute('href')).toBe('/chats/c1?seq=42');
    expect(within(messages).getByRole('link', { name: 'Open record' }).getAttribute('href')).toBe('/deals/d1');
    expect(within(messages).getByRole('button', { name: 'More' })).toBeTruthy();
    const snippet = messages.querySelector('.snippet');
    expect(snippet?.textContent).toBe('пришлите договор <b>сегодня</b>');
    expect(snippet?.querySelector('b')).toBeNull();
    expect(snippet?.querySelector('mark')?.textContent).toBe('договор');
    const deals = screen.getByRole('region', { name: /Deals/ });
    expect(within(deals).getByRole('link', { name: 'Поставка станков' }).getAttribute('href')).toBe('/deals/d1');
    expect(screen.getByRole('status').textContent).toMatch(/catching up/);
  });

  it('says plainly when the server has no search, and shows its error otherwise', async () => {
    renderWith((async () => new Response('{"error":{"code":"not_found","message":"no route"}}', { status: 404 })) as unknown as typeof fetch);
    expect((await screen.findByRole('alert')).textContent).toBe('Search is not available on this server yet.');
    cleanup();
    renderWith(
      (async () => new Response('{"error":{"code":"invalid_query","message":"q is too long"}}', { status: 400 })) as unknown as typeof fetch,
    );
    expect((await screen.findByRole('alert')).textContent).toBe('q is too long');
  });

  it('does not search for an empty box', () => {
    const fetchMock = vi.fn();
    renderWith(fetchMock as unknown as typeof fetch, '');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
