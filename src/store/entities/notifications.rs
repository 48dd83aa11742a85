//! `notifications`: the outbox.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub watch_id: Option<i64>,
    pub feed_id: Option<i64>,
    pub product_id: Option<i64>,
    pub price_point_id: Option<i64>,
    pub destination_id: i64,
    pub channel: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl ActiveModel {
    /// A new outbox row, due at `at`; callers add the watch, product or
    /// feed it belongs to.
    pub fn pending(
        idempotency_key: String,
        kind: &str,
        destination_id: i64,
        channel: &str,
        payload: String,
        at: DateTimeUtc,
    ) -> ActiveModel {
        use sea_orm::Set;
        ActiveModel {
            idempotency_key: Set(idempotency_key),
            kind: Set(kind.to_string()),
            destination_id: Set(destination_id),
            channel: Set(channel.to_string()),
            payload: Set(payload),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(at),
            created_at: Set(at),
            ..Default::default()
        }
    }
}
