// Convenient names for the generated OpenAPI types: the REST DTOs and the
// WebSocket frames alike (the frames are components of the document, derived
// from the server's frame enums), never typed by hand.
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
export type PresenceStatus = S['Presence'];
export type CommandResult = S['CommandResultDto'];

/** Frames the server sends on /api/v1/ws (server/api/src/ws/frames.rs). */
export type ServerFrame = S['ServerFrame'];
/** Frames a client sends. */
export type ClientFrame = S['ClientFrame'];
export type BoardEvent = S['BoardEventDto'];
export type BoardChange = S['BoardChangeDto'];
/** What an `ephemeral` frame carries (typing, presence, read marks, task and merge notices). */
export type Ephemeral = S['Ephemeral'];

// --- c-files ---
/** A file sent in a chat, and a page of them (`GET /chats/{id}/files`). */
export type ChatFile = S['ChatFileDto'];
export type ChatFilesPage = S['ChatFilesPage'];
