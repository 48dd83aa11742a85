//! The HTTP server: health, readiness and metrics (webhooks and the Discord
//! interactions endpoint join it with the bots).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;

use crate::app::App;
use crate::jobs::sweep::queue_depths;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::email::http::routes())
        .with_state(app)
}

/// Ready when the database (and Redis, in scaled mode) answer.
async fn readyz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let db_ok = app.db.ping().await.is_ok();
    let redis_ok = match &app.redis {
        None => true,
        Some(conn) => {
            let mut c = conn.clone();
            redis::cmd("PING")
                .query_async::<String>(&mut c)
                .await
                .is_ok()
        }
    };
    let body = format!(
        "database: {}\nredis: {}\n",
        if db_ok { "ok" } else { "unreachable" },
        match (&app.redis, redis_ok) {
            (None, _) => "not used",
            (Some(_), true) => "ok",
            (Some(_), false) => "unreachable",
        }
    );
    let status = if db_ok && redis_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let (due, pending) = queue_depths(&app, Utc::now()).await;
    let body = app
        .metrics
        .render(&[("check_product", due), ("deliver", pending)]);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

/// Serves until `shutdown` resolves; `extra` adds routes (the Telegram
/// webhook).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    extra: Option<Router>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut routes = router(app);
    if let Some(extra) = extra {
        routes = routes.merge(extra);
    }
    axum::serve(listener, routes)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| anyhow::anyhow!("HTTP server stopped: {e}"))
}
