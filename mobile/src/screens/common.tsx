// Small pieces shared by the screens.
import type { ReactNode } from 'react';
import type { Chat, User } from '@artel/client';
import type { OutboxItem } from '../outbox';
import { useM } from '../strings';
import { useApp } from '../context';

export function Header({ title, back, children }: { title: string; back?: () => void; children?: ReactNode }) {
  const m = useM();
  return (
    <header className="top">
      {back && (
        <button type="button" className="back" onClick={back} aria-label={m('nav.back')}>
          ‹
        </button>
      )}
      <h1>{title}</h1>
      {children}
    </header>
  );
}

export function chatName(chat: Chat, me: string, users: Map<string, User>): string {
  if (chat.kind === 'direct') {
    const other = chat.direct_user_ids?.find((u) => u !== me) ?? me;
    return users.get(other)?.name ?? '…';
  }
  return chat.name ?? '…';
}

/** An outbox item's state in words, with retry/remove when it failed. */
/** `onRetry` replaces the plain re-send (e.g. a stage move retried on the deal's current version). */
export function OutboxState({ item, onRetry }: { item: OutboxItem; onRetry?: () => void }) {
  const m = useM();
  const { outbox } = useApp();
  const label = m(`out.${item.state}`);
  return (
    <span className={`out out-${item.state}`} data-outbox-state={item.state}>
      <span>{label}</span>
      {item.state === 'failed' && (
        <>
          {item.error && <span className="out-reason">: {item.error}</span>}{' '}
          <button type="button" className="link" onClick={() => (onRetry ? onRetry() : void outbox.retry(item.id))}>
            {m('out.retry')}
          </button>{' '}
          <button type="button" className="link" onClick={() => void outbox.discard(item.id)}>
            {m('out.discard')}
          </button>
        </>
      )}
    </span>
  );
}

/** The latest outbox item matching `pred` that is still worth showing. */
export function latest(items: OutboxItem[], pred: (i: OutboxItem) => boolean): OutboxItem | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!;
    if (pred(it)) return it;
  }
  return undefined;
}
