// Web Push and notification calls over the generated client: the VAPID key, this
// device's subscription, my notification settings, a chat's mute.
import { ApiError, unwrap, type ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];
export type PushSubscriptionInput = S['NewSubscription'];
export type PushSubscriptionDto = S['SubscriptionDto'];
export type NotificationSettings = S['NotificationSettingsDto'];
export type NotificationKind = keyof S['KindSwitches'];

// A record rather than a list, so a kind the server adds fails the type check
// until it is listed here (in the order the settings show them).
const KINDS: Record<NotificationKind, true> = {
  direct: true,
  mention: true,
  thread: true,
  task_assigned: true,
  task_reminder: true,
  deal_assigned: true,
};
export const NOTIFICATION_KINDS = Object.keys(KINDS) as readonly NotificationKind[];

export const push = {
  /** The server's VAPID public key (base64url), or null when push is not available. */
  async key(api: ApiClient): Promise<string | null> {
    try {
      return (await unwrap(api.http.GET('/push/key'))).public_key;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) return null;
      throw e;
    }
  },
  /** Registers (or refreshes: same endpoint → same row) this browser's subscription. */
  subscribe: (api: ApiClient, sub: PushSubscriptionInput) => unwrap(api.http.POST('/push/subscriptions', { body: sub })),
  list: (api: ApiClient) => unwrap(api.http.GET('/push/subscriptions')),
  unsubscribe: async (api: ApiClient, id: string): Promise<void> => {
    await unwrap(api.http.DELETE('/push/subscriptions/{id}', { params: { path: { id } } }));
  },
  settings: (api: ApiClient) => unwrap(api.http.GET('/me/notifications')),
  saveSettings: (api: ApiClient, s: NotificationSettings) => unwrap(api.http.PUT('/me/notifications', { body: s })),
  mute: (api: ApiClient, chatId: string, muted: boolean) =>
    unwrap(api.http.PUT('/chats/{id}/mute', { params: { path: { id: chatId } }, body: { muted } })),
};
