//! Schema migrations for pricewatch. The same migrations run on PostgreSQL and
//! SQLite, up and down. One migration per file (sea-orm names a migration
//! after its file).

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_users;
mod m20261124_000002_create_destinations;
mod m20261124_000003_create_products;
mod m20261124_000004_create_watches;
mod m20261124_000005_create_price_points;
mod m20261124_000006_create_feeds;
mod m20261124_000007_create_notifications;
mod m20261124_000008_create_queue_jobs;
mod m20261124_000009_add_chat_settings;
mod m20261124_000010_create_email_verifications;
mod m20261204_000001_add_check_queued_at;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_users::Migration),
            Box::new(m20261124_000002_create_destinations::Migration),
            Box::new(m20261124_000003_create_products::Migration),
            Box::new(m20261124_000004_create_watches::Migration),
            Box::new(m20261124_000005_create_price_points::Migration),
            Box::new(m20261124_000006_create_feeds::Migration),
            Box::new(m20261124_000007_create_notifications::Migration),
            Box::new(m20261124_000008_create_queue_jobs::Migration),
            Box::new(m20261124_000009_add_chat_settings::Migration),
            Box::new(m20261124_000010_create_email_verifications::Migration),
            Box::new(m20261204_000001_add_check_queued_at::Migration),
        ]
    }
}
