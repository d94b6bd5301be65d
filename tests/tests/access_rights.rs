//! Rights that change while someone holds them, on both engines: chat roles
//! given and taken by the right people, hooks that die with their creator's
//! rights, guests who see only their chat-mates, record chats that follow the
//! right to read the record, open board sockets that follow role and visibility
//! changes, and `/undo` that works where its command was typed.

use std::time::Duration;

use artel_tests::ws_client::WsClient;
use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn uuid(v: &Value) -> Uuid {
    v.as_str().unwrap_or_else(|| panic!("not a uuid: {v}")).parse().expect("uuid")
}

async fn group(app: &TestApp, by: &Session, name: &str, members: &[&Session]) -> Uuid {
    let ids: Vec<Uuid> = members.iter().map(|s| s.user_id).collect();
    let r = app.post("/chats", tok(by), json!({"kind": "group", "name": name, "member_ids": ids})).await;
    r.expect(201);
    uuid(&r.body["id"])
}

async fn member_roles(app: &TestApp, by: &Session, chat: Uuid) -> Vec<(Uuid, String)> {
    let r = app.get(&format!("/chats/{chat}/members"), &by.access_token).await;
    r.expect(200);
    let mut v: Vec<(Uuid, String)> = r
        .body
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (uuid(&m["user_id"]), m["role"].as_str().expect("role").to_string()))
        .collect();
    v.sort();
    v
}

async fn is_member(app: &TestApp, admin: &Session, chat: Uuid, user: Uuid) -> bool {
    member_roles(app, admin, chat).await.iter().any(|(u, _)| *u == user)
}

async fn my_chat_ids(app: &TestApp, s: &Session) -> Vec<Uuid> {
    let r = app.get("/chats", &s.access_token).await;
    r.expect(200);
    r.body.as_array().expect("chats").iter().map(|c| uuid(&c["chat"]["id"])).collect()
}

async fn post(app: &TestApp, s: &Session, chat: Uuid, body: &str) -> Resp {
    app.post(&format!("/chats/{chat}/messages"), tok(s), json!({"body": body})).await
}

async fn messages(app: &TestApp, s: &Session, chat: Uuid) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/messages"), &s.access_token).await;
    r.expect(200);
    r.body.as_array().expect("messages").clone()
}

async fn get_deal(app: &TestApp, s: &Session, id: Uuid) -> Value {
    let r = app.get(&format!("/deals/{id}"), &s.access_token).await;
    r.expect(200);
    r.body
}

/// The first pipeline: its id and its stages as (name, kind).
async fn pipeline(app: &TestApp, s: &Session) -> (Uuid, Vec<(String, String)>) {
    let r = app.get("/pipelines", &s.access_token).await;
    r.expect(200);
    let p = &r.body[0];
    let stages = p["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (s["name"].as_str().expect("name").to_string(), s["kind"].as_str().expect("kind").to_string())
        })
        .collect();
    (uuid(&p["id"]), stages)
}

async fn patch_deal(app: &TestApp, by: &Session, deal: Uuid, mut body: Value) {
    body["version"] = get_deal(app, by, deal).await["version"].clone();
    app.call("PATCH", &format!("/deals/{deal}"), tok(by), Some(body)).await.expect(200);
}

async fn set_visibility(app: &TestApp, owner: &Session, v: &str) {
    app.call("PATCH", "/workspace", tok(owner), Some(json!({"deal_visibility": v}))).await.expect(200);
}

/// Waits on `ws` for the next chat event of `chat`, skipping everything else.
async fn next_event_of(ws: &mut WsClient, chat: Uuid) -> Value {
    let chat = chat.to_string();
    ws.next_where(|f| f["type"] == "event" && f["chat_id"] == chat.as_str()).await
}

/// Every event frame up to (and including) the next one of `marker`: what a
/// socket got of other chats before a later event it must also get.
async fn events_until(ws: &mut WsClient, marker: Uuid) -> Vec<Value> {
    let marker = marker.to_string();
    let mut seen = Vec::new();
    loop {
        let f = ws.next_where(|f| f["type"] == "event").await;
        let done = f["chat_id"] == marker.as_str();
        seen.push(f);
        if done {
            return seen;
        }
    }
}

// ---- 10: chat roles -----------------------------------------------------------

async fn chat_admins_cannot_make_or_remove_owners(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let ann = app.invite_user(&owner, "member", "ann@acme.test").await;
    let dave = app.invite_user(&owner, "member", "dave@acme.test").await;
    let erin = app.invite_user(&owner, "member", "erin@acme.test").await;
    let fred = app.invite_user(&owner, "member", "fred@acme.test").await;
    // Ann owns the group; Dave is its admin, Fred a second admin.
    let grp = group(&app, &ann, "project", &[&owner]).await;
    for (who, role) in [(&dave, "admin"), (&fred, "admin")] {
        app.post(&format!("/chats/{grp}/members"), tok(&ann), json!({"user_id": who.user_id, "role": role}))
            .await
            .expect(204);
    }
    let add = |role: &'static str, who: Uuid| json!({"user_id": who, "role": role});
    // A chat admin gives no role at or above their own, and removes no owner or admin.
    for role in ["owner", "admin"] {
        app.post(&format!("/chats/{grp}/members"), tok(&dave), add(role, erin.user_id))
            .await
            .expect_error(403, "forbidden");
    }
    for target in [ann.user_id, fred.user_id] {
        app.call("DELETE", &format!("/chats/{grp}/members/{target}"), tok(&dave), None)
            .await
            .expect_error(403, "forbidden");
    }
    assert_eq!(
        member_roles(&app, &ann, grp).await,
        {
            let mut v = vec![
                (ann.user_id, "owner".to_string()),
                (owner.user_id, "member".to_string()),
                (dave.user_id, "admin".to_string()),
                (fred.user_id, "admin".to_string()),
            ];
            v.sort();
            v
        },
        "nothing changed"
    );
    // Plain members are still theirs to add and remove.
    app.post(&format!("/chats/{grp}/members"), tok(&dave), add("member", erin.user_id)).await.expect(204);
    app.call("DELETE", &format!("/chats/{grp}/members/{}", erin.user_id), tok(&dave), None).await.expect(204);
    // The chat's owner and a workspace admin in the chat act on anyone.
    app.post(&format!("/chats/{grp}/members"), tok(&ann), add("owner", erin.user_id)).await.expect(204);
    app.call("DELETE", &format!("/chats/{grp}/members/{}", fred.user_id), tok(&owner), None)
        .await
        .expect(204);
    // Dave, removed, can do nothing any more.
    app.call("DELETE", &format!("/chats/{grp}/members/{}", dave.user_id), tok(&ann), None).await.expect(204);
    app.post(&format!("/chats/{grp}/members"), tok(&dave), add("member", fred.user_id))
        .await
        .expect_error(404, "not_found");
    app.call("DELETE", &format!("/chats/{grp}/members/{}", owner.user_id), tok(&dave), None)
        .await
        .expect_error(404, "not_found");
}

// ---- 8: incoming hooks --------------------------------------------------------

async fn hook(app: &TestApp, by: &Session, body: Value) -> String {
    let r = app.post("/hooks", tok(by), body).await;
    r.expect(201);
    r.body["token"].as_str().expect("token").to_string()
}

async fn hooks_die_with_their_creators_rights(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let carl = app.invite_user(&owner, "member", "carl@acme.test").await;
    let dora = app.invite_user(&owner, "member", "dora@acme.test").await;
    let adam = app.invite_user(&owner, "admin", "adam@acme.test").await;
    // Carl owns two groups with a hook each; Dora one.
    let alerts = group(&app, &carl, "alerts", &[&owner]).await;
    let builds = group(&app, &carl, "builds", &[&owner]).await;
    let ops = group(&app, &dora, "ops", &[&owner]).await;
    let in_alerts = hook(&app, &carl, json!({"kind": "incoming", "name": "a", "chat_id": alerts})).await;
    let in_builds = hook(&app, &carl, json!({"kind": "incoming", "name": "b", "chat_id": builds})).await;
    let in_ops = hook(&app, &dora, json!({"kind": "incoming", "name": "o", "chat_id": ops})).await;
    let lead = hook(&app, &adam, json!({"kind": "lead", "name": "site"})).await;
    for token in [&in_alerts, &in_builds, &in_ops] {
        app.post(&format!("/hooks/in/{token}"), None, json!({"text": "ok"})).await.expect(201);
    }

    // Carl is taken out of "alerts": its hook stops; his other one still works.
    app.call("DELETE", &format!("/chats/{alerts}/members/{}", carl.user_id), tok(&owner), None)
        .await
        .expect(204);
    app.post(&format!("/hooks/in/{in_alerts}"), None, json!({"text": "after"}))
        .await
        .expect_error(404, "not_found");
    app.post(&format!("/hooks/in/{in_builds}"), None, json!({"text": "still"})).await.expect(201);
    // Dora is deactivated: her hook stops.
    app.post(&format!("/users/{}/deactivate", dora.user_id), tok(&owner), json!({})).await.expect(200);
    app.post(&format!("/hooks/in/{in_ops}"), None, json!({"text": "after"}))
        .await
        .expect_error(404, "not_found");
    let bodies: Vec<String> = messages(&app, &owner, alerts)
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(!bodies.iter().any(|b| b == "after"), "{bodies:?}");
    // Adam's lead hook takes leads while he is an admin, not after his demotion.
    app.post(&format!("/hooks/lead/{lead}"), None, json!({"phone": "+79161234567"})).await.expect(201);
    app.call("PATCH", &format!("/users/{}", adam.user_id), tok(&owner), Some(json!({"role": "member"})))
        .await
        .expect(200);
    app.post(&format!("/hooks/lead/{lead}"), None, json!({"phone": "+79161234568"}))
        .await
        .expect_error(404, "not_found");
}

// ---- 11: guests and the directory ---------------------------------------------

async fn complete_people(app: &TestApp, s: &Session, chat: Uuid, line: &str) -> Vec<Uuid> {
    let url = reqwest::Url::parse_with_params(
        &app.url("/commands/complete"),
        &[("chat_id", chat.to_string().as_str()), ("line", line)],
    )
    .expect("url");
    let r = app.http.get(url).bearer_auth(&s.access_token).send().await.expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("json");
    let mut ids: Vec<Uuid> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["kind"] == "person")
        .map(|i| {
            let insert = i["insert"].as_str().expect("insert");
            insert.trim_start_matches("<@").trim_end_matches("> ").parse().expect("person id")
        })
        .collect();
    ids.sort();
    ids
}

async fn online(app: &TestApp, s: &Session) -> Vec<Uuid> {
    let r = app.get("/presence", &s.access_token).await;
    r.expect(200);
    let mut ids: Vec<Uuid> =
        r.body.as_array().expect("presence").iter().map(|e| uuid(&e["user_id"])).collect();
    ids.sort();
    ids
}

async fn guests_see_only_their_chat_mates(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let mate = app.invite_user(&owner, "member", "mate@acme.test").await;
    let stranger = app.invite_user(&owner, "member", "stranger@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let grp = group(&app, &owner, "with guest", &[&mate, &guest]).await;
    let sorted = |mut v: Vec<Uuid>| {
        v.sort();
        v
    };

    // Completion: the guest's chat-mates and the guest, never the stranger.
    assert_eq!(
        complete_people(&app, &guest, grp, "/assign @").await,
        sorted(vec![owner.user_id, mate.user_id, guest.user_id])
    );
    assert_eq!(complete_people(&app, &guest, grp, "/assign @stranger").await, Vec::<Uuid>::new());
    assert_eq!(complete_people(&app, &owner, grp, "/assign @stranger").await, vec![stranger.user_id]);
    // Naming the stranger in a command finds nobody.
    let r = post(&app, &guest, grp, "/assign @stranger").await;
    assert_eq!(r.code(), "unknown_person", "{}", r.body);

    // Presence: both members online; the guest sees only the mate.
    let _mate_ws = app.ws(&mate.access_token, &[]).await;
    let _stranger_ws = app.ws(&stranger.access_token, &[]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !online(&app, &owner).await.contains(&stranger.user_id)
        || !online(&app, &owner).await.contains(&mate.user_id)
    {
        assert!(tokio::time::Instant::now() < deadline, "members never came online");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = online(&app, &guest).await;
    assert!(seen.contains(&mate.user_id) && !seen.contains(&stranger.user_id), "{seen:?}");
    // Following presence over the socket: the stranger is left out of the answer.
    let mut guest_ws = app.ws(&guest.access_token, &[]).await;
    guest_ws.send_json(json!({"type": "presence_sub", "user_ids": [stranger.user_id, mate.user_id]})).await;
    let answer =
        guest_ws.next_where(|f| f["type"] == "ephemeral" && f["event"]["type"] == "presence_changes").await;
    let entries: Vec<Uuid> =
        answer["event"]["entries"].as_array().expect("entries").iter().map(|e| uuid(&e["user_id"])).collect();
    assert_eq!(entries, vec![mate.user_id], "{answer}");
    // The directory itself stays closed to guests.
    app.get("/users", &guest.access_token).await.expect_error(403, "forbidden");

    // The guest leaves the only shared chat: the mate is a stranger now too.
    app.call("DELETE", &format!("/chats/{grp}/members/{}", guest.user_id), tok(&owner), None)
        .await
        .expect(204);
    let own = group(&app, &owner, "guest alone", &[&guest]).await;
    assert_eq!(
        complete_people(&app, &guest, own, "/assign @").await,
        sorted(vec![owner.user_id, guest.user_id])
    );
    assert!(!online(&app, &guest).await.contains(&mate.user_id));
}

// ---- 18: undo where the command was typed -------------------------------------

async fn command(app: &TestApp, s: &Session, chat: Uuid, line: &str) -> Value {
    let r = post(app, s, chat, line).await;
    r.expect(200);
    r.body
}

async fn undo_works_where_the_command_was_typed(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let max = app.invite_user(&owner, "member", "max@acme.test").await;
    let r = app.post("/deals", tok(&owner), json!({"title": "Насосы", "participants": [max.user_id]})).await;
    r.expect(201);
    let (deal, chat) = (uuid(&r.body["id"]), uuid(&r.body["chat_id"]));
    let (_, stages) = pipeline(&app, &owner).await;
    let before = get_deal(&app, &owner, deal).await;
    let people = |d: &Value| (d["owner_id"].clone(), d["participants"].clone());

    // `/assign @max` takes the owner off the deal and out of its chat...
    let run = command(&app, &owner, chat, "/assign @max").await;
    assert_eq!(get_deal(&app, &owner, deal).await["owner_id"], json!(max.user_id));
    assert!(!is_member(&app, &max, chat, owner.user_id).await);
    // ... and `/undo` typed in that chat puts back owner, participants and chat.
    command(&app, &owner, chat, "/undo").await;
    assert_eq!(people(&get_deal(&app, &owner, deal).await), people(&before));
    assert!(is_member(&app, &max, chat, owner.user_id).await);
    assert!(is_member(&app, &owner, chat, max.user_id).await, "max keeps the deal's chat");
    // The undo action on a result works the same.
    let run2 = command(&app, &owner, chat, "/assign @max").await;
    assert_ne!(run["id"], run2["id"]);
    let id = run2["id"].as_str().expect("id");
    app.post(&format!("/commands/{id}/undo"), tok(&owner), json!({})).await.expect(200);
    assert_eq!(people(&get_deal(&app, &owner, deal).await), people(&before));
    assert!(is_member(&app, &owner, chat, owner.user_id).await);

    // `/move won` archives the chat; `/undo` there reopens it and the deal.
    let won =
        stages.iter().find(|(_, kind)| kind == "won").map(|(name, _)| name.clone()).expect("a won stage");
    command(&app, &owner, chat, &format!("/move {won}")).await;
    let archived = app.get(&format!("/chats/{chat}"), &owner.access_token).await;
    assert!(archived.body["archived_at"].is_string(), "{}", archived.body);
    command(&app, &owner, chat, "/undo").await;
    let d = get_deal(&app, &owner, deal).await;
    assert_eq!(d["stage_id"], before["stage_id"]);
    assert!(d["closed_at"].is_null(), "{d}");
    let reopened = app.get(&format!("/chats/{chat}"), &owner.access_token).await;
    assert!(reopened.body["archived_at"].is_null(), "{}", reopened.body);
    let run3 = command(&app, &owner, chat, &format!("/move {won}")).await;
    let id = run3["id"].as_str().expect("id");
    app.post(&format!("/commands/{id}/undo"), tok(&owner), json!({})).await.expect(200);
    assert_eq!(get_deal(&app, &owner, deal).await["stage_id"], before["stage_id"]);

    // Someone taken out of a chat by others still undoes their own command
    // typed there, but posts nothing into it; elsewhere `/undo` is no way in.
    let grp = group(&app, &owner, "team", &[&max]).await;
    command(&app, &max, grp, "/task позвонить").await;
    app.call("DELETE", &format!("/chats/{grp}/members/{}", max.user_id), tok(&owner), None).await.expect(204);
    let seen = messages(&app, &owner, grp).await.len();
    let undone = command(&app, &max, grp, "/undo").await;
    assert!(undone["message"].is_null(), "{undone}");
    assert_eq!(messages(&app, &owner, grp).await.len(), seen);
    let other = group(&app, &owner, "not max's", &[]).await;
    post(&app, &max, other, "/undo").await.expect_error(404, "not_found");
    post(&app, &max, grp, "hello").await.expect_error(404, "not_found");
}

// ---- 7: record chats follow the right to read the record ----------------------

async fn open_record_chat(app: &TestApp, s: &Session, kind: &str, id: Uuid) -> Uuid {
    let r = app.post("/chats/entity", tok(s), json!({"kind": kind, "id": id})).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
    uuid(&r.body["id"])
}

async fn record_chats_follow_the_right_to_read(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let mia = app.invite_user(&owner, "member", "mia@acme.test").await;
    let ned = app.invite_user(&owner, "member", "ned@acme.test").await;
    let side = group(&app, &owner, "side", &[&mia, &ned]).await;

    // A task (no deal) for Mia and Ned, discussed in its chat.
    let r = app
        .post("/tasks", tok(&owner), json!({"title": "Отчёт", "assignees": [mia.user_id, ned.user_id]}))
        .await;
    r.expect(201);
    let task = uuid(&r.body["id"]);
    let task_chat = open_record_chat(&app, &owner, "task", task).await;
    assert!(is_member(&app, &owner, task_chat, ned.user_id).await);
    let mut ned_ws = app.ws(&ned.access_token, &[]).await;
    // Ned is unassigned: out of the chat at once, live and on REST.
    app.call(
        "PATCH",
        &format!("/tasks/{task}"),
        tok(&owner),
        Some(json!({"version": 1, "assignees": [mia.user_id]})),
    )
    .await
    .expect(200);
    let removed = next_event_of(&mut ned_ws, task_chat).await;
    assert_eq!(removed["change"]["type"], "member_removed", "{removed}");
    assert_eq!(removed["change"]["user_id"], json!(ned.user_id));
    post(&app, &owner, task_chat, "после").await.expect(201);
    post(&app, &owner, side, "marker").await.expect(201);
    let got = events_until(&mut ned_ws, side).await;
    assert!(!got.iter().any(|f| f["chat_id"] == task_chat.to_string().as_str()), "{got:?}");
    assert!(!my_chat_ids(&app, &ned).await.contains(&task_chat));
    app.get(&format!("/chats/{task_chat}/messages"), &ned.access_token).await.expect_error(404, "not_found");
    // Assigned again, Ned is back in.
    app.call(
        "PATCH",
        &format!("/tasks/{task}"),
        tok(&owner),
        Some(json!({"version": 2, "assignees": [ned.user_id]})),
    )
    .await
    .expect(200);
    assert!(is_member(&app, &owner, task_chat, ned.user_id).await);
    assert!(!is_member(&app, &owner, task_chat, mia.user_id).await, "mia was unassigned");

    // A deal nobody put Mia on: under "all" she joins its chat, and its task's.
    let r = app.post("/deals", tok(&owner), json!({"title": "Трубы"})).await;
    r.expect(201);
    let (deal, deal_chat) = (uuid(&r.body["id"]), uuid(&r.body["chat_id"]));
    let r = app
        .post("/tasks", tok(&owner), json!({"title": "Звонок", "entity_kind": "deal", "entity_id": deal}))
        .await;
    r.expect(201);
    let deal_task = uuid(&r.body["id"]);
    assert_eq!(open_record_chat(&app, &mia, "deal", deal).await, deal_chat);
    let deal_task_chat = open_record_chat(&app, &mia, "task", deal_task).await;
    assert!(my_chat_ids(&app, &mia).await.contains(&deal_chat));
    // The workspace switches to "own": Mia leaves both; the deal's title is gone from her list.
    let mut mia_ws = app.ws(&mia.access_token, &[]).await;
    set_visibility(&app, &owner, "own").await;
    let mut left = Vec::new();
    while left.len() < 2 {
        let f = mia_ws.next_where(|f| f["type"] == "event").await;
        if f["change"]["type"] == "member_removed" && f["change"]["user_id"] == json!(mia.user_id) {
            left.push(uuid(&f["chat_id"]));
        }
    }
    left.sort();
    let mut want = vec![deal_chat, deal_task_chat];
    want.sort();
    assert_eq!(left, want);
    let listed = app.get("/chats", &mia.access_token).await;
    assert!(!listed.body.to_string().contains("Трубы"), "{}", listed.body);
    app.get(&format!("/chats/{deal_chat}/messages"), &mia.access_token).await.expect_error(404, "not_found");
    app.get(&format!("/chats/{deal_task_chat}/messages"), &mia.access_token)
        .await
        .expect_error(404, "not_found");

    // Under "own", Ned is put on the deal, joins the task's chat, and is taken off again.
    patch_deal(&app, &owner, deal, json!({"participants": [ned.user_id]})).await;
    open_record_chat(&app, &ned, "task", deal_task).await;
    patch_deal(&app, &owner, deal, json!({"participants": []})).await;
    assert!(!is_member(&app, &owner, deal_task_chat, ned.user_id).await);
    assert!(!is_member(&app, &owner, deal_chat, ned.user_id).await);
    // An admin demoted to member under "own" leaves the chats of deals not theirs.
    let ada = app.invite_user(&owner, "admin", "ada@acme.test").await;
    open_record_chat(&app, &ada, "deal", deal).await;
    app.call("PATCH", &format!("/users/{}", ada.user_id), tok(&owner), Some(json!({"role": "member"})))
        .await
        .expect(200);
    assert!(!is_member(&app, &owner, deal_chat, ada.user_id).await);
}

// ---- 6: an open board socket follows the rights as they change ----------------

fn board_change_of(f: &Value, deal: Uuid) -> Option<String> {
    let change = &f["change"];
    let id = change["deal"]["id"].as_str().or(change["deal_id"].as_str())?;
    (id == deal.to_string()).then(|| change["type"].as_str().unwrap_or("").to_string())
}

async fn next_board_change(ws: &mut WsClient, deal: Uuid) -> String {
    loop {
        let f = ws.next_where(|f| f["type"] == "board_event").await;
        if let Some(kind) = board_change_of(&f, deal) {
            return kind;
        }
    }
}

async fn watch(app: &TestApp, s: &Session, pipeline: Uuid, cursor: Option<i64>) -> WsClient {
    let mut ws = app.ws(&s.access_token, &[]).await;
    let mut frame = json!({"type": "watch_board", "pipeline_id": pipeline});
    if let Some(c) = cursor {
        frame["cursor"] = json!(c);
    }
    ws.send_json(frame).await;
    ws.next_where(|f| f["type"] == "watching").await;
    ws
}

async fn rename(app: &TestApp, owner: &Session, deal: Uuid, title: &str) {
    patch_deal(app, owner, deal, json!({"title": title})).await;
}

async fn board_sockets_follow_rights_as_they_change(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let mia = app.invite_user(&owner, "member", "mia@acme.test").await;
    let ada = app.invite_user(&owner, "admin", "ada@acme.test").await;
    let ned = app.invite_user(&owner, "member", "ned@acme.test").await;
    let (pipeline, _) = pipeline(&app, &owner).await;
    let r = app.post("/deals", tok(&owner), json!({"title": "Чужая", "participants": [ned.user_id]})).await;
    r.expect(201);
    let deal = uuid(&r.body["id"]);

    // Under "all", Mia's open board shows the deal in full.
    let mut mia_ws = watch(&app, &mia, pipeline, None).await;
    rename(&app, &owner, deal, "Чужая 2").await;
    assert_eq!(next_board_change(&mut mia_ws, deal).await, "deal_upserted");
    // The workspace switches to "own": the same socket gets the hidden form.
    set_visibility(&app, &owner, "own").await;
    rename(&app, &owner, deal, "Чужая 3").await;
    assert_eq!(next_board_change(&mut mia_ws, deal).await, "deal_hidden");
    app.get(&format!("/deals/{deal}"), &mia.access_token).await.expect_error(404, "not_found");

    // Ada, an admin, sees it in full until she is demoted on an open socket.
    let mut ada_ws = watch(&app, &ada, pipeline, None).await;
    rename(&app, &owner, deal, "Чужая 4").await;
    assert_eq!(next_board_change(&mut ada_ws, deal).await, "deal_upserted");
    app.call("PATCH", &format!("/users/{}", ada.user_id), tok(&owner), Some(json!({"role": "member"})))
        .await
        .expect(200);
    rename(&app, &owner, deal, "Чужая 5").await;
    assert_eq!(next_board_change(&mut ada_ws, deal).await, "deal_hidden");

    // Ned is taken off the deal: a replay from 0 shows him none of its old cards.
    patch_deal(&app, &owner, deal, json!({"participants": []})).await;
    let mut ned_ws = app.ws(&ned.access_token, &[]).await;
    ned_ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline, "cursor": 0})).await;
    let last = ned_ws.next_where(|f| f["type"] == "watching").await["last_seq"].as_i64().expect("last_seq");
    let mut kinds = Vec::new();
    let mut seq = 0;
    while seq < last {
        let f = ned_ws.next_where(|f| f["type"] == "board_event").await;
        seq = f["seq"].as_i64().expect("seq");
        kinds.extend(board_change_of(&f, deal));
    }
    assert_eq!(kinds.len(), 6, "created, four renames, taken off: {kinds:?}");
    assert!(kinds.iter().all(|k| k == "deal_hidden"), "{kinds:?}");
}

on_every_backend!(
    chat_admins_cannot_make_or_remove_owners,
    hooks_die_with_their_creators_rights,
    guests_see_only_their_chat_mates,
    undo_works_where_the_command_was_typed,
    record_chats_follow_the_right_to_read,
    board_sockets_follow_rights_as_they_change,
);
