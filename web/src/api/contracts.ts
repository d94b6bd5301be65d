// Calls agreed between the server's branches (CONTRACTS.md) whose types are not
// in the generated OpenAPI schema yet: Web Push, notification settings, chat
// mute, and slash-command completion (search is in search.ts). Typed by hand; once the server's
// OpenAPI snapshot has them, `npm run gen:api` makes these replaceable by
// `api.http` calls.
import { ApiError, type ApiClient } from './client';

async function call<T>(api: ApiClient, method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  let res: Response;
  try {
    res = await api.authFetch(new Request(api.baseUrl + path, init));
  } catch {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  if (res.status === 204) return undefined as T;
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) throw ApiError.from(res.status, json);
  return json as T;
}

// --- Web Push -------------------------------------------------------------

export interface PushSubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** A label for the device, at most 100 characters. */
  device?: string;
}

export interface PushSubscriptionDto {
  id: string;
  endpoint: string;
  device: string | null;
  created_at: string;
}

export type NotificationKind = 'direct' | 'mention' | 'thread' | 'task_assigned' | 'task_reminder' | 'deal_assigned';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'direct',
  'mention',
  'thread',
  'task_assigned',
  'task_reminder',
  'deal_assigned',
];

export interface NotificationSettings {
  hide_text: boolean;
  /** Do-not-disturb hours in my time zone, "HH:MM". */
  dnd: { from: string; to: string } | null;
  kinds: Record<NotificationKind, boolean>;
}

/** What the service worker receives in a push (decrypted by the browser). */
export interface PushPayload {
  title: string;
  body: string;
  url: string;
  tag: string;
  count: number;
  kind: NotificationKind;
  badge: number;
}

export const push = {
  /** The server's VAPID public key (base64url), or null when push is not available. */
  async key(api: ApiClient): Promise<string | null> {
    try {
      return (await call<{ public_key: string }>(api, 'GET', '/push/key')).public_key;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 503)) return null;
      throw e;
    }
  },
  /** Registers (or refreshes: same endpoint → same row) this browser's subscription. */
  subscribe: (api: ApiClient, sub: PushSubscriptionInput) =>
    call<PushSubscriptionDto>(api, 'POST', '/push/subscriptions', sub),
  list: (api: ApiClient) => call<{ items: PushSubscriptionDto[] }>(api, 'GET', '/push/subscriptions'),
  unsubscribe: (api: ApiClient, id: string) =>
    call<void>(api, 'DELETE', `/push/subscriptions/${encodeURIComponent(id)}`),
  settings: (api: ApiClient) => call<NotificationSettings>(api, 'GET', '/me/notifications'),
  saveSettings: (api: ApiClient, s: NotificationSettings) =>
    call<NotificationSettings>(api, 'PUT', '/me/notifications', s),
  mute: (api: ApiClient, chatId: string, muted: boolean) =>
    call<unknown>(api, 'PUT', `/chats/${encodeURIComponent(chatId)}/mute`, { muted }),
};

// --- Slash commands ---------------------------------------------------------

export interface CommandSuggestion {
  kind: string;
  /** The text to put in place of the line from `replace_from` on. */
  insert: string;
  /** Character offset in the line where `insert` goes. */
  replace_from: number;
  label: string;
  detail?: string | null;
}

/** Suggestions for a line starting with `/` typed in a chat. */
export function completeCommand(api: ApiClient, chatId: string, line: string): Promise<{ items: CommandSuggestion[] }> {
  const p = new URLSearchParams({ chat_id: chatId, line });
  return call<{ items: CommandSuggestion[] }>(api, 'GET', `/commands/complete?${p}`);
}

/** Applies a suggestion to the line (offsets count characters, not UTF-16 units). */
export function applySuggestion(line: string, s: CommandSuggestion): string {
  const chars = Array.from(line);
  return chars.slice(0, s.replace_from).join('') + s.insert;
}
