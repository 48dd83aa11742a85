//! Chat settings: a person's alert preferences (`/settings` in a private
//! chat) and a group's rule on who may add watches.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261124_000001_create_users::Users;
use super::m20261124_000002_create_destinations::Destinations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Added {
    /// New watches alert when the product is back in stock.
    BackInStockAlerts,
    /// New watches accept used offers.
    AllowUsed,
    /// At most this many alerts a day (NULL: the instance default).
    DailyCap,
    /// In a group: members who are not admins may add watches too.
    MembersMayAdd,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        let columns = [
            (
                Users::Table.into_iden(),
                boolean(Added::BackInStockAlerts).default(true).to_owned(),
            ),
            (
                Users::Table.into_iden(),
                boolean(Added::AllowUsed).default(false).to_owned(),
            ),
            (
                Users::Table.into_iden(),
                integer_null(Added::DailyCap).to_owned(),
            ),
            (
                Destinations::Table.into_iden(),
                boolean(Added::MembersMayAdd).default(false).to_owned(),
            ),
        ];
        for (table, mut col) in columns {
            m.alter_table(Table::alter().table(table).add_column(&mut col).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (Users::Table.into_iden(), Added::BackInStockAlerts),
            (Users::Table.into_iden(), Added::AllowUsed),
            (Users::Table.into_iden(), Added::DailyCap),
            (Destinations::Table.into_iden(), Added::MembersMayAdd),
        ];
        for (table, col) in columns {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
