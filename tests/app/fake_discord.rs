//! A local Discord REST API (`DISCORD_API_URL=http://127.0.0.1:PORT/api/v10`)
//! that records every call and answers in Discord's shapes, and the signing
//! side of the interactions endpoint: payloads from
//! `../shared/fixtures/discord`, signed with a test key the way Discord signs.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

pub const BOT_TOKEN: &str = "MTM2MDg3MTcyODc3MDg0NjczMw.GhJk1a.fake-bot-token-for-tests";
pub const APPLICATION_ID: &str = "1360871728770846733";

pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

pub fn public_key_hex() -> String {
    signing_key()
        .verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `(timestamp, signature)` headers for `body`, as Discord sends them.
pub fn sign(body: &[u8], timestamp: i64) -> (String, String) {
    let ts = timestamp.to_string();
    let mut msg = ts.as_bytes().to_vec();
    msg.extend_from_slice(body);
    let sig = signing_key().sign(&msg);
    let hex: String = sig.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    (ts, hex)
}

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    /// JSON body (`payload_json` for multipart), with `"files"` listing uploads.
    pub body: Value,
}

impl Call {
    pub fn embed(&self) -> &Value {
        &self.body["embeds"][0]
    }

    pub fn custom_ids(&self) -> Vec<(String, String)> {
        self.body["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .filter_map(|b| {
                Some((
                    b["label"].as_str()?.to_string(),
                    b["custom_id"].as_str().or(b["url"].as_str())?.to_string(),
                ))
            })
            .collect()
    }

    pub fn button(&self, label_starts: &str) -> Option<String> {
        self.custom_ids()
            .into_iter()
            .find(|(l, _)| l.starts_with(label_starts))
            .map(|(_, id)| id)
    }
}

#[derive(Debug, Clone)]
pub enum Failure {
    RateLimited(f64),
    DmsClosed,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    failures: VecDeque<Failure>,
    next_id: u64,
}

#[derive(Clone)]
pub struct FakeDiscord {
    inner: Arc<Mutex<Inner>>,
    pub addr: SocketAddr,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeDiscord {
            inner: Arc::new(Mutex::new(Inner {
                next_id: 1_419_000_000_000_000_000,
                ..Inner::default()
            })),
            addr: listener.local_addr().unwrap(),
        };
        let app = Router::new()
            .route("/api/v10/{*rest}", any(handle))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn url(&self) -> String {
        format!("http://{}/api/v10", self.addr)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn fail_next_post(&self, f: Failure) {
        self.inner.lock().unwrap().failures.push_back(f);
    }

    /// Waits until `n` calls match; returns the matching calls.
    pub async fn wait(&self, n: usize, pred: impl Fn(&Call) -> bool) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got: Vec<Call> = self.calls().into_iter().filter(|c| pred(c)).collect();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {n} matching calls: {:#?}",
                got.len(),
                self.calls()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The deferred answer's edit for the interaction with this token.
    pub async fn edited(&self, token: &str) -> Call {
        let path = format!("/webhooks/{APPLICATION_ID}/{token}/messages/@original");
        self.wait(1, |c| c.method == "PATCH" && c.path == path)
            .await
            .remove(0)
    }
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Value {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.starts_with("multipart/form-data") {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    let mut payload = Value::Null;
    let mut files = Vec::new();
    for part in crate::multipart::parts(ct, body) {
        if part.name == "payload_json" {
            payload = serde_json::from_slice(&part.value).unwrap_or(Value::Null);
        } else if part.file_name.is_some() {
            files.push(part.summary());
        }
    }
    if !files.is_empty() {
        payload["files"] = Value::Array(files);
    }
    payload
}

async fn handle(
    State(fake): State<FakeDiscord>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches("/api/v10").to_string();
    let call = Call {
        method: method.to_string(),
        path: path.clone(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(String::from),
        body: parse_body(&headers, &body),
    };
    let mut inner = fake.inner.lock().unwrap();
    let posting = method == Method::POST && path.ends_with("/messages");
    if posting && let Some(f) = inner.failures.pop_front() {
        inner.calls.push(Call {
            method: "POST!refused".into(),
            ..call
        });
        return match f {
            Failure::RateLimited(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", format!("{}", secs.ceil()))],
                axum::Json(json!({"message": "You are being rate limited.",
                    "retry_after": secs, "global": false})),
            )
                .into_response(),
            Failure::DmsClosed => (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"message": "Cannot send messages to this user", "code": 50007})),
            )
                .into_response(),
        };
    }
    inner.calls.push(call.clone());
    inner.next_id += 1;
    let id = inner.next_id.to_string();
    let now = chrono::Utc::now().to_rfc3339();
    let bot = json!({"id": APPLICATION_ID, "username": "pricewatch", "discriminator": "0",
        "global_name": null, "avatar": null, "bot": true, "public_flags": 0});
    if path == "/users/@me/channels" {
        let recipient = call.body["recipient_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        return axum::Json(json!({
            "id": format!("9{}", &recipient[..recipient.len().min(17)]),
            "type": 1, "last_message_id": null, "flags": 0,
            "recipients": [{"id": recipient, "username": "someone", "discriminator": "0",
                "global_name": null, "avatar": null, "public_flags": 0}],
        }))
        .into_response();
    }
    if path.ends_with("/commands") && method == Method::PUT {
        let cmds: Vec<Value> = call
            .body
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                c["id"] = json!(format!("14095147384796653{i:02}"));
                c["application_id"] = json!(APPLICATION_ID);
                c["version"] = json!("1");
                c
            })
            .collect();
        return axum::Json(Value::Array(cmds)).into_response();
    }
    let channel = path.split('/').nth(2).unwrap_or_default().to_string();
    axum::Json(json!({
        "id": id, "channel_id": channel, "type": 0, "content": call.body["content"],
        "author": bot, "timestamp": now, "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": call.body["embeds"], "components": call.body["components"], "pinned": false,
        "flags": 0,
    }))
    .into_response()
}

/// A fixture interaction from `../shared/fixtures/discord`.
pub fn fixture(name: &str) -> Option<Value> {
    let dir = pricewatch::test_support::fixtures_dir()?.join("discord");
    let raw = std::fs::read_to_string(dir.join(name)).unwrap();
    Some(serde_json::from_str(&raw).unwrap())
}
