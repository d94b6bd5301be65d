import { ApiError } from '@artel/client';
import type { Translator } from '@artel/client/i18n';

/** A user-facing message for a failure: our own words for known codes, else the server's. */
export function errorMessage(e: unknown, t: Translator): string {
  if (e instanceof ApiError) {
    if (e.code === 'invalid_credentials') return t.t('auth.error.invalid_credentials');
    if (e.status === 429) return t.t('auth.error.rate_limited');
    if (e.code === 'chat_archived') return t.t('chat.archived');
    if (e.code === 'network') return t.t('app.offline');
    if (e.code === 'reset_used') return t.t('reset.used');
    if (e.code === 'reset_expired') return t.t('reset.expired');
    if (e.code === 'reset_revoked') return t.t('reset.revoked');
    if (e.code === 'user_deactivated') return t.t('settings.resetDeactivated');
    if (e.code === 'invalid_input' && (e.field === 'new_password' || e.field === 'password')) return t.t('reset.passwordRule');
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
