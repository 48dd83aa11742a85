//! `feeds`: deal feeds for groups and channels (behaviour comes with the feeds issue).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feeds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub destination_id: i64,
    pub min_drop_pct: i16,
    pub lows_only: bool,
    pub marketplaces: Option<String>,
    pub digest_hours: Option<i16>,
    pub last_digest_at: Option<DateTimeUtc>,
    pub created_by_user_id: Option<i64>,
    pub paused_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
