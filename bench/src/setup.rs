//! Populating the server through its public API: an owner (first-run setup or
//! sign-in), then bench users by invite, then group rooms. Every run makes new
//! users (e-mails carry a run tag), so a server can be reused across runs.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use crate::cli::Target;

/// A bench user and the access token its sockets authenticate with.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

/// A group chat and the indexes (into the user list) of its members.
#[derive(Debug, Clone)]
pub struct Room {
    pub id: String,
    pub members: Vec<usize>,
}

pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(base_url: &str, concurrency: usize) -> Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency.max(1))
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { http, base: format!("{}/api/v1", base_url.trim_end_matches('/')) })
    }

    /// POSTs JSON and returns the body, failing with the server's error body
    /// unless the status is the expected one.
    async fn post(&self, path: &str, token: Option<&str>, body: Value, expect: u16) -> Result<Value> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.with_context(|| format!("POST {path}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        if status != expect {
            bail!("POST {path}: expected {expect}, got {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// The owner's access token: first-run setup or sign-in, as the flags say.
    pub async fn owner_token(&self, t: &Target) -> Result<String> {
        let body = if t.setup {
            let req = json!({"workspace_name": t.workspace, "name": "Bench Owner",
                             "email": t.owner_email, "password": t.owner_password});
            self.post("/setup", None, req, 201).await.context("first-run setup (is the server fresh?)")?
        } else if t.login {
            let req = json!({"email": t.owner_email, "password": t.owner_password});
            self.post("/auth/login", None, req, 200).await.context("owner sign-in")?
        } else {
            bail!("say --setup (fresh server) or --login (existing owner)");
        };
        token_of(&body)
    }

    /// Creates `n` members by invite, `concurrency` at a time: each accept hashes a
    /// password, so an unbounded burst would only queue on the server's blocking pool.
    pub async fn create_users(&self, owner: &str, n: usize, concurrency: usize) -> Result<Vec<User>> {
        let tag = run_tag();
        let started = Instant::now();
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let users: Vec<User> = stream::iter(0..n)
            .map(|i| {
                let (tag, done) = (tag.clone(), done.clone());
                async move {
                    let invite = self.post("/invites", Some(owner), json!({"role": "member"}), 201).await?;
                    let token = invite["token"].as_str().context("invite without token")?;
                    let accept = json!({"token": token, "name": format!("bench {tag} {i}"),
                                        "email": format!("b{tag}-{i}@bench.test"),
                                        "password": "bench-user-password"});
                    let body = self.post("/invites/accept", None, accept, 201).await?;
                    let user = User {
                        id: body["user"]["id"].as_str().context("no user id")?.to_string(),
                        token: token_of(&body)?,
                    };
                    let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    if d % 1000 == 0 {
                        eprintln!("  {d}/{n} users ({:.0}/s)", d as f64 / started.elapsed().as_secs_f64());
                    }
                    Ok::<_, anyhow::Error>(user)
                }
            })
            .buffered(concurrency.max(1))
            .try_collect()
            .await?;
        eprintln!("created {n} users in {:.1} s", started.elapsed().as_secs_f64());
        Ok(users)
    }

    /// Groups consecutive users into rooms of `size`; each room's first member
    /// creates it, so the room holds exactly these users (the owner stays out).
    pub async fn create_rooms(&self, users: &[User], size: usize, concurrency: usize) -> Result<Vec<Room>> {
        let size = size.max(1);
        let groups: Vec<Vec<usize>> =
            (0..users.len()).collect::<Vec<_>>().chunks(size).map(<[usize]>::to_vec).collect();
        let rooms = stream::iter(groups.into_iter().enumerate())
            .map(|(r, members)| async move {
                let creator = &users[members[0]];
                let others: Vec<&str> = members[1..].iter().map(|&i| users[i].id.as_str()).collect();
                let req = json!({"kind": "group", "name": format!("bench room {r}"), "member_ids": others});
                let body = self.post("/chats", Some(&creator.token), req, 201).await?;
                let id = body["id"].as_str().context("chat without id")?.to_string();
                Ok::<_, anyhow::Error>(Room { id, members })
            })
            .buffered(concurrency.max(1))
            .try_collect()
            .await?;
        Ok(rooms)
    }
}

fn token_of(body: &Value) -> Result<String> {
    Ok(body["access_token"].as_str().context("no access_token in response")?.to_string())
}

/// A short tag unique per run, so e-mails never collide with earlier runs.
fn run_tag() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:x}", (nanos / 1000) % 0xffff_ffff)
}

/// Owner, `n_users` users and rooms of `room_size`: what every mode starts with.
pub async fn populate(t: &Target, n_users: usize, room_size: usize) -> Result<(Vec<User>, Vec<Room>)> {
    let api = Api::new(&t.url[0], t.setup_concurrency)?;
    let owner = api.owner_token(t).await?;
    let users = api.create_users(&owner, n_users, t.setup_concurrency).await?;
    let started = Instant::now();
    let rooms = api.create_rooms(&users, room_size, t.setup_concurrency).await?;
    eprintln!("created {} rooms of {room_size} in {:.1} s", rooms.len(), started.elapsed().as_secs_f64());
    Ok((users, rooms))
}
