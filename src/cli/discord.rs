//! `pricewatch discord register [--guild ID]`: installs the slash commands
//! through the REST API (globally, or in one server for a quick test).

use anyhow::Context;
use clap::Subcommand;

use crate::bots::discord::{commands, rest::Rest};
use crate::config::Config;

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
            let registered = rest
                .put_commands(guild, &commands::all())
                .await
                .map_err(|e| anyhow::anyhow!("Discord refused the commands: {e}"))?;
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
