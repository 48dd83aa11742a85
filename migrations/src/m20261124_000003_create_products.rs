//! Products: one row per (storefront, ASIN), shared by everyone who tracks it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Products {
    Table,
    Id,
    /// `amazon.de`
    Marketplace,
    Asin,
    Title,
    ImageUrl,
    /// ISO 4217; every money column of this product is in it.
    Currency,
    /// Minor units; NULL when there is no featured offer.
    LastPriceMinor,
    ListPriceMinor,
    /// in_stock | out_of_stock | unavailable | only_other_sellers
    Availability,
    /// new | used
    Condition,
    Seller,
    LastCheckedAt,
    NextCheckAt,
    /// Consecutive blocked or failed checks (drives the back-off).
    FailureCount,
    /// When Amazon said the product no longer exists.
    GoneAt,
    /// A big drop waits for a second look before it is believed.
    PendingConfirmMinor,
    /// A worker checking the product holds it until then: one check in flight.
    CheckLeaseUntil,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Products::Table)
                .if_not_exists()
                .col(big_pk_auto(Products::Id))
                .col(string_len(Products::Marketplace, 16))
                .col(string_len(Products::Asin, 10))
                .col(string_len_null(Products::Title, 512))
                .col(string_len_null(Products::ImageUrl, 1024))
                .col(string_len(Products::Currency, 3))
                .col(big_integer_null(Products::LastPriceMinor))
                .col(big_integer_null(Products::ListPriceMinor))
                .col(string_len_null(Products::Availability, 24))
                .col(string_len_null(Products::Condition, 8))
                .col(string_len_null(Products::Seller, 256))
                .col(timestamp_with_time_zone_null(Products::LastCheckedAt))
                .col(timestamp_with_time_zone(Products::NextCheckAt))
                .col(integer(Products::FailureCount).default(0))
                .col(timestamp_with_time_zone_null(Products::GoneAt))
                .col(big_integer_null(Products::PendingConfirmMinor))
                .col(timestamp_with_time_zone_null(Products::CheckLeaseUntil))
                .col(timestamp_with_time_zone(Products::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_products_marketplace_asin")
                .table(Products::Table)
                .col(Products::Marketplace)
                .col(Products::Asin)
                .unique()
                .to_owned(),
        )
        .await?;
        // The sweep asks "which products are due?" every period.
        m.create_index(
            Index::create()
                .name("ix_products_next_check_at")
                .table(Products::Table)
                .col(Products::NextCheckAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
