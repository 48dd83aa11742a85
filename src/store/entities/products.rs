//! `products`: one row per (storefront, ASIN).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub marketplace: String,
    pub asin: String,
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub currency: String,
    pub last_price_minor: Option<i64>,
    pub list_price_minor: Option<i64>,
    pub availability: Option<String>,
    pub condition: Option<String>,
    pub seller: Option<String>,
    pub last_checked_at: Option<DateTimeUtc>,
    pub next_check_at: DateTimeUtc,
    pub failure_count: i32,
    pub gone_at: Option<DateTimeUtc>,
    pub pending_confirm_minor: Option<i64>,
    pub check_lease_until: Option<DateTimeUtc>,
    /// A check job was enqueued at this time and has not finished yet.
    pub check_queued_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
