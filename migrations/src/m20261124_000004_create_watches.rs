//! Watches: a user tracking a product, with alerts going to one destination.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000001_create_users::Users;
use super::m20261124_000002_create_destinations::Destinations;
use super::m20261124_000003_create_products::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Watches {
    Table,
    Id,
    UserId,
    ProductId,
    DestinationId,
    /// price | percent | any_drop
    TargetKind,
    /// The effective target in the product's minor units (NULL: any drop).
    TargetMinor,
    /// For percent targets: the percentage the user asked for.
    TargetPercent,
    /// The price when the target was set (percent targets and "any drop" refer to it).
    ReferenceMinor,
    /// armed | fired | paused
    State,
    LastAlertPriceMinor,
    LastAlertAt,
    /// The last back-in-stock alert (its own cooldown).
    LastStockAlertAt,
    BackInStock,
    AllowUsed,
    SnoozedUntil,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Watches::Table)
                .if_not_exists()
                .col(big_pk_auto(Watches::Id))
                .col(big_integer(Watches::UserId))
                .col(big_integer(Watches::ProductId))
                .col(big_integer(Watches::DestinationId))
                .col(string_len(Watches::TargetKind, 12))
                .col(big_integer_null(Watches::TargetMinor))
                .col(small_integer_null(Watches::TargetPercent))
                .col(big_integer_null(Watches::ReferenceMinor))
                .col(string_len(Watches::State, 8).default("armed"))
                .col(big_integer_null(Watches::LastAlertPriceMinor))
                .col(timestamp_with_time_zone_null(Watches::LastAlertAt))
                .col(timestamp_with_time_zone_null(Watches::LastStockAlertAt))
                .col(boolean(Watches::BackInStock).default(true))
                .col(boolean(Watches::AllowUsed).default(false))
                .col(timestamp_with_time_zone_null(Watches::SnoozedUntil))
                .col(timestamp_with_time_zone(Watches::CreatedAt))
                .col(timestamp_with_time_zone(Watches::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_watches_user")
                        .from(Watches::Table, Watches::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_watches_product")
                        .from(Watches::Table, Watches::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_watches_destination")
                        .from(Watches::Table, Watches::DestinationId)
                        .to(Destinations::Table, Destinations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Tracking the same product again updates the watch, never duplicates it.
        m.create_index(
            Index::create()
                .name("ux_watches_user_product_destination")
                .table(Watches::Table)
                .col(Watches::UserId)
                .col(Watches::ProductId)
                .col(Watches::DestinationId)
                .unique()
                .to_owned(),
        )
        .await?;
        // Evaluating one product's watches after a check: one indexed query.
        m.create_index(
            Index::create()
                .name("ix_watches_product_state")
                .table(Watches::Table)
                .col(Watches::ProductId)
                .col(Watches::State)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_watches_destination")
                .table(Watches::Table)
                .col(Watches::DestinationId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Watches::Table).to_owned())
            .await
    }
}
