// The real-time client shared by web/ and mobile/: one WebSocket to /api/v1/ws,
// authenticated in its first frame, that keeps a cursor (last seq delivered) per
// chat and per watched board. It resumes from those cursors after any drop,
// reconnects with jittered exponential backoff, drops duplicates, fills gaps from
// the chat's event log, and re-sends unacknowledged messages (the server keys
// them by client_msg_id, so a re-send never makes a second message).
import type { BoardEvent, ChatEvent, ClientFrame, CommandResult, Ephemeral, Message, ServerFrame } from './types';

type SendFrame = Extract<ClientFrame, { type: 'send' }>;
type ChatCursor = Extract<ServerFrame, { type: 'ready' }>['chats'][number];

export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface RealtimeEvents {
  status: (status: ConnectionStatus) => void;
  /**
   * Authenticated. `seeded` are the chats this client had no cursor for: the
   * server will not replay them, so anything the app loaded for them before
   * this moment (history fetched over REST while the socket was connecting,
   * or during an outage before the first ready) may be behind: refetch it.
   */
  ready: (chats: ChatCursor[], seeded: string[]) => void;
  /** A chat event, exactly once per seq and in seq order per chat. */
  event: (event: ChatEvent) => void;
  /** Too much was missed in a chat: refetch its history. */
  resync: (chatId: string, lastSeq: number) => void;
  board: (event: BoardEvent) => void;
  /** The board's stream cannot continue from our cursor: refetch the board. */
  boardResync: (pipelineId: string) => void;
  ephemeral: (event: Ephemeral) => void;
  /**
   * A slash-command sent with `send` ran (for this socket only). Its send
   * settles with a `SendError` of code `command_ran`: no message was posted
   * for the line itself.
   */
  command: (clientMsgId: string, result: CommandResult) => void;
  /** An error frame not tied to a send. */
  error: (code: string, message: string) => void;
  signedOut: () => void;
}

/** Most users one socket follows the presence of (the server's bound). */
export const MAX_PRESENCE_SUB = 500;

export interface RealtimeOptions {
  /** ws(s)://host/api/v1/ws; by default derived from the page's location. */
  url?: string;
  /** A valid access token (refreshed by the REST client when needed). */
  getToken: () => Promise<string | null>;
  /** Forces a refresh after the server refused the token. */
  refreshToken: () => Promise<string | null>;
  /**
   * Whether a session is still held. When a token cannot be had but the session
   * is still there (offline, or the server restarting, while the access token
   * expired), the client keeps retrying instead of signing out. Without it, no
   * token means signed out.
   */
  hasSession?: () => boolean;
  /** Reads a chat's events after `after` (GET /chats/{id}/events), for filling gaps. */
  fetchEvents: (chatId: string, after: number) => Promise<ChatEvent[]>;
  WebSocket?: typeof WebSocket;
  /** Backoff: first delay and ceiling, ms. */
  minDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

interface PendingSend {
  frame: SendFrame;
  resolve: (m: Message) => void;
  reject: (e: SendError) => void;
}

/** A send the server refused (its `error` frame), or the client gave up. */
export class SendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** For a refused slash-command: how to write it. */
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

type Listeners = { [K in keyof RealtimeEvents]: Set<RealtimeEvents[K]> };

const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_SIGNED_OUT = 4403;

export class RealtimeClient {
  private ws: WebSocket | null = null;
  private statusValue: ConnectionStatus = 'idle';
  private readonly cursors = new Map<string, number>();
  private readonly boards = new Map<string, number | null>();
  private readonly pending = new Map<string, PendingSend>();
  /** Per chat, the chain that keeps deliveries (and gap fills) in order. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly listeners = Object.fromEntries(
    ['status', 'ready', 'event', 'resync', 'board', 'boardResync', 'ephemeral', 'command', 'error', 'signedOut'].map(
      (k) => [k, new Set()],
    ),
  ) as unknown as Listeners;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private authRetried = false;
  private stopped = true;
  private readyValue = false;
  private focused: string | null = null;
  /** Users whose presence this client shows; sent again after every reconnect. */
  private watched: string[] = [];

  constructor(private readonly opts: RealtimeOptions) {}

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** The last seq delivered for a chat (undefined before the first ready). */
  cursor(chatId: string): number | undefined {
    return this.cursors.get(chatId);
  }

  on<K extends keyof RealtimeEvents>(name: K, fn: RealtimeEvents[K]): () => void {
    (this.listeners[name] as Set<RealtimeEvents[K]>).add(fn);
    return () => (this.listeners[name] as Set<RealtimeEvents[K]>).delete(fn);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  /** Closes for good (sign-out); pending sends fail. */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close(1000, 'bye');
    this.ws = null;
    for (const p of this.pending.values()) p.reject(new SendError('closed', 'the connection was closed'));
    this.pending.clear();
    this.setStatus('closed');
  }

  /** Reconnects now (e.g. the browser says it is online again), skipping the backoff. */
  reconnectNow(): void {
    if (this.stopped || this.statusValue === 'open' || this.statusValue === 'connecting') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.attempt = 0;
    void this.connect();
  }

  /**
   * Sends a message; resolves with the committed message once acknowledged. While
   * offline it waits and goes out on reconnect, as often as needed, in order.
   */
  send(input: Omit<SendFrame, 'type'>): Promise<Message> {
    const frame: PendingSend['frame'] = { type: 'send', ...input };
    return new Promise<Message>((resolve, reject) => {
      this.pending.set(input.client_msg_id, { frame, resolve, reject });
      if (this.readyValue) this.write(frame);
    });
  }

  /** Gives up waiting for a send (the UI shows it as failed; a retry uses the same id). */
  abandon(clientMsgId: string): void {
    const p = this.pending.get(clientMsgId);
    if (!p) return;
    this.pending.delete(clientMsgId);
    p.reject(new SendError('abandoned', 'not sent'));
  }

  typing(chatId: string): void {
    if (this.readyValue) this.write({ type: 'typing', chat_id: chatId });
  }

  read(chatId: string, seq: number): void {
    if (this.readyValue) this.write({ type: 'read', chat_id: chatId, seq });
  }

  presence(status: Extract<ClientFrame, { type: 'presence' }>['status']): void {
    if (this.readyValue) this.write({ type: 'presence', status });
  }

  /**
   * Follows the presence of these users (and no one else's): the server answers
   * with their statuses, then sends their changes. Kept across reconnects.
   */
  watchPresence(userIds: string[]): void {
    const ids = [...new Set(userIds)].sort().slice(0, MAX_PRESENCE_SUB);
    if (ids.join() === this.watched.join()) return;
    this.watched = ids;
    if (this.readyValue) this.write({ type: 'presence_sub', user_ids: ids });
  }

  /** Says which chat is on screen (null: none, or the page is hidden); kept across reconnects. */
  focus(chatId: string | null): void {
    this.focused = chatId;
    if (this.readyValue) this.write(chatId ? { type: 'focus', chat_id: chatId } : { type: 'blur' });
  }

  /** Follows a board live; after a reconnect the watch resumes from its cursor. */
  watchBoard(pipelineId: string): void {
    if (!this.boards.has(pipelineId)) this.boards.set(pipelineId, null);
    if (this.readyValue) this.write({ type: 'watch_board', pipeline_id: pipelineId });
  }

  unwatchBoard(pipelineId: string): void {
    this.boards.delete(pipelineId);
    if (this.readyValue) this.write({ type: 'unwatch_board', pipeline_id: pipelineId });
  }

  private emit<K extends keyof RealtimeEvents>(name: K, ...args: Parameters<RealtimeEvents[K]>): void {
    for (const fn of this.listeners[name] as Set<(...a: Parameters<RealtimeEvents[K]>) => void>) {
      try {
        fn(...args);
      } catch (e) {
        console.error(`realtime ${name} listener failed`, e);
      }
    }
  }

  private setStatus(s: ConnectionStatus): void {
    if (this.statusValue === s) return;
    this.statusValue = s;
    this.emit('status', s);
  }

  private url(): string {
    if (this.opts.url) return this.opts.url;
    const loc = globalThis.location;
    return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/v1/ws`;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setStatus(this.attempt === 0 && this.statusValue === 'idle' ? 'connecting' : 'reconnecting');
    const token = await this.opts.getToken().catch(() => null);
    if (this.stopped) return;
    if (!token) {
      if (this.opts.hasSession?.()) this.scheduleReconnect();
      else this.signedOut();
      return;
    }
    const Ctor = this.opts.WebSocket ?? globalThis.WebSocket;
    let ws: WebSocket;
    try {
      ws = new Ctor(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      ws.send(JSON.stringify({ type: 'auth', token, cursors: Object.fromEntries(this.cursors) }));
    };
    ws.onmessage = (m: MessageEvent) => {
      this.lastHeard = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(m.data)) as ServerFrame;
      } catch {
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (e: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.readyValue = false;
      this.clearTimers();
      void this.onClosed(e.code);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private async onClosed(code: number): Promise<void> {
    if (this.stopped) return;
    if (code === CLOSE_SIGNED_OUT) {
      this.signedOut();
      return;
    }
    if (code === CLOSE_UNAUTHORIZED) {
      // The token was refused: one refresh, then a sign-out if a fresh token is
      // refused too. A refresh that cannot reach the server says nothing about
      // the session: keep it and try again later.
      if (this.authRetried) {
        this.signedOut();
        return;
      }
      const fresh = await this.opts.refreshToken().catch(() => null);
      if (this.stopped) return;
      if (fresh) this.authRetried = true;
      else if (!this.opts.hasSession?.()) {
        this.signedOut();
        return;
      }
    }
    this.scheduleReconnect();
  }

  private signedOut(): void {
    this.stop();
    this.emit('signedOut');
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setStatus('reconnecting');
    const min = this.opts.minDelayMs ?? 500;
    // 10 s at most: a restarted server is found again soon, and the jitter
    // below still spreads the clients out.
    const max = this.opts.maxDelayMs ?? 10_000;
    const random = this.opts.random ?? Math.random;
    const ceiling = Math.min(max, min * 2 ** this.attempt);
    // "Equal jitter": never less than half the ceiling, so a server restart is not
    // hit by every client at the same instant nor retried in a tight loop.
    const delay = ceiling / 2 + random() * (ceiling / 2);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = null;
    this.heartbeat = null;
  }

  private write(frame: ClientFrame): void {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        this.onReady(frame.chats, frame.heartbeat_secs);
        break;
      case 'event':
        this.enqueue(frame.chat_id, () => this.deliver(frame));
        break;
      case 'resync':
        this.enqueue(frame.chat_id, async () => {
          this.cursors.set(frame.chat_id, frame.last_seq);
          this.emit('resync', frame.chat_id, frame.last_seq);
        });
        break;
      case 'watching':
        if (this.boards.get(frame.pipeline_id) == null) this.boards.set(frame.pipeline_id, frame.last_seq);
        break;
      case 'board_event':
        this.onBoardEvent(frame);
        break;
      case 'ephemeral':
        if (frame.event.type === 'joined_chat' && !this.cursors.has(frame.event.chat_id)) {
          this.cursors.set(frame.event.chat_id, 0);
        }
        this.emit('ephemeral', frame.event);
        break;
      case 'ack': {
        const p = this.pending.get(frame.client_msg_id);
        if (p) {
          this.pending.delete(frame.client_msg_id);
          p.resolve(frame.message);
        }
        break;
      }
      case 'command_result': {
        const p = this.pending.get(frame.client_msg_id);
        this.pending.delete(frame.client_msg_id);
        this.emit('command', frame.client_msg_id, frame.result);
        p?.reject(new SendError('command_ran', frame.result.text));
        break;
      }
      case 'error': {
        const p = frame.ref ? this.pending.get(frame.ref) : undefined;
        if (p && frame.ref) {
          this.pending.delete(frame.ref);
          p.reject(new SendError(frame.code, frame.message, frame.usage ?? undefined));
        } else {
          this.emit('error', frame.code, frame.message);
        }
        break;
      }
      case 'pong':
        break;
    }
  }

  private onReady(chats: ChatCursor[], heartbeatSecs: number): void {
    this.attempt = 0;
    this.authRetried = false;
    this.readyValue = true;
    // Chats we held a cursor for are replayed by the server from that cursor;
    // the others start at their latest seq.
    const seeded: string[] = [];
    for (const c of chats) {
      if (!this.cursors.has(c.chat_id)) {
        this.cursors.set(c.chat_id, c.last_seq);
        seeded.push(c.chat_id);
      }
    }
    this.setStatus('open');
    this.emit('ready', chats, seeded);
    for (const [pipeline_id, cursor] of this.boards) {
      this.write({ type: 'watch_board', pipeline_id, ...(cursor != null ? { cursor } : {}) });
    }
    for (const p of this.pending.values()) this.write(p.frame);
    if (this.focused) this.write({ type: 'focus', chat_id: this.focused });
    if (this.watched.length) this.write({ type: 'presence_sub', user_ids: this.watched });
    // Browsers cannot see protocol pings: an application ping proves the link
    // alive, and silence for three periods means it is dead.
    const period = Math.max(5, heartbeatSecs) * 1000;
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > period * 3) {
        this.ws?.close(4000, 'heartbeat timeout');
        return;
      }
      this.write({ type: 'ping' });
    }, period);
  }

  private enqueue(chatId: string, step: () => Promise<void>): void {
    const prev = this.chains.get(chatId) ?? Promise.resolve();
    const next = prev.then(step).catch((e) => console.error('realtime delivery failed', e));
    this.chains.set(chatId, next);
  }

  /** Delivers one event in order: duplicates dropped, a gap filled from history first. */
  private async deliver(event: ChatEvent): Promise<void> {
    const cur = this.cursors.get(event.chat_id);
    if (cur !== undefined && event.seq <= cur) return;
    if (cur !== undefined && event.seq > cur + 1) {
      let after = cur;
      while (after < event.seq - 1) {
        let missed: ChatEvent[];
        try {
          missed = await this.opts.fetchEvents(event.chat_id, after);
        } catch {
          // Cannot fill now: ask the app to refetch rather than show a hole.
          this.cursors.set(event.chat_id, event.seq);
          this.emit('resync', event.chat_id, event.seq);
          return;
        }
        const useful = missed.filter((e) => e.seq > after && e.seq < event.seq).sort((a, b) => a.seq - b.seq);
        if (useful.length === 0) break;
        for (const e of useful) {
          this.cursors.set(e.chat_id, e.seq);
          this.emit('event', e);
          after = e.seq;
        }
      }
    }
    this.cursors.set(event.chat_id, event.seq);
    this.emit('event', event);
  }

  private onBoardEvent(event: BoardEvent): void {
    if (!this.boards.has(event.pipeline_id)) return;
    const cur = this.boards.get(event.pipeline_id);
    if (cur != null && event.seq <= cur) return;
    this.boards.set(event.pipeline_id, event.seq);
    if (cur != null && event.seq > cur + 1) {
      // Boards have no event log endpoint: a hole means "reload the board".
      this.emit('boardResync', event.pipeline_id);
      return;
    }
    this.emit('board', event);
  }
}
