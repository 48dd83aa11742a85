//! The command line: every role and tool the `pricewatch` binary offers.

pub mod bench;
pub mod bench_pages;
pub mod bench_scale;
pub mod check;
pub mod discord;
pub mod doctor;
pub mod outbox;
pub mod roles;
// Issue #6: `pricewatch email test`.
pub mod email;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pricewatch",
    version,
    about = "An Amazon price tracker that lives in chat"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read one product and print it: live from a link, or from a saved page.
    Check(check::CheckArgs),
    /// Everything in one process: HTTP, bots, the sweep and workers.
    Run {
        /// Do not apply database migrations at start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Workers only (price checks and deliveries), to scale out.
    Worker,
    /// Apply database migrations to DATABASE_URL (or the built-in SQLite file).
    Migrate,
    /// Check every configured outside service and print a checklist with fixes.
    Doctor,
    /// Email tools: `email test <address>` sends a test message.
    #[command(subcommand)]
    Email(email::EmailCommand),
    /// Benchmarks that print numbers.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The Discord application.
    #[command(subcommand)]
    Discord(discord::DiscordCommand),
    /// Alerts given up after retrying: `outbox list`, `outbox retry <ID>|--all`.
    #[command(subcommand)]
    Outbox(outbox::OutboxCommand),
}
