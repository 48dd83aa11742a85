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

/// Ready when the database (and Redis, in scaled mode) answer and every
/// worker loop of this process runs; the body says which part is not.
async fn readyz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let probe = std::time::Duration::from_secs(2);
    let db_ok = matches!(tokio::time::timeout(probe, app.db.ping()).await, Ok(Ok(())));
    let redis_ok = crate::jobs::redis_answers(&app).await.is_ok();
    let down = app.loops.down_now();
    let workers = if down.is_empty() {
        "ok".to_string()
    } else {
        let list: Vec<String> = down.iter().map(|(n, why)| format!("{n} ({why})")).collect();
        format!("down: {}", list.join("; "))
    };
    let body = format!(
        "database: {}\nredis: {}\nworkers: {workers}\n",
        if db_ok { "ok" } else { "unreachable" },
        match (&app.redis, redis_ok) {
            (None, _) => "not used",
            (Some(_), true) => "ok",
            (Some(_), false) => "unreachable",
        }
    );
    let status = if db_ok && redis_ok && down.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    let (due, pending) = queue_depths(&app, Utc::now()).await;
    let mut body = app
        .metrics
        .render(&[("check_product", due), ("deliver", pending)]);
    let dead = crate::jobs::sweep::dead_alerts(&app).await;
    body.push_str(&crate::metrics::render_workers(&app.loops.snapshot(), dead));
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
