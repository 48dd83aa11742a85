//! `queue_jobs`: the embedded mode's job queue (see `jobs::dbqueue`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub queue: String,
    pub key: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub run_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
