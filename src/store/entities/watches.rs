//! `watches`: user × product × destination, with a target.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "watches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub product_id: i64,
    pub destination_id: i64,
    pub target_kind: String,
    pub target_minor: Option<i64>,
    pub target_percent: Option<i16>,
    pub reference_minor: Option<i64>,
    pub state: String,
    pub last_alert_price_minor: Option<i64>,
    pub last_alert_at: Option<DateTimeUtc>,
    pub last_stock_alert_at: Option<DateTimeUtc>,
    pub back_in_stock: bool,
    pub allow_used: bool,
    pub snoozed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
