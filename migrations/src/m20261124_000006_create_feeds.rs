//! Feeds: a group or channel subscribed to deals among all tracked products.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000001_create_users::Users;
use super::m20261124_000002_create_destinations::Destinations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Feeds {
    Table,
    Id,
    DestinationId,
    /// Minimum drop below the 30-day median, in whole percent.
    MinDropPct,
    /// Only all-time lows.
    LowsOnly,
    /// Comma-separated storefronts (`amazon.de,amazon.fr`); NULL for all.
    Marketplaces,
    /// Post a digest every N hours instead of one post per deal.
    DigestHours,
    LastDigestAt,
    CreatedByUserId,
    PausedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Feeds::Table)
                .if_not_exists()
                .col(big_pk_auto(Feeds::Id))
                .col(big_integer(Feeds::DestinationId))
                .col(small_integer(Feeds::MinDropPct).default(20))
                .col(boolean(Feeds::LowsOnly).default(false))
                .col(string_len_null(Feeds::Marketplaces, 256))
                .col(small_integer_null(Feeds::DigestHours))
                .col(timestamp_with_time_zone_null(Feeds::LastDigestAt))
                .col(big_integer_null(Feeds::CreatedByUserId))
                .col(timestamp_with_time_zone_null(Feeds::PausedAt))
                .col(timestamp_with_time_zone(Feeds::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_feeds_destination")
                        .from(Feeds::Table, Feeds::DestinationId)
                        .to(Destinations::Table, Destinations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_feeds_created_by")
                        .from(Feeds::Table, Feeds::CreatedByUserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_feeds_destination")
                .table(Feeds::Table)
                .col(Feeds::DestinationId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Feeds::Table).to_owned())
            .await
    }
}
