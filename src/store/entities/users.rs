//! `users`: one row per platform identity.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub platform: String,
    pub platform_user_id: String,
    pub display_name: Option<String>,
    pub locale: String,
    pub email: Option<String>,
    pub email_verified_at: Option<DateTimeUtc>,
    pub email_bouncing_at: Option<DateTimeUtc>,
    pub alerts_day: Option<Date>,
    pub alerts_today: i32,
    pub created_at: DateTimeUtc,
    pub back_in_stock_alerts: bool,
    pub allow_used: bool,
    pub daily_cap: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
