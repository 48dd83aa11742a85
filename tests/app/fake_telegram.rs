//! A local Bot API server, reached through `TELEGRAM_API_URL`: it serves
//! `getUpdates` from a queue of updates (shaped as Telegram sends them, from
//! `../shared/fixtures/telegram`), records every call, answers in the Bot
//! API's own response shapes, and can be told to fail the next send with a
//! 429 or a 403.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
pub const BOT_ID: i64 = 123456789;
pub const BOT_USERNAME: &str = "pricewatch_test_bot";

/// One Bot API call as the bot made it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method, lowercased (`sendmessage`); teloxide sends `SendMessage`.
    pub method: String,
    /// JSON body, or multipart fields as JSON (files as `{"file_name", "bytes", "png"}`).
    pub body: Value,
}

impl Call {
    pub fn chat_id(&self) -> i64 {
        match &self.body["chat_id"] {
            Value::Number(n) => n.as_i64().unwrap_or_default(),
            Value::String(s) => s.parse().unwrap_or_default(),
            _ => 0,
        }
    }

    /// The text a person sees: the message text or the photo caption.
    pub fn text(&self) -> String {
        self.body["text"]
            .as_str()
            .or(self.body["caption"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// Every button as (label, callback data or url).
    pub fn buttons(&self) -> Vec<(String, String)> {
        let markup = match &self.body["reply_markup"] {
            Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
            v => v.clone(),
        };
        markup["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .map(|b| {
                let target = b["callback_data"]
                    .as_str()
                    .or(b["url"].as_str())
                    .unwrap_or_default();
                (
                    b["text"].as_str().unwrap_or_default().to_string(),
                    target.to_string(),
                )
            })
            .collect()
    }

    pub fn button(&self, label_starts: &str) -> Option<String> {
        self.buttons()
            .into_iter()
            .find(|(l, _)| l.starts_with(label_starts))
            .map(|(_, d)| d)
    }
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Value>,
    next_update_id: i64,
    calls: Vec<Call>,
    /// Errors to answer the next sends with (`retry_after` seconds, or a 403).
    failures: VecDeque<Failure>,
    admins: HashSet<(i64, i64)>,
    /// Public channels by @username.
    channels: std::collections::HashMap<String, i64>,
    next_message_id: i64,
}

#[derive(Debug, Clone)]
pub enum Failure {
    TooManyRequests(u64),
    /// HTTP 500, as Telegram answers when it has a bad moment.
    ServerError,
    Blocked,
    /// The group became a supergroup with this id.
    Migrated(i64),
}

#[derive(Clone)]
pub struct FakeTelegram {
    inner: Arc<Mutex<Inner>>,
    wake: Arc<tokio::sync::Notify>,
    pub addr: SocketAddr,
    /// Sends are recorded at once and answered after this long (see `slow_sends`).
    send_delay: Arc<Mutex<Duration>>,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        Self::start_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// The fake on a listener the test chose (to come up at a known address).
    pub fn start_on(listener: tokio::net::TcpListener) -> FakeTelegram {
        let fake = FakeTelegram {
            inner: Arc::new(Mutex::new(Inner {
                next_update_id: 1000,
                next_message_id: 500,
                ..Inner::default()
            })),
            wake: Arc::new(tokio::sync::Notify::new()),
            addr: listener.local_addr().unwrap(),
            send_delay: Arc::default(),
            in_flight: Arc::default(),
        };
        let app = Router::new()
            .route("/{bot}/{method}", post(method))
            .layer(axum::middleware::from_fn_with_state(
                fake.clone(),
                delay_sends,
            ))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// The value for `TELEGRAM_API_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues an update for `getUpdates` (its `update_id` renumbered so
    /// offsets keep working).
    pub fn push(&self, mut update: Value) {
        let mut inner = self.inner.lock().unwrap();
        inner.next_update_id += 1;
        update["update_id"] = json!(inner.next_update_id);
        inner.queue.push_back(update);
        drop(inner);
        self.wake.notify_waiters();
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Calls of one method (case-insensitive), in order.
    pub fn sent(&self, method: &str) -> Vec<Call> {
        let m = method.to_ascii_lowercase();
        self.calls().into_iter().filter(|c| c.method == m).collect()
    }

    /// Messages and photos sent to `chat`, in order.
    pub fn to_chat(&self, chat: i64) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| {
                matches!(c.method.as_str(), "sendmessage" | "sendphoto") && c.chat_id() == chat
            })
            .collect()
    }

    /// From now on every sendMessage/sendPhoto is recorded (delivered) at
    /// once but answered only after `d`, like a slow network: a client
    /// stopped in between has sent a message it has not heard back about.
    pub fn slow_sends(&self, d: Duration) {
        *self.send_delay.lock().unwrap() = d;
    }

    /// Sends received and not answered yet.
    pub fn sends_in_flight(&self) -> usize {
        self.in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn fail_next(&self, f: Failure) {
        self.inner.lock().unwrap().failures.push_back(f);
    }

    /// A public channel `@name` with this id.
    pub fn add_channel(&self, name: &str, id: i64) {
        self.inner
            .lock()
            .unwrap()
            .channels
            .insert(name.trim_start_matches('@').to_string(), id);
    }

    pub fn make_admin(&self, chat: i64, user: i64) {
        self.inner.lock().unwrap().admins.insert((chat, user));
    }

    /// Waits until `n` messages or photos reached `chat`; returns them all.
    pub async fn wait_for(&self, chat: i64, n: usize) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.to_chat(chat);
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chat {chat} got {} of {n} messages: {:#?}",
                got.len(),
                got.iter().map(|c| c.text()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a call of `method` matching `pred` was made.
    pub async fn wait_call(&self, method: &str, pred: impl Fn(&Call) -> bool) -> Call {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(c) = self.sent(method).into_iter().find(|c| pred(c)) {
                return c;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no matching {method}: {:#?}",
                self.calls()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Holds back the answer to a send by the configured delay.
async fn delay_sends(
    State(fake): State<FakeTelegram>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    struct Counted(Arc<std::sync::atomic::AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let path = req.uri().path().to_ascii_lowercase();
    let delay = *fake.send_delay.lock().unwrap();
    if delay.is_zero() || !(path.ends_with("/sendmessage") || path.ends_with("/sendphoto")) {
        return next.run(req).await;
    }
    fake.in_flight
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _counted = Counted(fake.in_flight.clone());
    let resp = next.run(req).await;
    tokio::time::sleep(delay).await;
    resp
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn chat_of(id: i64) -> Value {
    if id > 0 {
        json!({"id": id, "first_name": "Test", "type": "private"})
    } else {
        json!({"id": id, "title": "Test group", "type": "supergroup"})
    }
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "pricewatch", "username": BOT_USERNAME})
}

async fn method(
    State(fake): State<FakeTelegram>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
        )
            .into_response();
    }
    let method = method.to_ascii_lowercase();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = if content_type.starts_with("multipart/form-data") {
        multipart(&content_type, &body)
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    if method == "getupdates" {
        return get_updates(&fake, &body).await;
    }
    let call = Call {
        method: method.clone(),
        body: body.clone(),
    };
    let sends = matches!(method.as_str(), "sendmessage" | "sendphoto");
    let mut inner = fake.inner.lock().unwrap();
    if sends && let Some(f) = inner.failures.pop_front() {
        inner.calls.push(Call {
            method: format!("{method}!refused"),
            body,
        });
        return match f {
            Failure::TooManyRequests(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"ok": false, "error_code": 429,
                    "description": format!("Too Many Requests: retry after {secs}"),
                    "parameters": {"retry_after": secs}})),
            )
                .into_response(),
            Failure::Migrated(to) => (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"ok": false, "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": to}})),
            )
                .into_response(),
            Failure::ServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"ok": false, "error_code": 500,
                    "description": "Internal Server Error"})),
            )
                .into_response(),
            Failure::Blocked => (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"ok": false, "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user"})),
            )
                .into_response(),
        };
    }
    inner.calls.push(call);
    let now = chrono::Utc::now().timestamp();
    match method.as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "pricewatch",
            "username": BOT_USERNAME, "can_join_groups": true,
            "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false
        })),
        "sendmessage" | "sendphoto" | "editmessagetext" | "editmessagereplymarkup" => {
            inner.next_message_id += 1;
            let chat = match &body["chat_id"] {
                Value::Number(n) => n.as_i64().unwrap_or_default(),
                Value::String(s) => s.parse().unwrap_or_default(),
                _ => 0,
            };
            let mut m = json!({
                "message_id": body["message_id"].as_i64().unwrap_or(inner.next_message_id),
                "from": bot_user(),
                "chat": chat_of(chat),
                "date": now,
            });
            if method == "sendphoto" {
                m["photo"] = json!([{"file_id": "AgACAgQAAxkBAAIBOWZ", "file_unique_id": "AQADabwx",
                    "file_size": 2077, "width": 90, "height": 90}]);
                if let Some(c) = body["caption"].as_str() {
                    m["caption"] = json!(c);
                }
            } else if let Some(t) = body["text"].as_str() {
                m["text"] = json!(t);
            }
            ok(m)
        }
        "getchat" => {
            let name = body["chat_id"].as_str().unwrap_or_default().trim_start_matches('@');
            match inner.channels.get(name) {
                Some(id) => ok(json!({
                    "id": id, "type": "channel", "title": "Deals", "username": name,
                    "accent_color_id": 0, "max_reaction_count": 11,
                    "accepted_gift_types": {"unlimited_gifts": false, "limited_gifts": false,
                        "unique_gifts": false, "premium_subscription": false}
                })),
                None => (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"})),
                )
                    .into_response(),
            }
        }
        "getchatmember" => {
            let chat = match &body["chat_id"] {
                Value::String(name) => inner
                    .channels
                    .get(name.trim_start_matches('@'))
                    .copied()
                    .unwrap_or_default(),
                v => v.as_i64().unwrap_or_default(),
            };
            let user = body["user_id"].as_i64().unwrap_or_default();
            let who = json!({"id": user, "is_bot": false, "first_name": "Member"});
            if inner.admins.contains(&(chat, user)) {
                ok(json!({
                    "user": who, "status": "administrator", "can_be_edited": false,
                    "can_manage_chat": true, "can_change_info": true,
                    "can_delete_messages": true, "can_invite_users": true,
                    "can_restrict_members": true, "can_pin_messages": true,
                    "can_promote_members": false, "can_manage_video_chats": true,
                    "is_anonymous": false, "can_manage_voice_chats": true
                }))
            } else {
                ok(json!({"user": who, "status": "member"}))
            }
        }
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false,
            "pending_update_count": 0})),
        "setmycommands" | "deletewebhook" | "setwebhook" | "answercallbackquery" => ok(json!(true)),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})),
        )
            .into_response(),
    }
}

async fn get_updates(fake: &FakeTelegram, body: &Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let timeout = body["timeout"].as_u64().unwrap_or(0).min(2);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = fake.wake.notified();
        {
            let mut inner = fake.inner.lock().unwrap();
            inner
                .queue
                .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            if !inner.queue.is_empty() {
                let updates: Vec<Value> = inner.queue.iter().cloned().collect();
                return ok(Value::Array(updates));
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return ok(json!([]));
        }
    }
}

/// The fields of a `multipart/form-data` body; file parts become a summary.
fn multipart(content_type: &str, body: &[u8]) -> Value {
    let mut fields = serde_json::Map::new();
    for part in crate::multipart::parts(content_type, body) {
        let v = match &part.file_name {
            Some(_) => part.summary(),
            None => {
                let s = String::from_utf8_lossy(&part.value).to_string();
                match s.parse::<i64>() {
                    Ok(n) if part.name == "chat_id" => json!(n),
                    _ => json!(s),
                }
            }
        };
        fields.insert(part.name, v);
    }
    // `"photo": "attach://<part>"` names the part that holds the file.
    let attached: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(k, v)| {
            let part = v.as_str()?.strip_prefix("attach://")?;
            Some((k.clone(), part.to_string()))
        })
        .collect();
    for (field, part) in attached {
        if let Some(file) = fields.remove(&part) {
            fields.insert(field, file);
        }
    }
    Value::Object(fields)
}

/// A fixture update from `../shared/fixtures/telegram`.
pub fn fixture(name: &str) -> Option<Value> {
    let dir = pricewatch::test_support::fixtures_dir()?.join("telegram");
    let raw = std::fs::read_to_string(dir.join(name)).unwrap();
    Some(serde_json::from_str(&raw).unwrap())
}

/// A private-chat text message from `user` (the shape of
/// `private_text_message.json`, with the text and sender changed).
pub fn private_text(user: i64, language: &str, text: &str) -> Option<Value> {
    let mut u = fixture("private_text_message.json")?;
    let m = &mut u["message"];
    m["from"]["id"] = json!(user);
    m["from"]["language_code"] = json!(language);
    m["chat"]["id"] = json!(user);
    m["text"] = json!(text);
    m["date"] = json!(chrono::Utc::now().timestamp());
    if text.starts_with('/') {
        let len = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .encode_utf16()
            .count();
        m["entities"] = json!([{"offset": 0, "length": len, "type": "bot_command"}]);
    }
    Some(u)
}

/// A button tap on a message the bot sent (the shape of `callback_query.json`).
pub fn tap(user: i64, language: &str, chat: i64, message: &Call, data: &str) -> Option<Value> {
    let mut u = fixture("callback_query.json")?;
    let q = &mut u["callback_query"];
    q["id"] = json!(format!("{}", rand_id()));
    q["from"]["id"] = json!(user);
    q["from"]["language_code"] = json!(language);
    q["message"]["chat"] = chat_of(chat);
    q["message"]["from"] = bot_user();
    q["message"]["text"] = json!(message.text());
    let rows: Vec<Vec<Value>> = message
        .buttons()
        .into_iter()
        .map(|(label, d)| {
            if d.starts_with("http") {
                vec![json!({"text": label, "url": d})]
            } else {
                vec![json!({"text": label, "callback_data": d})]
            }
        })
        .collect();
    q["message"]["reply_markup"] = json!({"inline_keyboard": rows});
    q["data"] = json!(data);
    Some(u)
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(666728699048485871);
    N.fetch_add(1, Ordering::Relaxed)
}
