//! `pricewatch outbox`: the alerts given up after retrying (dead outbox
//! rows). `list` shows them with why; `retry <ID>` or `retry --all` gives
//! them fresh attempts, and a running worker delivers them.

use clap::Subcommand;

use crate::app::{App, Options};
use crate::config::Config;
use crate::jobs::deliver;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List dead alerts: id, channel, kind, attempts, when written, last error.
    List,
    /// Send dead alerts again: one by its id, or every one with --all.
    Retry {
        /// The alert's id, as `outbox list` shows it.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Every dead alert.
        #[arg(long)]
        all: bool,
    },
}

pub async fn run(cmd: OutboxCommand, config: &Config) -> anyhow::Result<()> {
    match cmd {
        OutboxCommand::List => {
            let db = crate::store::connect(&config.database_url).await?;
            let rows = deliver::dead(&db).await?;
            if rows.is_empty() {
                println!("No dead alerts.");
                return Ok(());
            }
            println!(
                "{:<8} {:<9} {:<14} {:>8}  {:<19}  LAST ERROR",
                "ID", "CHANNEL", "KIND", "ATTEMPTS", "WRITTEN (UTC)"
            );
            for r in rows {
                println!(
                    "{:<8} {:<9} {:<14} {:>8}  {:<19}  {}",
                    r.id,
                    r.channel,
                    r.kind,
                    r.attempts,
                    r.created_at.format("%Y-%m-%d %H:%M:%S"),
                    r.last_error.unwrap_or_default().replace('\n', " ")
                );
            }
            Ok(())
        }
        OutboxCommand::Retry { id, .. } => {
            let app = App::build(config.clone(), Options::default()).await?;
            let ids = deliver::retry_dead(&app, id).await?;
            match (id, ids.len()) {
                (Some(id), 0) => {
                    anyhow::bail!("alert {id} is not a dead alert (see `pricewatch outbox list`)")
                }
                (_, n) => {
                    println!("Re-queued {n} alert{}.", if n == 1 { "" } else { "s" });
                    Ok(())
                }
            }
        }
    }
}
