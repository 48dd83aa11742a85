//! Persistence: connecting to the database, running migrations, and the
//! entities of every table.

pub mod entities;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::{Config, DatabaseUrl};

/// Connects to `DATABASE_URL`, creating the `./data/` folder for the built-in SQLite file.
pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<DatabaseConnection> {
    if let DatabaseUrl::Sqlite(s) = url
        && let Some(path) = s
            .strip_prefix("sqlite://")
            .and_then(|p| p.split('?').next())
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("while creating the data folder {}", dir.display()))?;
    }
    let mut opts = ConnectOptions::new(url.as_str());
    opts.sqlx_logging(false);
    if matches!(url, DatabaseUrl::Sqlite(_)) {
        // sea-orm's SQLite default is one connection; the queue needs more.
        opts.max_connections(8);
    }
    Database::connect(opts)
        .await
        .context("while connecting to the database (check DATABASE_URL)")
}

/// `pricewatch migrate`: applies every pending migration.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = connect(&config.database_url).await?;
    Migrator::up(&db, None)
        .await
        .context("while applying migrations")?;
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .context("while listing migrations")?
        .len();
    tracing::info!(migrations.applied = applied, "database is up to date");
    Ok(())
}
