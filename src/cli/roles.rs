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

/// Everything about the settings that can be checked without the network,
/// before anything touches the database: the mode, the sender address, the
/// fetch proxy.
fn check_mode(config: &Config) -> anyhow::Result<crate::app::Mode> {
    let mode = crate::app::mode(config).map_err(anyhow::Error::msg)?;
    if let Some(email) = &config.email {
        crate::email::smtp::Mailer::new(email)?;
    }
    crate::amazon::fetch::Fetcher::new(&config.fetch)?;
    Ok(mode)
}

/// Stops with one sentence when the database lacks tables, instead of every
/// queue poll failing on a missing table.
async fn require_migrated(app: &App) -> anyhow::Result<()> {
    match crate::store::pending_migrations(&app.db).await? {
        0 => Ok(()),
        n => anyhow::bail!(
            "the database lacks {n} of pricewatch's migrations: run `pricewatch migrate` first"
        ),
    }
}

/// `pricewatch run`: migrate (unless told not to), HTTP, the sweep, workers.
pub async fn run(config: Config, migrate: bool) -> anyhow::Result<()> {
    let mode = check_mode(&config)?;
    if migrate {
        crate::store::migrate(&config).await?;
    }
    let port = config.port;
    let app = App::build(config, Options::default()).await?;
    if !migrate {
        require_migrated(&app).await?;
    }
    let (stop_all, stop) = shared_shutdown();
    let addr = SocketAddr::from(([0, 0, 0, 0], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("while listening on port {port} (PORT)"))?;
    tracing::info!(port, mode = %mode.name(), "pricewatch is running");
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
    // A bot that cannot go on (Telegram refused the token) stops the process.
    let bot = bot.map(|task| {
        let stop_all = stop_all.clone();
        tokio::spawn(async move {
            let result = match task.await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("the Telegram bot stopped: {e}")),
            };
            if result.is_err() {
                let _ = stop_all.send(true);
            }
            result
        })
    });
    // The sweep runs with the workers, under the same supervisor.
    let workers = jobs::run_loops(app.clone(), &worker_name("run"), wait(stop.clone()), true).await;
    // A worker loop that gave up stops HTTP and the bots too: exit non-zero.
    let _ = stop_all.send(true);
    let _ = http.await;
    if let Some(bot) = bot
        && let Ok(Err(e)) = bot.await
    {
        return Err(e);
    }
    workers
}

/// `pricewatch worker`: only the queues.
pub async fn worker(config: Config) -> anyhow::Result<()> {
    check_mode(&config)?;
    let app: Arc<App> = App::build(config, Options::default()).await?;
    require_migrated(&app).await?;
    tracing::info!("worker started");
    jobs::run_workers(app, &worker_name("worker"), shutdown_signal()).await
}

fn worker_name(role: &str) -> String {
    // HOSTNAME (set by Docker and most shells), else the machine's name:
    // replicas in containers all have pid 1, so the host tells them apart.
    let named = |h: String| Some(h.trim().to_string()).filter(|h| !h.is_empty());
    let host = std::env::var("HOSTNAME")
        .ok()
        .and_then(named)
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .and_then(named)
        })
        .unwrap_or_else(|| "local".into());
    format!("{role}-{host}-{}", std::process::id())
}
