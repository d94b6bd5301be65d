// A chat's messages: the latest page (or the page around a jumped-to message),
// older pages on demand, optimistic sends through the socket, read marks.
import { useCallback, useRef } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { SendError, unwrap, type ChatSummary, type Message } from '@artel/client';
import { api, newClientId, realtime } from '../../app/session';
import { keys } from '../../app/live';
import { dropLocal, emptyList, mergePage, pendingMessage, setLocal, upsert, type MessageList } from '@artel/client/state/messages';

const PAGE = 50;

export function useChatMessages(chatId: string, around?: number, enabled = true) {
  const qc = useQueryClient();
  const loadingOlder = useRef(false);
  const query = useQuery({
    queryKey: keys.messages(chatId),
    queryFn: async (): Promise<MessageList> => {
      const page = await unwrap(
        api.http.GET('/chats/{id}/messages', {
          params: { path: { id: chatId }, query: around ? { around, limit: PAGE } : { limit: PAGE } },
        }),
      );
      // Keep pending sends across a refetch (a resync must not lose them).
      const old = qc.getQueryData<MessageList>(keys.messages(chatId));
      let list = mergePage(emptyList, page, page.length >= (around ? PAGE / 2 : PAGE));
      for (const m of old?.items ?? []) if (m.local) list = upsert(list, m);
      return list;
    },
    // The socket keeps it fresh; refetch only on resync.
    staleTime: Infinity,
    enabled,
  });

  const loadOlder = useCallback(async () => {
    const list = qc.getQueryData<MessageList>(keys.messages(chatId));
    const first = list?.items.find((m) => !m.local);
    if (!list?.hasOlder || !first || loadingOlder.current) return 0;
    loadingOlder.current = true;
    try {
      const page = await unwrap(
        api.http.GET('/chats/{id}/messages', {
          params: { path: { id: chatId }, query: { before: first.seq, limit: PAGE } },
        }),
      );
      qc.setQueryData<MessageList>(keys.messages(chatId), (l) => mergePage(l ?? emptyList, page, page.length >= PAGE));
      return page.length;
    } finally {
      loadingOlder.current = false;
    }
  }, [chatId, qc]);

  return { query, loadOlder };
}

/** Sends optimistically into `target` (the chat's list or a thread's). */
export function useSend(chatId: string, threadRootId: string | null) {
  const qc = useQueryClient();
  return useCallback(
    async (body: string, attachmentIds: string[] = [], clientMsgId = newClientId()) => {
      const me = api.session()?.user.id ?? '';
      const key = threadRootId ? keys.thread(threadRootId) : keys.messages(chatId);
      const pending = pendingMessage({ chatId, authorId: me, body, clientMsgId, threadRootId });
      qc.setQueryData<MessageList>(key, (l) => upsert(l ?? emptyList, pending));
      try {
        const m: Message = await realtime.send({
          chat_id: chatId,
          body,
          client_msg_id: clientMsgId,
          thread_root_id: threadRootId,
          attachment_ids: attachmentIds,
        });
        qc.setQueryData<MessageList>(key, (l) => upsert(l ?? emptyList, m));
      } catch (e) {
        // A command line sent over the socket ran: nothing was posted for it.
        const ran = e instanceof SendError && e.code === 'command_ran';
        const failure = e instanceof SendError ? { code: e.code, message: e.message } : undefined;
        qc.setQueryData<MessageList>(key, (l) =>
          l ? (ran ? dropLocal(l, clientMsgId) : setLocal(l, clientMsgId, 'failed', failure)) : l,
        );
        if (!(e instanceof SendError)) throw e;
      }
    },
    [chatId, threadRootId, qc],
  );
}

/** Marks the chat read up to `seq` (socket when open, REST otherwise) and clears its badge. */
export function markRead(qc: ReturnType<typeof useQueryClient>, chatId: string, seq: number) {
  const summaries = qc.getQueryData<ChatSummary[]>(keys.chats);
  const s = summaries?.find((x) => x.chat.id === chatId);
  if (s && s.last_read_seq >= seq && s.unread_count === 0) return;
  qc.setQueryData<ChatSummary[]>(keys.chats, (list) =>
    list?.map((x) =>
      x.chat.id === chatId ? { ...x, last_read_seq: Math.max(seq, x.last_read_seq), unread_count: 0, mention_count: 0 } : x,
    ),
  );
  if (realtime.status === 'open') realtime.read(chatId, seq);
  else void api.http.POST('/chats/{id}/read', { params: { path: { id: chatId } }, body: { seq } });
}
