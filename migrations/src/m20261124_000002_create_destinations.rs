//! Destinations: where alerts go (a Telegram chat, a Discord DM or channel, an email).

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Destinations {
    Table,
    Id,
    /// telegram_chat | discord_dm | discord_channel | email
    Kind,
    /// The chat id, channel id, Discord user id or email address.
    Address,
    OwnerUserId,
    /// Set when the platform refuses us (bot blocked, DMs closed).
    PausedAt,
    PausedReason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Destinations::Table)
                .if_not_exists()
                .col(big_pk_auto(Destinations::Id))
                .col(string_len(Destinations::Kind, 24))
                .col(string_len(Destinations::Address, 254))
                .col(big_integer_null(Destinations::OwnerUserId))
                .col(timestamp_with_time_zone_null(Destinations::PausedAt))
                .col(string_len_null(Destinations::PausedReason, 64))
                .col(timestamp_with_time_zone(Destinations::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_destinations_owner")
                        .from(Destinations::Table, Destinations::OwnerUserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_destinations_kind_address")
                .table(Destinations::Table)
                .col(Destinations::Kind)
                .col(Destinations::Address)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Destinations::Table).to_owned())
            .await
    }
}
