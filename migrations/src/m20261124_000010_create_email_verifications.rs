//! Email verifications: one row per verification email sent. It holds the
//! address asked for and a keyed hash of its 6-digit code (never the code),
//! and its rows in the last day are the per-user limit on verification emails.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum EmailVerifications {
    Table,
    Id,
    UserId,
    /// The address to confirm, as the user typed it (trimmed).
    Address,
    /// Hex HMAC-SHA256 of the code, keyed with JWT_SECRET.
    CodeHash,
    /// Wrong codes tried against this row; it stops accepting codes at 5.
    Attempts,
    ExpiresAt,
    CreatedAt,
    /// Set when the address was confirmed, or the row superseded.
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(EmailVerifications::Table)
                .if_not_exists()
                .col(big_pk_auto(EmailVerifications::Id))
                .col(big_integer(EmailVerifications::UserId))
                .col(string_len(EmailVerifications::Address, 254))
                .col(string_len(EmailVerifications::CodeHash, 64))
                .col(integer(EmailVerifications::Attempts).default(0))
                .col(timestamp_with_time_zone(EmailVerifications::ExpiresAt))
                .col(timestamp_with_time_zone(EmailVerifications::CreatedAt))
                .col(timestamp_with_time_zone_null(EmailVerifications::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_email_verifications_user")
                        .from(EmailVerifications::Table, EmailVerifications::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The daily limit and the pending code both look up a user's latest rows.
        m.create_index(
            Index::create()
                .name("ix_email_verifications_user_created")
                .table(EmailVerifications::Table)
                .col(EmailVerifications::UserId)
                .col(EmailVerifications::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(EmailVerifications::Table).to_owned())
            .await
    }
}
