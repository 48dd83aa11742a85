//! Users: one row per platform identity (a Telegram user, a Discord user).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Platform,
    PlatformUserId,
    DisplayName,
    Locale,
    Email,
    EmailVerifiedAt,
    EmailBouncingAt,
    AlertsDay,
    AlertsToday,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .if_not_exists()
                .col(big_pk_auto(Users::Id))
                .col(string_len(Users::Platform, 16))
                .col(string_len(Users::PlatformUserId, 64))
                .col(string_len_null(Users::DisplayName, 128))
                .col(string_len(Users::Locale, 8).default("en"))
                .col(string_len_null(Users::Email, 254))
                .col(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                .col(timestamp_with_time_zone_null(Users::EmailBouncingAt))
                // The daily alert cap: the UTC day counted and the count so far.
                .col(date_null(Users::AlertsDay))
                .col(integer(Users::AlertsToday).default(0))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_users_platform_identity")
                .table(Users::Table)
                .col(Users::Platform)
                .col(Users::PlatformUserId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}
