//! `destinations`: where alerts go.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "destinations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub address: String,
    pub owner_user_id: Option<i64>,
    pub paused_at: Option<DateTimeUtc>,
    pub paused_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub members_may_add: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
