//! An address the SMTP server refuses for good: mark it bouncing (fan-out
//! stops creating email alerts for it) and tell its owner in their private
//! chat, once a day at most, through the outbox.

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::jobs::Queues;
use crate::notify::{AlertPayload, channel_for};
use crate::store::entities::{destinations, notifications, users};

/// The kind of the chat notification; chat notifiers render it with
/// `email.bouncing`.
pub const KIND: &str = "email_bouncing";

/// The private chat of a user: `(destination kind, address)`.
fn private_chat(user: &users::Model) -> Option<(&'static str, String)> {
    match user.platform.as_str() {
        "telegram" => Some(("telegram_chat", user.platform_user_id.clone())),
        "discord" => Some(("discord_dm", user.platform_user_id.clone())),
        _ => None,
    }
}

/// Marks every user linked to `address` as bouncing and queues one chat
/// message to each.
pub async fn mark(db: &DatabaseConnection, queues: &Queues, address: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    let linked = users::Entity::find()
        .filter(users::Column::Email.eq(address))
        .filter(users::Column::EmailBouncingAt.is_null())
        .all(db)
        .await?;
    let mut ids = Vec::new();
    for user in linked {
        let marked = users::Entity::update_many()
            .col_expr(users::Column::EmailBouncingAt, Expr::value(now))
            .filter(users::Column::Id.eq(user.id))
            .filter(users::Column::EmailBouncingAt.is_null())
            .exec(db)
            .await?;
        if marked.rows_affected != 1 {
            continue;
        }
        tracing::info!(
            user.id = user.id,
            "email address bounces; stopped emailing it"
        );
        let Some((kind, chat)) = private_chat(&user) else {
            continue;
        };
        let dest = destination(db, kind, &chat, user.id).await?;
        let payload = AlertPayload {
            product_id: 0,
            locale: user.locale.clone(),
            ..Default::default()
        };
        let insert = notifications::Entity::insert(notifications::ActiveModel::pending(
            format!("bounce:{}:{}", user.id, now.date_naive()),
            KIND,
            dest.id,
            channel_for(kind),
            serde_json::to_string(&payload)?,
            now,
        ))
        .on_conflict(
            OnConflict::column(notifications::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec(db)
        .await;
        match insert {
            Ok(r) => ids.push(r.last_insert_id),
            Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    queues
        .push_deliveries(&ids, std::time::Duration::ZERO)
        .await
}

/// The destination row for `(kind, address)`, created if missing: the same
/// find-or-insert as `tracking::ensure_destination`, on a bare connection.
async fn destination(
    db: &DatabaseConnection,
    kind: &str,
    address: &str,
    owner: i64,
) -> anyhow::Result<destinations::Model> {
    let find = destinations::Entity::find()
        .filter(destinations::Column::Kind.eq(kind))
        .filter(destinations::Column::Address.eq(address));
    if let Some(found) = find.clone().one(db).await? {
        return Ok(found);
    }
    let insert = destinations::Entity::insert(destinations::ActiveModel {
        kind: Set(kind.into()),
        address: Set(address.into()),
        owner_user_id: Set(Some(owner)),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([destinations::Column::Kind, destinations::Column::Address])
            .do_nothing()
            .to_owned(),
    )
    .exec(db)
    .await;
    match insert {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
        Err(e) => return Err(e.into()),
    }
    find.one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("chat destination vanished after insert"))
}
