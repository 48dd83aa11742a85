//! A local OpenAI-compatible chat endpoint (`POST /v1/chat/completions`)
//! answering in the real response shape, told per test how to behave:
//! a normal completion, a slow one, an HTTP error. Every request body is kept.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub enum Behaviour {
    /// A completion whose text is this JSON object of subject and paragraph.
    Reply { subject: String, paragraph: String },
    /// Wait this long, then reply as `Reply` would.
    Slow(Duration, Box<Behaviour>),
    /// An OpenAI-style error with this status.
    Status(u16),
}

impl Behaviour {
    pub fn reply(subject: &str, paragraph: &str) -> Behaviour {
        Behaviour::Reply {
            subject: subject.into(),
            paragraph: paragraph.into(),
        }
    }
}

#[derive(Clone)]
pub struct FakeOpenAi {
    pub base: String,
    behaviour: Arc<Mutex<Behaviour>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl FakeOpenAi {
    pub async fn start(behaviour: Behaviour) -> FakeOpenAi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeOpenAi {
            base: format!("http://{}/v1", listener.local_addr().unwrap()),
            behaviour: Arc::new(Mutex::new(behaviour)),
            requests: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    /// The request bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    /// `OPENAI_*` settings that call this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OPENAI_API_KEY", "sk-test-not-a-real-key".into()),
            ("OPENAI_BASE_URL", self.base.clone()),
            ("OPENAI_MODEL", "fake-model-1".into()),
        ]
    }
}

async fn completions(State(fake): State<FakeOpenAi>, Json(body): Json<Value>) -> Response {
    fake.requests.lock().unwrap().push(body.clone());
    let behaviour = fake.behaviour.lock().unwrap().clone();
    answer(behaviour, &body).await
}

async fn answer(behaviour: Behaviour, body: &Value) -> Response {
    match behaviour {
        Behaviour::Reply { subject, paragraph } => {
            let content = json!({ "subject": subject, "paragraph": paragraph }).to_string();
            Json(json!({
                "id": "chatcmpl-test-1",
                "object": "chat.completion",
                "created": 1_764_000_000,
                "model": body["model"],
                "choices": [{
                    "index": 0,
                    "message": { "role": "assistant", "content": content, "refusal": null },
                    "logprobs": null,
                    "finish_reason": "stop"
                }],
                "usage": { "prompt_tokens": 250, "completion_tokens": 60, "total_tokens": 310 }
            }))
            .into_response()
        }
        Behaviour::Slow(wait, then) => {
            tokio::time::sleep(wait).await;
            Box::pin(answer(*then, body)).await
        }
        Behaviour::Status(code) => (
            StatusCode::from_u16(code).unwrap(),
            Json(json!({
                "error": {
                    "message": "The server had an error while processing your request.",
                    "type": "server_error",
                    "param": null,
                    "code": null
                }
            })),
        )
            .into_response(),
    }
}
