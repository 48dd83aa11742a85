//! The long-running roles: `run` (everything in one process) and `worker`
//! (queues only, to scale out).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use crate::app::{App, Options};
use crate::config::Config;
use crate::jobs;

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing in-flight jobs");
}

/// A shutdown that several tasks can await: set on SIGTERM or Ctrl-C, or by
/// the caller when the process cannot go on.
fn shared_shutdown() -> (
    tokio::sync::watch::Sender<bool>,
    tokio::sync::watch::Receiver<bool>,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let signal = tx.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = signal.send(true);
    });
    (tx, rx)
}

async fn wait(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// `pricewatch run`: migrate (unless told not to), HTTP, the sweep, workers.
pub async fn run(config: Config, migrate: bool) -> anyhow::Result<()> {
    if migrate {
        crate::store::migrate(&config).await?;
    }
    let port = config.port;
    let app = App::build(config, Options::default()).await?;
    let (stop_all, stop) = shared_shutdown();
    let addr = SocketAddr::from(([0, 0, 0, 0], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("while listening on port {port} (PORT)"))?;
    tracing::info!(port, mode = ?crate::app::mode(&app.config).ok(), "pricewatch is running");
    let telegram = match app.config.telegram {
        Some(_) => Some(crate::bots::telegram::start(app.clone(), stop.clone()).await?),
        None => {
            tracing::info!("TELEGRAM_BOT_TOKEN is not set: no Telegram bot");
            None
        }
    };
    let (mut routes, bot) = match telegram {
        Some(s) => (s.router, Some(s.task)),
        None => (None, None),
    };
    if let Some(discord) = crate::bots::discord::router(app.clone()) {
        tracing::info!("Discord interactions endpoint at /discord/interactions");
        routes = Some(match routes {
            Some(r) => r.merge(discord),
            None => discord,
        });
    }
    let http = tokio::spawn(crate::http::serve(
        app.clone(),
        listener,
        routes,
        wait(stop.clone()),
    ));
    // The sweep runs with the workers, under the same supervisor.
    let workers = jobs::run_loops(app.clone(), &worker_name("run"), wait(stop.clone()), true).await;
    // A worker loop that gave up stops HTTP and the bots too: exit non-zero.
    let _ = stop_all.send(true);
    let _ = http.await;
    if let Some(bot) = bot {
        let _ = bot.await;
    }
    workers
}

/// `pricewatch worker`: only the queues.
pub async fn worker(config: Config) -> anyhow::Result<()> {
    let app: Arc<App> = App::build(config, Options::default()).await?;
    tracing::info!("worker started");
    jobs::run_workers(app, &worker_name("worker"), shutdown_signal()).await
}

fn worker_name(role: &str) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
    format!("{role}-{host}-{}", std::process::id())
}
