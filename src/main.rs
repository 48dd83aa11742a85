//! The `pricewatch` binary: parse the command line, start logging, run a role.

use std::process::ExitCode;

use clap::Parser;
use pricewatch::cli::{Cli, Command, bench, check};
use pricewatch::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    pricewatch::telemetry::init(matches!(cli.command, Command::Check(_) | Command::Bench(_)));
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Configuration error: {e}");
            return ExitCode::from(check::exit::BAD_INPUT);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    pricewatch::amazon::fetch::install_crypto_provider();
    match cli.command {
        Command::Check(args) => ExitCode::from(runtime.block_on(check::run(args, &config))),
        Command::Migrate => match runtime.block_on(pricewatch::store::migrate(&config)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "migration failed");
                ExitCode::FAILURE
            }
        },
        Command::Bench(cmd) => match bench::run(cmd) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
