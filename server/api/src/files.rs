//! Uploaded files on local disk, under the data dir:
//! `uploads/<workspace>/<xx>/<attachment id>`, where `xx` is the last two hex
//! digits of the id (UUIDv7 starts with a timestamp, so its first digits would put
//! every file of a decade in one folder; its last ones are random).
//!
//! An upload is streamed to `uploads/tmp/<id>.part` — hashed, size-checked and
//! sniffed on the way, flushed to disk — and renamed into place only when
//! complete, so a reader never sees half a file and a failed upload leaves none.
//!
//! Each node keeps its own files: cluster nodes with separate data dirs do not
//! share uploads (an object-store backend is future work).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// How much of the start of a file content sniffing looks at.
const SNIFF_BYTES: usize = 8 * 1024;

/// Unfinished uploads older than this are leftovers of a crash.
const STALE_TEMP: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// What was learnt while writing a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub size_bytes: u64,
    /// Hex SHA-256.
    pub sha256: String,
    /// Sniffed from the content.
    pub content_type: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the file is empty")]
    Empty,
    /// The client's body broke off (disconnect, bad chunking).
    #[error("reading the upload failed: {0}")]
    Body(String),
    /// Our disk.
    #[error("storing the upload failed: {0}")]
    Io(#[from] std::io::Error),
}

impl FileStore {
    /// Files under `<data_dir>/uploads`; folders are made when first needed.
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("uploads") }
    }

    /// Where an attachment's bytes live.
    pub fn path(&self, workspace: Uuid, id: Uuid) -> PathBuf {
        let hex = id.simple().to_string();
        self.root.join(workspace.to_string()).join(&hex[hex.len() - 2..]).join(id.to_string())
    }

    fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Streams `body` into the attachment's place, refusing more than `max_bytes`
    /// and empty files. Nothing is left behind on failure.
    pub async fn save(
        &self,
        workspace: Uuid,
        id: Uuid,
        body: Body,
        max_bytes: u64,
    ) -> Result<Saved, SaveError> {
        tokio::fs::create_dir_all(self.temp_dir()).await?;
        let temp = self.temp_dir().join(format!("{id}.part"));
        let written = write_temp(&temp, body, max_bytes).await;
        let placed = match written {
            Ok(saved) => self.place(&temp, workspace, id).await.map(|()| saved),
            Err(e) => Err(e),
        };
        if placed.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        placed
    }

    async fn place(&self, temp: &Path, workspace: Uuid, id: Uuid) -> Result<(), SaveError> {
        let target = self.path(workspace, id);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(temp, &target).await?;
        Ok(())
    }

    /// Opens an attachment's file for reading.
    pub async fn open(&self, workspace: Uuid, id: Uuid) -> std::io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(workspace, id)).await
    }

    /// Deletes an attachment's file; a missing one is fine, other failures are logged.
    pub async fn remove(&self, workspace: Uuid, id: Uuid) {
        match tokio::fs::remove_file(self.path(workspace, id)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, attachment = %id, "could not delete an attachment's file"),
        }
    }

    /// Deletes unfinished uploads left by a crash (older than a day, so uploads in
    /// progress on another process sharing the folder are left alone).
    pub async fn sweep_temp(&self) {
        let Ok(mut entries) = tokio::fs::read_dir(self.temp_dir()).await else { return };
        let now = SystemTime::now();
        while let Ok(Some(entry)) = entries.next_entry().await {
            let stale = entry
                .metadata()
                .await
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > STALE_TEMP));
            if stale {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }
}

async fn write_temp(temp: &Path, body: Body, max_bytes: u64) -> Result<Saved, SaveError> {
    let mut file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(temp).await?;
    let mut stream = body.into_data_stream();
    let mut hasher = Sha256::new();
    let mut prefix: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| SaveError::Body(e.to_string()))?;
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(SaveError::TooLarge(max_bytes));
        }
        if prefix.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - prefix.len()).min(chunk.len());
            prefix.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
    }
    if size == 0 {
        return Err(SaveError::Empty);
    }
    file.flush().await?;
    // The upload is acknowledged once stored: make it survive a power cut.
    file.sync_all().await?;
    Ok(Saved { size_bytes: size, sha256: hex::encode(hasher.finalize()), content_type: sniff(&prefix) })
}

/// The content type of a file, judged from its first bytes only (what the client
/// claims is never used): known magic numbers via `infer`; SVG, which infer sees
/// as XML or not at all; other valid UTF-8 without NULs as plain text; anything
/// else `application/octet-stream`.
pub fn sniff(prefix: &[u8]) -> String {
    let detected = infer::get(prefix).map(|t| t.mime_type());
    if matches!(detected, None | Some("text/xml")) && looks_like_svg(prefix) {
        return "image/svg+xml".to_string();
    }
    if let Some(mime) = detected {
        return mime.to_string();
    }
    if is_text(prefix) {
        return "text/plain; charset=utf-8".to_string();
    }
    "application/octet-stream".to_string()
}

fn looks_like_svg(prefix: &[u8]) -> bool {
    let head = &prefix[..prefix.len().min(1024)];
    head.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg"))
}

/// UTF-8 text (a character cut at the end of the prefix is fine), no NUL bytes.
fn is_text(prefix: &[u8]) -> bool {
    if prefix.contains(&0) {
        return false;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && prefix.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52];

    #[test]
    fn sniffing_uses_the_bytes() {
        assert_eq!(sniff(PNG), "image/png");
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"), "image/jpeg");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"<!DOCTYPE html><html><script>alert(1)</script>"), "text/html");
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<svg onload=\"x()\"></svg>"), "image/svg+xml");
        assert_eq!(sniff("привет, мир".as_bytes()), "text/plain; charset=utf-8");
        assert_eq!(sniff(&"я".as_bytes()[..1]), "text/plain; charset=utf-8");
        assert_eq!(sniff(b"\x00\x01\x02binary"), "application/octet-stream");
        assert_eq!(sniff(b"\xC3\x28 invalid utf-8"), "application/octet-stream");
    }

    #[test]
    fn paths_fan_out_by_the_random_end_of_the_id() {
        let store = FileStore::new(Path::new("/data"));
        let ws = Uuid::nil();
        let id: Uuid = "0192f3a4-0000-7000-8000-0000000000ab".parse().unwrap_or_default();
        assert_eq!(
            store.path(ws, id),
            Path::new(
                "/data/uploads/00000000-0000-0000-0000-000000000000/ab/0192f3a4-0000-7000-8000-0000000000ab"
            )
        );
    }
}
