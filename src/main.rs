//! The `pricewatch` binary: parse the command line, start logging, run a role.

use std::process::ExitCode;

use clap::Parser;
use pricewatch::cli::{Cli, Command, bench, check, discord, doctor, outbox, roles};
use pricewatch::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    pricewatch::telemetry::init(matches!(
        cli.command,
        Command::Check(_) | Command::Bench(_) | Command::Outbox(_) | Command::Doctor
    ));
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Configuration error: {e}");
            return ExitCode::from(check::exit::BAD_INPUT);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    pricewatch::amazon::fetch::install_crypto_provider();
    match cli.command {
        Command::Check(args) => ExitCode::from(runtime.block_on(check::run(args, &config))),
        Command::Run { no_migrate } => report(runtime.block_on(roles::run(config, !no_migrate))),
        Command::Worker => report(runtime.block_on(roles::worker(config))),
        Command::Migrate => match runtime.block_on(pricewatch::store::migrate(&config)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "migration failed");
                ExitCode::FAILURE
            }
        },
        Command::Doctor => ExitCode::from(runtime.block_on(doctor::run(&config))),
        Command::Discord(cmd) => report(runtime.block_on(discord::run(cmd, &config))),
        Command::Outbox(cmd) => report(runtime.block_on(outbox::run(cmd, &config))),
        Command::Bench(cmd) => match runtime.block_on(bench::run(cmd)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Email(cmd) => match runtime.block_on(pricewatch::cli::email::run(cmd, &config)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Printed once, without the log's decoration, whatever RUST_LOG says.
        Err(e) => {
            eprintln!("pricewatch stopped: {e:#}");
            ExitCode::FAILURE
        }
    }
}
