// The shared client, `@artel/client`: import from here in web/ and mobile/.
export * from './client';
export * from './ws';
export * from './types';
export type { paths, components } from './schema';

import { unwrap, type ApiClient } from './client';
import { RealtimeClient, type RealtimeOptions } from './ws';

/** A realtime client wired to a REST client: its tokens and its event log for gap fills. */
export function createRealtime(api: ApiClient, extra: Partial<RealtimeOptions> = {}): RealtimeClient {
  return new RealtimeClient({
    getToken: api.accessToken,
    refreshToken: async () => (await api.refresh())?.accessToken ?? null,
    hasSession: () => api.session() !== null,
    fetchEvents: (chatId, after) =>
      unwrap(api.http.GET('/chats/{id}/events', { params: { path: { id: chatId }, query: { after } } })),
    ...extra,
  });
}
export * from './search';
export * from './push';
export * from './commands';
export * from './mentions';
export * from './board';
