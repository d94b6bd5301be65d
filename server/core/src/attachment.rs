//! Attachments: files uploaded into a chat, then linked to one message of their
//! uploader. The bytes live outside the database (the API keeps them in the data
//! dir); the store keeps what is known about them and who may link them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chat::ChatId;
use crate::message::MessageId;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

pub type AttachmentId = Uuid;

/// Most attachments one message may carry.
pub const MAX_ATTACHMENTS_PER_MESSAGE: usize = 10;
/// Longest stored file name, in bytes (what common file systems allow).
pub const MAX_FILENAME_BYTES: usize = 255;
/// The name used when the client gives none (or nothing usable).
pub const DEFAULT_FILENAME: &str = "file";

/// An uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: AttachmentId,
    pub workspace_id: WorkspaceId,
    /// The chat it was uploaded into; it can only be linked to a message there.
    pub chat_id: ChatId,
    pub uploader_id: UserId,
    /// The message it belongs to; `None` until its uploader sends it.
    pub message_id: Option<MessageId>,
    /// Sanitised, see [`sanitize_filename`].
    pub filename: String,
    /// Sniffed from the content, never taken from the client.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// What a message carries of each of its attachments (also inside stored events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

impl Attachment {
    pub fn info(&self) -> AttachmentInfo {
        AttachmentInfo {
            id: self.id,
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size_bytes: self.size_bytes,
        }
    }
}

/// A file of a chat's files list: a sent attachment with where it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatFile {
    /// Its `message_id` is always set.
    pub attachment: Attachment,
    /// The message's seq in the chat (thread replies included).
    pub seq: i64,
    /// Its place among the message's attachments.
    pub position: i32,
    /// When its message was sent.
    pub sent_at: DateTime<Utc>,
}

/// Where a page of a chat's files continues: right after the file at this
/// message seq and position (files are listed newest message first, then in the
/// message's order), so deletions between pages skip nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatFileCursor {
    pub seq: i64,
    pub position: i32,
}

impl ChatFile {
    /// The cursor of the page that follows this file.
    pub fn cursor(&self) -> ChatFileCursor {
        ChatFileCursor { seq: self.seq, position: self.position }
    }
}

/// Raster image types a browser may show inline. Everything else — SVG (it can
/// carry script), HTML, PDF, unknown bytes — is served as a download.
pub fn is_inline_image(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    matches!(essence, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// A client-given file name made safe to store and to show: only the last path
/// component (no `/` or `\`), no control or bidi-override characters, none of
/// `<>:"|?*`, trimmed, at most 255 bytes (keeping a short extension), never `.`
/// or `..`; `"file"` when nothing usable remains.
pub fn sanitize_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .map(|c| if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') { '_' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '.') {
        return DEFAULT_FILENAME.to_string();
    }
    if trimmed.len() <= MAX_FILENAME_BYTES {
        return trimmed.to_string();
    }
    // Too long: cut the stem, keep an extension of up to 16 bytes.
    let (stem, ext) = match trimmed.rfind('.') {
        Some(dot) if dot > 0 && trimmed.len() - dot <= 16 => trimmed.split_at(dot),
        _ => (trimmed, ""),
    };
    let mut end = MAX_FILENAME_BYTES - ext.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", stem[..end].trim_end())
}

/// Unicode characters that reorder text ("evil\u{202E}fdp.exe" shows as "evilexe.pdf").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_controls() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_filename("../"), "file");
        assert_eq!(sanitize_filename(".."), "file");
        assert_eq!(sanitize_filename(""), "file");
        assert_eq!(sanitize_filename("  отчёт за май.pdf  "), "отчёт за май.pdf");
        assert_eq!(sanitize_filename("a\u{0}b\nc\u{7f}.txt"), "abc.txt");
        assert_eq!(sanitize_filename("evil\u{202E}fdp.exe"), "evilfdp.exe");
        assert_eq!(sanitize_filename("what?\"<x>\".txt"), "what___x__.txt");
        assert_eq!(sanitize_filename(".bashrc"), ".bashrc");
    }

    #[test]
    fn long_filenames_keep_their_extension() {
        let long = format!("{}.jpeg", "я".repeat(300));
        let name = sanitize_filename(&long);
        assert!(name.len() <= MAX_FILENAME_BYTES, "{} bytes", name.len());
        assert!(name.ends_with(".jpeg"));
        assert!(name.starts_with("яяя"));
        let no_ext = "x".repeat(1000);
        assert_eq!(sanitize_filename(&no_ext).len(), MAX_FILENAME_BYTES);
    }

    #[test]
    fn only_raster_images_are_inline() {
        for t in ["image/png", "image/jpeg", "image/gif", "image/webp"] {
            assert!(is_inline_image(t), "{t}");
        }
        for t in
            ["image/svg+xml", "text/html", "application/pdf", "application/octet-stream", "image/png-ish"]
        {
            assert!(!is_inline_image(t), "{t}");
        }
    }
}
