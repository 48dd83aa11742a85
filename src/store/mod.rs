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
    if let DatabaseUrl::Postgres(s) = url {
        probe_postgres(s).await?;
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

/// One plain connection attempt, so that a refused or unknown server fails
/// at once with its own error instead of a pool timing out after 30 s.
async fn probe_postgres(url: &str) -> anyhow::Result<()> {
    use sea_orm::sqlx::Connection;
    let at = url::Url::parse(url)
        .ok()
        .map(|u| {
            format!(
                " at {}:{}",
                u.host_str().unwrap_or("localhost"),
                u.port().unwrap_or(5432)
            )
        })
        .unwrap_or_default();
    let attempt = sea_orm::sqlx::PgConnection::connect(url);
    match tokio::time::timeout(std::time::Duration::from_secs(10), attempt).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(anyhow::anyhow!(
            "cannot connect to PostgreSQL{at}: {e} (check DATABASE_URL)"
        )),
        Err(_) => Err(anyhow::anyhow!(
            "cannot connect to PostgreSQL{at}: no answer within 10 s (check DATABASE_URL)"
        )),
    }
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

/// How many migrations the database still lacks (all of them on an empty
/// database), without creating anything.
pub async fn pending_migrations(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let manager = migration::SchemaManager::new(db);
    let installed = manager
        .has_table("seaql_migrations")
        .await
        .context("while looking for the migrations table")?;
    if !installed {
        return Ok(Migrator::migrations().len());
    }
    Ok(Migrator::get_pending_migrations(db)
        .await
        .context("while listing migrations")?
        .len())
}
