// Sends outbox items over REST. Each kind is idempotent: a message by its
// client_msg_id (the server returns the first one again); a completion or stage
// move answered 409 is checked against the record, so one that already landed
// (its answer lost on a bad network) counts as sent, and a real conflict fails
// with the reason.
import { ApiError, unwrap, type ApiClient, type Deal, type Task } from '@artel/client';
import type { OutboxItem, OutboxPayload, SendOutcome, Sender } from './outbox';

export interface SenderTexts {
  conflictDeal: (stage: string | null) => string;
  conflictTask: string;
  offline: string;
  /** A queued file whose bytes are no longer here (storage cleared). */
  fileGone?: (name: string) => string;
  /** The server refused a file (too large, not allowed); `reason` is its words. */
  fileRefused?: (name: string, status: number, reason: string) => string;
}

/** A Sender that may also be called without `save` (tests, one-off sends). */
export interface ApiSender extends Sender {
  send(item: OutboxItem, save?: (payload: OutboxPayload) => Promise<void>): Promise<SendOutcome>;
}

export function apiSender(api: ApiClient, texts: SenderTexts, stageName?: (id: string) => string | null): ApiSender {
  return {
    async send(item: OutboxItem, save?: (payload: OutboxPayload) => Promise<void>): Promise<SendOutcome> {
      const p = item.payload;
      try {
        switch (p.kind) {
          case 'message': {
            // Files picked offline go up first, one by one; each id is saved as
            // soon as it is known, so a retry only uploads what is still missing.
            let files = p.files ?? [];
            for (const f of files) {
              if (f.id) continue;
              if (!f.blob) return { ok: false, retry: false, reason: texts.fileGone?.(f.name) ?? f.name };
              let uploaded: { id: string };
              try {
                uploaded = await api.upload(p.chat_id, f.blob, f.name);
              } catch (e) {
                if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
                  return { ok: false, retry: false, reason: texts.fileRefused?.(f.name, e.status, e.message) ?? e.message };
                }
                throw e;
              }
              files = files.map((x) => (x.key === f.key ? { key: x.key, name: x.name, size: x.size, type: x.type, id: uploaded.id } : x));
              await save?.({ ...p, files });
            }
            const result = await unwrap(
              api.http.POST('/chats/{id}/messages', {
                params: { path: { id: p.chat_id } },
                body: {
                  body: p.body,
                  client_msg_id: item.id,
                  thread_root_id: p.thread_root_id ?? null,
                  ...(files.length ? { attachment_ids: files.map((f) => f.id!) } : {}),
                },
              }),
            );
            return { ok: true, result };
          }
          case 'complete_task': {
            try {
              const result = await unwrap(
                api.http.POST('/tasks/{id}/complete', {
                  params: { path: { id: p.task_id } },
                  body: { version: p.version },
                }),
              );
              return { ok: true, result: result.task };
            } catch (e) {
              if (!(e instanceof ApiError) || e.status !== 409) throw e;
              const task: Task = await unwrap(api.http.GET('/tasks/{id}', { params: { path: { id: p.task_id } } }));
              if (task.status === 'done') return { ok: true, result: task };
              return { ok: false, retry: false, reason: texts.conflictTask };
            }
          }
          case 'move_deal': {
            try {
              const result = await unwrap(
                api.http.POST('/deals/{id}/move', {
                  params: { path: { id: p.deal_id } },
                  body: { stage_id: p.stage_id, version: p.version },
                }),
              );
              return { ok: true, result };
            } catch (e) {
              if (!(e instanceof ApiError) || e.status !== 409) throw e;
              const deal: Deal = await unwrap(api.http.GET('/deals/{id}', { params: { path: { id: p.deal_id } } }));
              if (deal.stage_id === p.stage_id) return { ok: true, result: deal };
              return { ok: false, retry: false, reason: texts.conflictDeal(stageName?.(deal.stage_id) ?? null) };
            }
          }
        }
      } catch (e) {
        return outcomeOf(e, texts.offline);
      }
    },
  };
}

/** Network trouble, 5xx and 429 are worth another try; other 4xx are final. */
export function outcomeOf(e: unknown, offline: string): SendOutcome {
  if (e instanceof ApiError) {
    if (e.status === 0) return { ok: false, retry: true, reason: offline };
    if (e.status >= 500 || e.status === 429 || e.status === 408) return { ok: false, retry: true, reason: e.message };
    return { ok: false, retry: false, reason: e.message };
  }
  return { ok: false, retry: true, reason: offline };
}
