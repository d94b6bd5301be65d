//! What the bench puts on the wire and how it reads the server's frames back.
//!
//! The id of every bench message carries its sender, its number and its
//! scheduled send time, so any receiver can compute latency and spot losses and
//! duplicates without shared state. Frames are read by prefix and substring, not
//! parsed into JSON trees: at tens of thousands of deliveries per second a full
//! parse would take a large share of the two cores the server also runs on.

use serde_json::json;

/// A bench message id: `sender.k.scheduled_us` (printable ASCII, ≤ 64 chars as the
/// server requires of a `client_msg_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgId {
    /// Index of the sending socket.
    pub sender: u32,
    /// Sequence number of this message on its socket.
    pub k: u32,
    /// Scheduled (open loop) or actual (closed loop) send time, µs after the run's origin.
    pub at_us: u64,
}

impl MsgId {
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.sender, self.k, self.at_us)
    }

    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split('.');
        let id = Self {
            sender: it.next()?.parse().ok()?,
            k: it.next()?.parse().ok()?,
            at_us: it.next()?.parse().ok()?,
        };
        it.next().is_none().then_some(id)
    }

    /// (sender, k) packed: the identity of a message within a run.
    pub fn key(&self) -> u64 {
        (u64::from(self.sender) << 32) | u64::from(self.k)
    }
}

/// A `send` frame with a body padded to `size` bytes.
pub fn send_frame(chat_id: &str, id: &MsgId, size: usize) -> String {
    let mut body = String::with_capacity(size.max(8));
    body.push_str("bench ");
    while body.len() < size {
        body.push('x');
    }
    json!({"type": "send", "chat_id": chat_id, "body": body, "client_msg_id": id.encode()}).to_string()
}

/// The frames the bench cares about.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `ack` for a bench message.
    Ack(MsgId),
    /// `event` carrying a bench message (`message_created`).
    Delivery(MsgId),
    /// `error`, with the `ref` (our client_msg_id) when the server gave one.
    Error { code: &'a str, msg_id: Option<MsgId> },
    /// Anything else (other events, pongs, ephemeral notices).
    Other,
}

pub fn classify(text: &str) -> Frame<'_> {
    // serde writes an internally tagged enum's tag first, so the prefix names the frame.
    if text.starts_with(r#"{"type":"event""#) {
        if !text.contains(r#""type":"message_created""#) {
            return Frame::Other;
        }
        return match string_field(text, "client_msg_id").and_then(MsgId::parse) {
            Some(id) => Frame::Delivery(id),
            None => Frame::Other,
        };
    }
    if text.starts_with(r#"{"type":"ack""#) {
        return match string_field(text, "client_msg_id").and_then(MsgId::parse) {
            Some(id) => Frame::Ack(id),
            None => Frame::Other,
        };
    }
    if text.starts_with(r#"{"type":"error""#) {
        let code = string_field(text, "code").unwrap_or("unknown");
        return Frame::Error { code, msg_id: string_field(text, "ref").and_then(MsgId::parse) };
    }
    Frame::Other
}

/// The value of the first `"name":"…"` in the text. Only used for fields whose
/// values the bench wrote itself or that are plain codes, so no escapes occur.
fn string_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\":\"");
    let start = text.find(&key)? + key.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let id = MsgId { sender: 7, k: 42, at_us: 1_234_567 };
        assert_eq!(MsgId::parse(&id.encode()), Some(id));
        assert_eq!(MsgId::parse("7.42"), None);
        assert_eq!(MsgId::parse("m1"), None);
    }

    #[test]
    fn reads_server_frames() {
        let ack = r#"{"type":"ack","client_msg_id":"1.2.3","message":{"seq":5,"client_msg_id":"1.2.3"}}"#;
        assert_eq!(classify(ack), Frame::Ack(MsgId { sender: 1, k: 2, at_us: 3 }));
        let ev = r#"{"type":"event","chat_id":"c","seq":5,"created_at":"t","change":{"type":"message_created","message":{"id":"m","body":"bench xx","client_msg_id":"4.5.6"}}}"#;
        assert_eq!(classify(ev), Frame::Delivery(MsgId { sender: 4, k: 5, at_us: 6 }));
        let other = r#"{"type":"event","chat_id":"c","seq":1,"change":{"type":"member_added"}}"#;
        assert_eq!(classify(other), Frame::Other);
        let err = r#"{"type":"error","code":"rate_limited","message":"too many","ref":"1.2.3"}"#;
        assert_eq!(
            classify(err),
            Frame::Error { code: "rate_limited", msg_id: Some(MsgId { sender: 1, k: 2, at_us: 3 }) }
        );
        let err = r#"{"type":"error","code":"rate_limited","message":"too many","ref":null}"#;
        assert_eq!(classify(err), Frame::Error { code: "rate_limited", msg_id: None });
    }

    #[test]
    fn pads_bodies() {
        let f = send_frame("c", &MsgId { sender: 0, k: 0, at_us: 0 }, 100);
        let v: serde_json::Value = serde_json::from_str(&f).unwrap_or_default();
        assert_eq!(v["body"].as_str().map(str::len), Some(100));
    }
}
