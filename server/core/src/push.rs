//! Web Push rules: what a subscription looks like, a user's notification
//! settings (per-kind switches, do-not-disturb hours read in the user's time
//! zone, hiding message text), the payload the service worker receives, and
//! who gets a push for a chat message. No transport here: `ports::push` is the
//! sender, artel-push implements it.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::chat::{ChatId, ChatKind};
use crate::message::{Message, MessageKind};
use crate::user::UserId;
use crate::workspace::WorkspaceId;

/// Longest device label.
pub const MAX_DEVICE_CHARS: usize = 100;
/// Longest endpoint URL accepted.
pub const MAX_ENDPOINT_CHARS: usize = 2000;
/// Body text is cut to this many characters (an ellipsis is added).
pub const MAX_BODY_CHARS: usize = 140;
/// Longest title (chat name, task or deal title) sent.
pub const MAX_TITLE_CHARS: usize = 80;

/// A browser's push subscription, one per user device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub endpoint: String,
    /// The browser's P-256 public key, base64url (uncompressed point, 65 bytes).
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
    pub device: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a notification is sent; also the per-kind switch name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    Direct,
    Mention,
    Thread,
    TaskAssigned,
    TaskReminder,
    DealAssigned,
}

impl PushKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PushKind::Direct => "direct",
            PushKind::Mention => "mention",
            PushKind::Thread => "thread",
            PushKind::TaskAssigned => "task_assigned",
            PushKind::TaskReminder => "task_reminder",
            PushKind::DealAssigned => "deal_assigned",
        }
    }
}

impl std::str::FromStr for PushKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "direct" => PushKind::Direct,
            "mention" => PushKind::Mention,
            "thread" => PushKind::Thread,
            "task_assigned" => PushKind::TaskAssigned,
            "task_reminder" => PushKind::TaskReminder,
            "deal_assigned" => PushKind::DealAssigned,
            other => return Err(format!("unknown push kind {other:?}")),
        })
    }
}

/// Per-kind switches; all on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindSwitches {
    pub direct: bool,
    pub mention: bool,
    pub thread: bool,
    pub task_assigned: bool,
    pub task_reminder: bool,
    pub deal_assigned: bool,
}

impl Default for KindSwitches {
    fn default() -> Self {
        Self {
            direct: true,
            mention: true,
            thread: true,
            task_assigned: true,
            task_reminder: true,
            deal_assigned: true,
        }
    }
}

impl KindSwitches {
    pub fn allows(&self, kind: PushKind) -> bool {
        match kind {
            PushKind::Direct => self.direct,
            PushKind::Mention => self.mention,
            PushKind::Thread => self.thread,
            PushKind::TaskAssigned => self.task_assigned,
            PushKind::TaskReminder => self.task_reminder,
            PushKind::DealAssigned => self.deal_assigned,
        }
    }
}

/// Do-not-disturb hours, wall-clock in the user's time zone. `from` > `to` spans
/// midnight (22:00–08:00); `from` == `to` is the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dnd {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl Dnd {
    /// Parses "HH:MM" pairs.
    pub fn parse(from: &str, to: &str) -> Result<Self, (&'static str, &'static str)> {
        let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok().filter(|_| s.trim().len() == 5);
        let from = t(from).ok_or(("dnd.from", "must be a time HH:MM"))?;
        let to = t(to).ok_or(("dnd.to", "must be a time HH:MM"))?;
        Ok(Self { from, to })
    }

    /// Whether `local` (the user's wall-clock time) falls within the hours.
    pub fn covers(&self, local: NaiveTime) -> bool {
        if self.from == self.to {
            true
        } else if self.from < self.to {
            local >= self.from && local < self.to
        } else {
            local >= self.from || local < self.to
        }
    }

    pub fn format(t: NaiveTime) -> String {
        t.format("%H:%M").to_string()
    }
}

/// A user's notification settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotificationSettings {
    pub hide_text: bool,
    pub dnd: Option<Dnd>,
    pub kinds: KindSwitches,
}

impl NotificationSettings {
    /// Whether the user is in do-not-disturb hours at `now`, read in `time_zone`
    /// (an unknown zone counts as UTC).
    pub fn in_dnd(&self, time_zone: &str, now: DateTime<Utc>) -> bool {
        let Some(dnd) = self.dnd else { return false };
        let local = match time_zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => now.with_timezone(&tz).time(),
            Err(_) => now.time(),
        };
        dnd.covers(local)
    }
}

/// The JSON the service worker receives (encrypted). `count` and `badge` are
/// filled at delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    pub title: String,
    pub body: String,
    pub url: String,
    pub tag: String,
    pub count: i64,
    pub kind: PushKind,
    pub badge: i64,
}

/// A notification to deliver to every device of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub kind: PushKind,
    /// The chat it is about, when it is about one (mute and focus apply).
    pub chat_id: Option<ChatId>,
    pub title: String,
    /// Plain text (already shortened); dropped when the user hides text.
    pub body: String,
    pub url: String,
    pub tag: String,
}

/// A queued delivery to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedPush {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub subscription_id: Uuid,
    pub tag: String,
    pub kind: PushKind,
    pub title: String,
    pub body: String,
    pub url: String,
    /// Notifications collapsed into this one.
    pub count: i64,
    pub status: QueueStatus,
    pub run_at: DateTime<Utc>,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStatus {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl QueueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueStatus::Pending => "pending",
            QueueStatus::Sending => "sending",
            QueueStatus::Sent => "sent",
            QueueStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for QueueStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => QueueStatus::Pending,
            "sending" => QueueStatus::Sending,
            "sent" => QueueStatus::Sent,
            "failed" => QueueStatus::Failed,
            other => return Err(format!("unknown push status {other:?}")),
        })
    }
}

/// Tags group notifications about one thing: the browser replaces a shown
/// notification with the same tag, and the queue collapses by it.
pub fn chat_tag(chat: ChatId) -> String {
    format!("chat:{chat}")
}

pub fn task_tag(task: Uuid) -> String {
    format!("task:{task}")
}

pub fn deal_tag(deal: Uuid) -> String {
    format!("deal:{deal}")
}

/// Whether a message can notify anybody in a chat of this kind, known before
/// reading the members: direct chats notify the other person, other chats only
/// the mentioned (or everyone, with `@all`) and a thread's participants. When
/// false, `message_recipients` is empty whoever the members are.
pub fn may_notify(message: &Message, chat_kind: ChatKind) -> bool {
    matches!(message.kind, MessageKind::User | MessageKind::Bot)
        && message.deleted_at.is_none()
        && (chat_kind == ChatKind::Direct
            || message.mentions_all
            || !message.mentions.is_empty()
            || message.thread_root_id.is_some())
}

/// Who gets a push for a new chat message, and why: (user, kind) for every
/// member except the author. Direct chats notify the other person; a mention of
/// the user (or `@all`/`@here`, as the messaging code counts them) notifies as
/// `mention`; a thread reply notifies the thread's participants (`thread`).
/// Only people's and bots' messages notify; system notices do not.
pub fn message_recipients(
    message: &Message,
    chat_kind: ChatKind,
    members: &[UserId],
    thread_participants: &[UserId],
) -> Vec<(UserId, PushKind)> {
    if !matches!(message.kind, MessageKind::User | MessageKind::Bot) || message.deleted_at.is_some() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for &user in members {
        if Some(user) == message.author_id {
            continue;
        }
        let kind = if chat_kind == ChatKind::Direct {
            Some(PushKind::Direct)
        } else if message.mentions.contains(&user) || message.mentions_all {
            Some(PushKind::Mention)
        } else if message.thread_root_id.is_some() && thread_participants.contains(&user) {
            Some(PushKind::Thread)
        } else {
            None
        };
        if let Some(kind) = kind {
            out.push((user, kind));
        }
    }
    out
}

/// Markdown → short plain text: mentions become "@name", markup characters go,
/// whitespace collapses, and the result is cut to `MAX_BODY_CHARS`.
pub fn plain_excerpt(markdown: &str, names: &dyn Fn(Uuid) -> Option<String>) -> String {
    let mut text = String::with_capacity(markdown.len().min(1024));
    let mut rest = markdown;
    while let Some(start) = rest.find("<@") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('>') {
            Some(end) if end <= 36 => {
                let name = after[..end].parse::<Uuid>().ok().and_then(names);
                text.push('@');
                text.push_str(name.as_deref().unwrap_or("…"));
                rest = &after[end + 1..];
            }
            _ => {
                text.push_str("<@");
                rest = after;
            }
        }
    }
    text.push_str(rest);
    // Links [label](url) keep their label.
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // An escaped character (a quoted title's `\[`) is just that character.
        if let Some(&next) = chars.get(i + 1).filter(|n| c == '\\' && n.is_ascii_punctuation()) {
            out.push(next);
            i += 2;
            continue;
        }
        if c == ']' && chars.get(i + 1) == Some(&'(') {
            if let Some(close) = chars[i + 2..].iter().position(|&c| c == ')') {
                i += close + 3;
                continue;
            }
        }
        if c.is_control() {
            out.push(' ');
        } else if !matches!(c, '*' | '_' | '`' | '~' | '#' | '>' | '[' | ']' | '|') {
            out.push(c);
        }
        i += 1;
    }
    shorten(&out.split_whitespace().collect::<Vec<_>>().join(" "), MAX_BODY_CHARS)
}

/// Cuts `s` to at most `max` characters, ending with "…" when cut.
pub fn shorten(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut = cut.trim_end().to_string();
    cut.push('…');
    cut
}

/// Checks a subscription's keys: p256dh an uncompressed P-256 point (65 bytes,
/// first 0x04), auth 16 bytes, both base64url. Returns (field, reason) on error.
pub fn check_keys(p256dh: &[u8], auth: &[u8]) -> Result<(), (&'static str, &'static str)> {
    if p256dh.len() != 65 || p256dh[0] != 4 {
        return Err(("keys.p256dh", "must be an uncompressed P-256 public key (65 bytes, base64url)"));
    }
    if auth.len() != 16 {
        return Err(("keys.auth", "must be a 16-byte secret (base64url)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").expect("time")
    }

    #[test]
    fn dnd_spans_midnight_and_reads_the_users_zone() {
        let dnd = Dnd::parse("22:00", "08:00").expect("valid");
        assert!(dnd.covers(t("23:30")) && dnd.covers(t("07:59")));
        assert!(!dnd.covers(t("08:00")) && !dnd.covers(t("12:00")));
        let day = Dnd::parse("09:00", "18:00").expect("valid");
        assert!(day.covers(t("09:00")) && !day.covers(t("18:00")));
        assert!(Dnd::parse("9:00", "18:00").is_err() && Dnd::parse("25:00", "01:00").is_err());
        let s = NotificationSettings { dnd: Some(dnd), ..Default::default() };
        // 20:00 UTC is 23:00 in Moscow: inside; 20:00 in UTC itself: outside.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 20, 0, 0).single().expect("time");
        assert!(s.in_dnd("Europe/Moscow", now));
        assert!(!s.in_dnd("UTC", now));
    }

    #[test]
    fn no_recipients_when_a_message_may_not_notify() {
        let (author, other) = (Uuid::now_v7(), Uuid::now_v7());
        let plain = Message {
            id: Uuid::now_v7(),
            workspace_id: Uuid::now_v7(),
            chat_id: Uuid::now_v7(),
            seq: 1,
            author_id: Some(author),
            kind: MessageKind::User,
            body: "hi".into(),
            thread_root_id: None,
            client_msg_id: None,
            mentions: Vec::new(),
            mentions_all: false,
            created_at: Utc::now(),
            edited_at: None,
            deleted_at: None,
            pinned_at: None,
            reply_count: 0,
            last_reply_at: None,
            attachments: Vec::new(),
            notice: None,
        };
        let mentioned = Message { mentions: vec![other], ..plain.clone() };
        let reply = Message { thread_root_id: Some(Uuid::now_v7()), ..plain.clone() };
        let system = Message { kind: MessageKind::System, ..mentioned.clone() };
        let cases = [
            (&plain, ChatKind::Group, false),
            (&plain, ChatKind::Channel, false),
            (&plain, ChatKind::Direct, true),
            (&mentioned, ChatKind::Group, true),
            (&reply, ChatKind::Channel, true),
            (&system, ChatKind::Direct, false),
        ];
        for (message, kind, may) in cases {
            assert_eq!(may_notify(message, kind), may, "{kind:?}");
            let recipients = message_recipients(message, kind, &[author, other], &[other]);
            assert_eq!(!recipients.is_empty(), may, "{kind:?}");
        }
    }

    #[test]
    fn excerpts_are_plain_and_short() {
        let id = Uuid::now_v7();
        let names = |u: Uuid| (u == id).then(|| "Анна".to_string());
        let md = format!("**Hi** <@{id}>, see [the deal](https://x.test/a) `code`\n\n# done");
        assert_eq!(plain_excerpt(&md, &names), "Hi @Анна, see the deal code done");
        // Quoted titles in system notices read as written, without the escapes.
        assert_eq!(plain_excerpt("Anna created “\\[Win\\](x) a\\_b”", &names), "Anna created “[Win](x) a_b”");
        let long = "слово ".repeat(100);
        let cut = plain_excerpt(&long, &names);
        assert_eq!(cut.chars().count(), MAX_BODY_CHARS);
        assert!(cut.ends_with('…'));
    }
}
