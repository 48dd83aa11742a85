//! The few Discord REST calls pricewatch makes, over our own HTTP client so
//! that `DISCORD_API_URL` (a proxy that shares rate limits, or the tests'
//! fake) needs nothing special, and a 429's `retry_after` reaches the outbox.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::notify::SendError;

pub const DEFAULT_BASE: &str = "https://discord.com/api/v10";

#[derive(Clone)]
pub struct Rest {
    client: reqwest::Client,
    base: String,
    token: SecretString,
    pub application_id: u64,
}

/// A file to upload with a message (the chart).
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Rest {
    pub fn new(base: Option<&url::Url>, token: SecretString, application_id: u64) -> Self {
        crate::amazon::fetch::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent("DiscordBot (https://github.com/pricewatch/pricewatch, 0.1)")
            .build()
            .unwrap_or_default();
        let base = base
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_else(|| DEFAULT_BASE.to_string());
        Rest {
            client,
            base,
            token,
            application_id,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        files: &[File],
        auth: bool,
    ) -> Result<Value, SendError> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if auth {
            req = req.header(
                "Authorization",
                format!("Bot {}", self.token.expose_secret()),
            );
        }
        req = match (body, files.is_empty()) {
            (Some(b), true) => req.json(b),
            (body, false) => {
                let mut form = reqwest::multipart::Form::new();
                if let Some(b) = body {
                    form = form.text("payload_json", b.to_string());
                }
                for (i, f) in files.iter().enumerate() {
                    let part = reqwest::multipart::Part::bytes(f.bytes.clone())
                        .file_name(f.name.clone())
                        .mime_str("image/png")
                        .map_err(|e| SendError::Permanent {
                            reason: e.to_string(),
                        })?;
                    form = form.part(format!("files[{i}]"), part);
                }
                req.multipart(form)
            }
            (None, true) => req,
        };
        let resp = req.send().await.map_err(|e| SendError::Transient {
            reason: format!("Discord unreachable: {}", e.without_url()),
            retry_after: None,
        })?;
        let status = resp.status();
        let header_retry = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<f64>().ok());
        let text = resp.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let code = value["code"].as_i64().unwrap_or_default();
        let message = value["message"].as_str().unwrap_or("").to_string();
        let reason = format!("Discord {}: {code} {message}", status.as_u16());
        Err(match status.as_u16() {
            429 => SendError::Transient {
                reason,
                retry_after: value["retry_after"]
                    .as_f64()
                    .or(header_retry)
                    .map(|s| Duration::from_secs_f64(s.clamp(0.0, 3600.0))),
            },
            // Cannot send messages to this user (DMs closed, blocked), missing
            // access to a channel, unknown channel or user.
            403 | 404 => SendError::DestinationGone { reason },
            s if s >= 500 => SendError::Transient {
                reason,
                retry_after: None,
            },
            _ => SendError::Permanent { reason },
        })
    }

    /// The DM channel with a user (`POST /users/@me/channels`).
    pub async fn dm_channel(&self, user_id: &str) -> Result<String, SendError> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/users/@me/channels",
                Some(&json!({ "recipient_id": user_id })),
                &[],
                true,
            )
            .await?;
        v["id"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| SendError::Transient {
                reason: "Discord returned no DM channel id".into(),
                retry_after: None,
            })
    }

    /// Posts a message in a channel.
    pub async fn post(&self, channel: &str, body: &Value, files: &[File]) -> Result<(), SendError> {
        self.call(
            reqwest::Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(body),
            files,
            true,
        )
        .await
        .map(|_| ())
    }

    /// Replaces the deferred answer to an interaction.
    pub async fn edit_original(
        &self,
        token: &str,
        body: &Value,
        files: &[File],
    ) -> Result<(), SendError> {
        self.call(
            reqwest::Method::PATCH,
            &format!(
                "/webhooks/{}/{token}/messages/@original",
                self.application_id
            ),
            Some(body),
            files,
            false,
        )
        .await
        .map(|_| ())
    }

    /// Replaces the application's commands, globally or in one guild.
    pub async fn put_commands(
        &self,
        guild: Option<u64>,
        commands: &Value,
    ) -> Result<Value, SendError> {
        let path = match guild {
            Some(g) => format!("/applications/{}/guilds/{g}/commands", self.application_id),
            None => format!("/applications/{}/commands", self.application_id),
        };
        self.call(reqwest::Method::PUT, &path, Some(commands), &[], true)
            .await
    }
}
