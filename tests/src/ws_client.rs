//! A WebSocket test client speaking Artel's protocol over a real socket.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::TestApp;

pub struct WsClient {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The `ready` frame.
    pub ready: Value,
}

/// How a socket ended, as the client saw it.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: Option<u16>,
    pub reason: String,
}

impl TestApp {
    pub fn ws_url(&self) -> String {
        format!("ws://{}/api/v1/ws", self.addr)
    }

    /// Connects and authenticates; `cursors` are the last seqs the client holds.
    pub async fn ws(&self, token: &str, cursors: &[(Uuid, i64)]) -> WsClient {
        WsClient::connect(&self.ws_url(), token, cursors).await
    }
}

impl WsClient {
    /// Connects to any Artel node's `/api/v1/ws` URL and authenticates.
    pub async fn connect(url: &str, token: &str, cursors: &[(Uuid, i64)]) -> WsClient {
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("ws connect");
        let cursors: HashMap<String, i64> = cursors.iter().map(|(c, s)| (c.to_string(), *s)).collect();
        let auth = json!({"type": "auth", "token": token, "cursors": cursors});
        socket.send(Message::Text(auth.to_string().into())).await.expect("send auth");
        let mut client = WsClient { socket, ready: Value::Null };
        let ready = client.next().await;
        assert_eq!(ready["type"], "ready", "expected ready, got {ready}");
        client.ready = ready;
        client
    }

    /// The next JSON frame (pings skipped); panics after 5 s or on close.
    pub async fn next(&mut self) -> Value {
        self.try_next(Duration::from_secs(5)).await.expect("a frame within 5 s")
    }

    /// The next JSON frame within `wait`, or `None`.
    pub async fn try_next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.socket.next()).await.ok()??;
            match msg.expect("ws read") {
                Message::Text(t) => return Some(serde_json::from_str(&t).expect("json frame")),
                Message::Close(frame) => panic!("socket closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The next JSON frame within `wait` (`Ok(None)` when none came), or
    /// `Err(())` once the server closed the socket or the connection broke.
    pub async fn next_unless_closed(&mut self, wait: Duration) -> Result<Option<Value>, ()> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Ok(None),
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return Err(()),
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Ok(Some(serde_json::from_str(&t).expect("json frame")))
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Frames until one matches, skipping others (e.g. typing notices).
    pub async fn next_where(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self.next().await;
            if pred(&frame) {
                return frame;
            }
        }
    }

    /// The next `event` frame.
    pub async fn next_event(&mut self) -> Value {
        self.next_where(|f| f["type"] == "event").await
    }

    pub async fn send_json(&mut self, frame: Value) {
        self.socket.send(Message::Text(frame.to_string().into())).await.expect("ws send");
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.socket.send(msg).await.expect("ws send");
    }

    /// Sends a message frame.
    pub async fn send_message(&mut self, chat: Uuid, body: &str, client_msg_id: &str) {
        self.send_json(
            json!({"type": "send", "chat_id": chat, "body": body, "client_msg_id": client_msg_id}),
        )
        .await;
    }

    /// Waits for the socket to be closed by the server.
    pub async fn closed(mut self) -> Closed {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.socket.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Closed {
                        code: frame.as_ref().map(|f| u16::from(f.code)),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    }
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) | Ok(None) => return Closed { code: None, reason: String::new() },
                Err(_) => panic!("socket not closed within 10 s"),
            }
        }
    }
}
