// In place of the composer in an archived chat (a won or lost deal's chat is
// archived): says plainly that nothing can be posted, instead of a box whose
// sends would all be refused.
import type { Chat } from '@artel/client';
import { useI18n } from '@artel/client/i18n';
import { Icon } from '../../ui/Icon';

export function ReadOnlyBar({ chat }: { chat: Chat }) {
  const t = useI18n();
  return (
    <div className="read-only-bar" role="status" data-testid="read-only">
      <Icon name="lock" />
      <span>{t.t(chat.entity?.kind === 'deal' ? 'chat.readOnlyDeal' : 'chat.readOnly')}</span>
    </div>
  );
}
