//! `products.check_queued_at`: a check job for the product was handed to the
//! queue at this time and has not finished yet. Redis only carries work; this
//! column lets a worker re-enqueue checks that a Redis restart or a killed
//! worker lost.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000003_create_products::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Added {
    CheckQueuedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Products::Table)
                .add_column(timestamp_with_time_zone_null(Added::CheckQueuedAt))
                .to_owned(),
        )
        .await?;
        // Few rows have it set; the recovery pass finds them by this index.
        m.create_index(
            Index::create()
                .name("ix_products_check_queued_at")
                .table(Products::Table)
                .col(Added::CheckQueuedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_products_check_queued_at")
                .table(Products::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Products::Table)
                .drop_column(Added::CheckQueuedAt)
                .to_owned(),
        )
        .await
    }
}
