//! Price points: the append-only price history of each product. A point is
//! written only when price, availability or condition changes.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000003_create_products::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum PricePoints {
    Table,
    Id,
    ProductId,
    ObservedAt,
    /// Minor units in the product's currency; NULL when not buyable.
    PriceMinor,
    Availability,
    Condition,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PricePoints::Table)
                .if_not_exists()
                .col(big_pk_auto(PricePoints::Id))
                .col(big_integer(PricePoints::ProductId))
                .col(timestamp_with_time_zone(PricePoints::ObservedAt))
                .col(big_integer_null(PricePoints::PriceMinor))
                .col(string_len(PricePoints::Availability, 24))
                .col(string_len_null(PricePoints::Condition, 8))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_price_points_product")
                        .from(PricePoints::Table, PricePoints::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_price_points_product_observed")
                .table(PricePoints::Table)
                .col(PricePoints::ProductId)
                .col(PricePoints::ObservedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PricePoints::Table).to_owned())
            .await
    }
}
