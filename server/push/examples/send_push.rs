//! Sends one Web Push with artel-push, exactly as the server does: for the
//! interop check (scripts/push-interop.py), which plays the push service with
//! independent implementations (py-vapid, http_ece).
//!
//! cargo run -p artel-push --example send_push -- <endpoint> <p256dh> <auth> <payload>
//! The VAPID key is generated; its public half is printed first.

use std::time::Duration;

use artel_core::ports::push::{PushSender, PushTarget};
use artel_push::{VapidKeys, WebPushSender};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, p256dh, auth, payload] = args.as_slice() else {
        anyhow::bail!("usage: send_push <endpoint> <p256dh> <auth> <payload>");
    };
    let (_, keys) = VapidKeys::generate()?;
    println!("vapid_public_key {}", keys.public_key());
    let sender = WebPushSender::new(keys, "mailto:interop@artel.test".into(), Duration::from_secs(10), true);
    let target = PushTarget { endpoint, p256dh, auth };
    let outcome = sender.send(target, payload.as_bytes(), 60, Some("interop")).await;
    println!("outcome {outcome:?}");
    Ok(())
}
