// Convenient names for the generated OpenAPI types, plus the WebSocket frames
// (the OpenAPI document describes REST only; frames mirror server/api/src/ws/frames.rs).
import type { components } from './schema';

type S = components['schemas'];
export type User = S['UserDto'];
export type Workspace = S['WorkspaceDto'];
export type TokenResponse = S['TokenResponse'];
export type Me = S['MeResponse'];
export type Chat = S['ChatDto'];
export type ChatSummary = S['ChatSummaryDto'];
export type Message = S['MessageDto'];
export type ChatEvent = S['ChatEventDto'];
export type Change = S['ChangeDto'];
export type Attachment = S['AttachmentDto'];
export type Member = S['MemberDto'];
export type Pipeline = S['PipelineDto'];
export type Stage = S['StageDto'];
export type Board = S['BoardDto'];
export type BoardColumn = S['BoardColumn'];
export type Deal = S['DealDto'];
export type Contact = S['ContactDto'];
export type Company = S['CompanyDto'];
export type Task = S['TaskDto'];
export type MyTasks = S['MyTasks'];
export type History = S['HistoryDto'];
export type TimelineItem = S['TimelineItem'];
export type Invite = S['InviteDto'];
export type InvitePreview = S['InvitePreview'];
export type Role = S['Role'];
export type Language = S['Language'];
export type EntityRef = S['EntityRef'];
export type EntityKind = S['EntityKind'];
export type ErrorBody = S['ErrorBody'];
export type PresenceStatus = 'online' | 'away' | 'offline';
export type CommandResult = S['CommandResultDto'];

/** Frames the server sends on /api/v1/ws. */
export type ServerFrame =
  | {
      type: 'ready';
      user_id: string;
      session_id: string;
      chats: { chat_id: string; last_seq: number }[];
      heartbeat_secs: number;
    }
  | ({ type: 'event' } & ChatEvent)
  | ({ type: 'board_event' } & BoardEvent)
  | { type: 'watching'; pipeline_id: string; last_seq: number }
  | { type: 'ephemeral'; event: Ephemeral }
  | { type: 'ack'; client_msg_id: string; message: Message }
  | { type: 'command_result'; client_msg_id: string; result: S['CommandResultDto'] }
  | { type: 'resync'; chat_id: string; last_seq: number }
  | { type: 'error'; code: string; message: string; ref?: string | null; usage?: string }
  | { type: 'pong' };

export interface BoardEvent {
  pipeline_id: string;
  seq: number;
  created_at: string;
  change: BoardChange;
}

export type BoardChange =
  | { type: 'deal_upserted'; deal: Deal }
  | { type: 'deal_hidden'; deal_id: string }
  | { type: 'deal_removed'; deal_id: string }
  | { type: 'stages_changed' };

export type Ephemeral =
  | { type: 'typing'; chat_id: string; user_id: string }
  | { type: 'presence_changes'; entries: { user_id: string; status: PresenceStatus }[] }
  | { type: 'read_up_to'; chat_id: string; user_id: string; seq: number }
  | { type: 'joined_chat'; chat_id: string; user_id: string }
  | { type: 'signed_out'; user_id: string; session_id: string | null }
  | { type: 'task_reminder'; task_id: string; title: string; due_at: string | null }
  /** A task was created for me or handed to me (`by`: who did it). */
  | { type: 'task_assigned'; task_id: string; title: string; due_at: string | null; by: string }
  /** I was taken off a task: only its id. */
  | { type: 'task_unassigned'; task_id: string }
  | { type: 'client_merged'; kind: 'contact' | 'company'; from_id: string; into_id: string };

/** Frames a client sends. */
export type ClientFrame =
  | { type: 'auth'; token: string; cursors: Record<string, number> }
  | {
      type: 'send';
      chat_id: string;
      body: string;
      client_msg_id: string;
      thread_root_id?: string | null;
      attachment_ids?: string[];
    }
  | { type: 'typing'; chat_id: string }
  | { type: 'read'; chat_id: string; seq: number }
  | { type: 'ping' }
  | { type: 'watch_board'; pipeline_id: string; cursor?: number | null }
  | { type: 'unwatch_board'; pipeline_id: string }
  | { type: 'presence'; status: 'online' | 'away' }
  /** Follow these users' presence (at most 500), and no one else's. */
  | { type: 'presence_sub'; user_ids: string[] }
  /** A chat being looked at in a visible client: no pushes for it (Web Push contract). */
  | { type: 'focus'; chat_id: string }
  | { type: 'blur' };

// --- c-files ---
/** A file sent in a chat, and a page of them (`GET /chats/{id}/files`). */
export type ChatFile = S['ChatFileDto'];
export type ChatFilesPage = S['ChatFilesPage'];
