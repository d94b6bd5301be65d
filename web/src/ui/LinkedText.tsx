// Text that may hold links to messages (a task from a message, a quote in a
// record's notes): each becomes an in-app link that opens the chat at it.
import { navigate, pathOf } from '../app/router';
import { useI18n } from '@artel/client/i18n';
import { splitMessageLinks } from '../state/actions';

export function LinkedText({ text }: { text: string }) {
  const t = useI18n();
  return (
    <>
      {splitMessageLinks(text, location.origin).map((p, i) => {
        if (!p.chat) return <span key={i}>{p.text}</span>;
        const route = { name: 'chat' as const, chatId: p.chat.chatId, seq: p.chat.seq };
        return (
          <a key={i} className="message-link" href={pathOf(route)} onClick={(e) => (e.preventDefault(), navigate(route))}>
            {t.t('actions.openMessage')}
          </a>
        );
      })}
    </>
  );
}

/** Only the message links of a text, one per line (under a field that holds the raw text). */
export function MessageLinks({ text }: { text: string }) {
  const t = useI18n();
  const links = splitMessageLinks(text, location.origin).filter((p) => p.chat);
  if (!links.length) return null;
  return (
    <p className="message-links">
      {t.t('actions.fromMessage')}:{' '}
      {links.map((p, i) => {
        const route = { name: 'chat' as const, chatId: p.chat!.chatId, seq: p.chat!.seq };
        return (
          <a key={i} className="message-link" href={pathOf(route)} onClick={(e) => (e.preventDefault(), navigate(route))}>
            {t.t('actions.openMessage')}
          </a>
        );
      })}
    </p>
  );
}
