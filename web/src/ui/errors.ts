import { ApiError } from '@api';
import type { Translator } from '../i18n';

/** A user-facing message for a failure: our own words for known codes, else the server's. */
export function errorMessage(e: unknown, t: Translator): string {
  if (e instanceof ApiError) {
    if (e.code === 'invalid_credentials') return t.t('auth.error.invalid_credentials');
    if (e.status === 429) return t.t('auth.error.rate_limited');
    if (e.code === 'chat_archived') return t.t('chat.archived');
    if (e.code === 'network') return t.t('app.offline');
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
