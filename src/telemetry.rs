//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`).
//! Never log tokens, passwords, API keys or email addresses.

use tracing_subscriber::EnvFilter;

/// `quiet` tools (check, bench) log only warnings unless RUST_LOG says otherwise.
pub fn init(quiet: bool) {
    let default = if quiet {
        "warn,sqlx=error,html5ever=error"
    } else {
        "info,sqlx=warn,sea_orm=warn,html5ever=error"
    };
    // An empty RUST_LOG (as a copied .env leaves it) means "unset", not "off".
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    // Colours only on a terminal, not in files, pipes or `docker logs`.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
