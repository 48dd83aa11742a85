//! Notifications: the outbox. One row per alert per channel; the unique
//! idempotency key makes a retry or a second worker unable to send twice.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000002_create_destinations::Destinations;
use super::m20261124_000003_create_products::Products;
use super::m20261124_000004_create_watches::Watches;
use super::m20261124_000006_create_feeds::Feeds;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Notifications {
    Table,
    Id,
    /// e.g. `w:42:pp:1337:telegram`: (watch, price point, channel).
    IdempotencyKey,
    /// price_drop | back_in_stock | gone | feed_deal | ...
    Kind,
    WatchId,
    FeedId,
    ProductId,
    PricePointId,
    DestinationId,
    /// telegram | discord | email
    Channel,
    /// What to render, frozen at the time of the alert (JSON).
    Payload,
    /// pending | sending | delivered | dead
    Status,
    Attempts,
    LastError,
    NextAttemptAt,
    /// A worker that claimed the row owns it until then.
    LeaseUntil,
    DeliveredAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .if_not_exists()
                .col(big_pk_auto(Notifications::Id))
                .col(string_len(Notifications::IdempotencyKey, 128))
                .col(string_len(Notifications::Kind, 24))
                .col(big_integer_null(Notifications::WatchId))
                .col(big_integer_null(Notifications::FeedId))
                .col(big_integer_null(Notifications::ProductId))
                .col(big_integer_null(Notifications::PricePointId))
                .col(big_integer(Notifications::DestinationId))
                .col(string_len(Notifications::Channel, 16))
                .col(text(Notifications::Payload))
                .col(string_len(Notifications::Status, 12).default("pending"))
                .col(integer(Notifications::Attempts).default(0))
                .col(string_len_null(Notifications::LastError, 512))
                .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Notifications::LeaseUntil))
                .col(timestamp_with_time_zone_null(Notifications::DeliveredAt))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_destination")
                        .from(Notifications::Table, Notifications::DestinationId)
                        .to(Destinations::Table, Destinations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_watch")
                        .from(Notifications::Table, Notifications::WatchId)
                        .to(Watches::Table, Watches::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_feed")
                        .from(Notifications::Table, Notifications::FeedId)
                        .to(Feeds::Table, Feeds::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_product")
                        .from(Notifications::Table, Notifications::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_notifications_idempotency_key")
                .table(Notifications::Table)
                .col(Notifications::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;
        // The redelivery sweeper: undelivered rows by due time.
        m.create_index(
            Index::create()
                .name("ix_notifications_status_next_attempt")
                .table(Notifications::Table)
                .col(Notifications::Status)
                .col(Notifications::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        // The daily cap and feed rate limits look back per destination.
        m.create_index(
            Index::create()
                .name("ix_notifications_destination_created")
                .table(Notifications::Table)
                .col(Notifications::DestinationId)
                .col(Notifications::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}
