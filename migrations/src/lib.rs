//! Schema migrations for pricewatch. The same migrations run on PostgreSQL and SQLite.
//! One migration per file (sea-orm names a migration after its file).

pub use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }
}
