//! The Redis message format: `{"from":<node>,"envelopes":[…],"gap":true}`, in
//! that field order. `from` lets a node skip its own messages (its subscribers
//! had them at publish); `gap` says the sender dropped envelopes it could not
//! queue, so receivers must catch up from the store. Nodes before this format
//! sent one envelope or a bare array: both still decode, from no node.

use artel_core::event::Envelope;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Serialize)]
struct Out<'a> {
    from: Uuid,
    envelopes: &'a [Envelope],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    gap: bool,
}

#[derive(Deserialize)]
struct In {
    from: Uuid,
    envelopes: Vec<Envelope>,
    #[serde(default)]
    gap: bool,
}

/// One decoded Redis message.
#[derive(Debug, PartialEq)]
pub(crate) struct Message {
    /// The publishing node; `None` for the older forms.
    pub from: Option<Uuid>,
    pub envelopes: Vec<Envelope>,
    pub gap: bool,
}

pub(crate) fn encode(from: Uuid, envelopes: &[Envelope], gap: bool) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Out { from, envelopes, gap })
}

pub(crate) fn decode(payload: &str) -> Result<Message, serde_json::Error> {
    let payload = payload.trim_start();
    // The prefix tells the forms apart without parsing twice: `encode` writes
    // `from` first, and an envelope has no such field.
    if payload.starts_with("{\"from\"") {
        let m: In = serde_json::from_str(payload)?;
        Ok(Message { from: Some(m.from), envelopes: m.envelopes, gap: m.gap })
    } else if payload.starts_with('[') {
        Ok(Message { from: None, envelopes: serde_json::from_str(payload)?, gap: false })
    } else {
        Ok(Message { from: None, envelopes: vec![serde_json::from_str(payload)?], gap: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use artel_core::event::{Audience, Ephemeral, Payload};

    fn envelope() -> Envelope {
        Envelope {
            id: Uuid::now_v7(),
            workspace_id: Uuid::now_v7(),
            audience: Audience::Workspace,
            payload: Payload::Ephemeral {
                event: Ephemeral::SignedOut { user_id: Uuid::now_v7(), session_id: None },
            },
        }
    }

    #[test]
    fn a_message_round_trips_with_its_sender_and_gap_mark() {
        let (node, batch) = (Uuid::now_v7(), vec![envelope(), envelope()]);
        let plain = encode(node, &batch, false).expect("encodes");
        assert!(!plain.contains("gap"), "no mark unless needed: {plain}");
        assert_eq!(
            decode(&plain).expect("decodes"),
            Message { from: Some(node), envelopes: batch.clone(), gap: false }
        );
        let marked = encode(node, &[], true).expect("encodes");
        assert_eq!(
            decode(&marked).expect("decodes"),
            Message { from: Some(node), envelopes: vec![], gap: true }
        );
    }

    #[test]
    fn the_older_forms_still_decode() {
        let (one, two) = (envelope(), envelope());
        let single = serde_json::to_string(&one).expect("json");
        assert_eq!(decode(&single).expect("decodes").envelopes, vec![one.clone()]);
        let array = serde_json::to_string(&[one.clone(), two.clone()]).expect("json");
        let m = decode(&array).expect("decodes");
        assert_eq!((m.from, m.envelopes, m.gap), (None, vec![one, two], false));
        assert!(decode("{\"from\":1}").is_err());
        assert!(decode("nonsense").is_err());
    }
}
