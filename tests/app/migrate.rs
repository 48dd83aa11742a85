//! `pricewatch migrate` on the two databases pricewatch supports.

use pricewatch::test_support::{fresh_postgres, temp_dir};
use sea_orm::{ConnectionTrait, Database, Statement};

async fn migrate(database_url: Option<&str>, cwd: &std::path::Path) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"));
    cmd.arg("migrate").current_dir(cwd).env_clear();
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().await.unwrap()
}

async fn has_migration_table(url: &str) -> bool {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'seaql_migrations'"
        }
        _ => "SELECT count(*) AS n FROM sqlite_master WHERE name = 'seaql_migrations'",
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() == 1
}

#[tokio::test]
async fn migrate_runs_on_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let out = migrate(Some(url.url()), &temp_dir()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(has_migration_table(&url).await);
}

#[tokio::test]
async fn migrate_creates_the_embedded_sqlite_file_with_no_settings() {
    let dir = temp_dir();
    let out = migrate(None, &dir).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join("data/pricewatch.db");
    assert!(file.exists(), "{} was not created", file.display());
    assert!(has_migration_table(&format!("sqlite://{}", file.display())).await);
}

const TABLES: [&str; 8] = [
    "users",
    "destinations",
    "products",
    "watches",
    "price_points",
    "feeds",
    "notifications",
    "queue_jobs",
];

async fn tables(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY 1"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1",
    };
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .filter(|n| TABLES.contains(&n.as_str()))
        .collect()
}

async fn up_down_up(url: &str) {
    use migration::{Migrator, MigratorTrait};
    let db = Database::connect(url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let mut want: Vec<String> = TABLES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(tables(&db).await, want);
    Migrator::down(&db, None).await.unwrap();
    assert!(tables(&db).await.is_empty(), "down left tables behind");
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(tables(&db).await, want);
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn migrations_go_up_down_and_up_on_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    up_down_up(&url).await;
}

#[tokio::test]
async fn migrations_go_up_down_and_up_on_sqlite() {
    let dir = temp_dir();
    let file = dir.join("m.db");
    up_down_up(&format!("sqlite://{}?mode=rwc", file.display())).await;
}
