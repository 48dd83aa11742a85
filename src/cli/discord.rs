//! `pricewatch discord register [--guild ID]`: installs the slash commands
//! through the REST API (globally, or in one server for a quick test).

use anyhow::Context;
use clap::Subcommand;

use crate::bots::discord::{commands, rest::Rest};
use crate::config::Config;
use crate::notify::SendError;

#[derive(Debug, Subcommand)]
pub enum DiscordCommand {
    /// Register (or update) the slash commands with Discord.
    Register {
        /// Only in this server (shows up at once; global commands can take a while).
        #[arg(long)]
        guild: Option<u64>,
    },
}

pub async fn run(cmd: DiscordCommand, config: &Config) -> anyhow::Result<()> {
    let d = config
        .discord
        .as_ref()
        .context("set DISCORD_APPLICATION_ID, DISCORD_PUBLIC_KEY and DISCORD_BOT_TOKEN first")?;
    match cmd {
        DiscordCommand::Register { guild } => {
            let rest = Rest::new(d.api_url.as_ref(), d.bot_token.clone(), d.application_id);
            let registered = register(&rest, guild).await?;
            let names: Vec<&str> = registered
                .as_array()
                .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
                .unwrap_or_default();
            let scope = match guild {
                Some(g) => format!("in server {g}"),
                None => "globally".to_string(),
            };
            println!(
                "Registered {} commands {scope}: /{}",
                names.len(),
                names.join(", /")
            );
            Ok(())
        }
    }
}

/// How often `discord register` tries before saying Discord cannot be reached.
const ATTEMPTS: u32 = 5;

/// Puts the commands, retrying while Discord cannot be reached (network,
/// 5xx, 429); a refusal (bad token, unknown application) is reported at once.
async fn register(rest: &Rest, guild: Option<u64>) -> anyhow::Result<serde_json::Value> {
    let commands = commands::all();
    let mut attempt = 0;
    loop {
        match rest.put_commands(guild, &commands).await {
            Ok(v) => return Ok(v),
            Err(SendError::Transient {
                reason,
                retry_after,
            }) => {
                attempt += 1;
                if attempt >= ATTEMPTS {
                    anyhow::bail!(
                        "cannot reach Discord ({reason}) after {ATTEMPTS} attempts; check the network or DISCORD_API_URL"
                    );
                }
                let wait =
                    retry_after.unwrap_or_else(|| crate::bots::telegram::retry_delay(attempt - 1));
                eprintln!(
                    "cannot reach Discord ({reason}), retrying in {} s",
                    wait.as_secs().max(1)
                );
                tokio::time::sleep(wait).await;
            }
            Err(SendError::DestinationGone { reason } | SendError::Permanent { reason }) => {
                anyhow::bail!(
                    "Discord refused the commands ({reason}); check DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN"
                )
            }
        }
    }
}
