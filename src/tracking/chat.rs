//! Smaller use-cases the chat bots need around a watch: finding one by the
//! number a person sees in `/list` or by ASIN, snoozing, settings, language,
//! and keeping a chat's watches when the chat changes its id.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::{DestinationKind, Identity, TrackError, WatchItem, ensure_user, list, own_watch};
use crate::app::App;
use crate::domain::Asin;
use crate::store::entities::{destinations, price_points, products, users, watches};

/// The watch a person means by `selector`: the number in front of it in
/// `/list` (1 = newest), or the product's ASIN.
pub async fn find_own(app: &App, who: &Identity, selector: &str) -> Result<WatchItem, TrackError> {
    pick(list(app, who).await?, selector)
}

/// The item `selector` names in `items` (a list as the person saw it).
pub fn pick(items: Vec<WatchItem>, selector: &str) -> Result<WatchItem, TrackError> {
    let selector = selector.trim().trim_start_matches('#');
    // Ten characters are an ASIN, even all digits (a book: 1473210208).
    if let Some(asin) = Asin::parse(selector) {
        return items
            .into_iter()
            .find(|i| i.product.asin.eq_ignore_ascii_case(asin.as_str()))
            .ok_or(TrackError::NoSuchWatch);
    }
    if let Ok(n) = selector.parse::<usize>() {
        return n
            .checked_sub(1)
            .and_then(|i| items.into_iter().nth(i))
            .ok_or(TrackError::NoSuchWatch);
    }
    items
        .into_iter()
        .find(|i| i.product.asin.eq_ignore_ascii_case(selector))
        .ok_or(TrackError::NoSuchWatch)
}

/// One of the person's own watches with its product.
pub async fn own_item(app: &App, who: &Identity, watch_id: i64) -> Result<WatchItem, TrackError> {
    let watch = own_watch(app, who, watch_id).await?;
    let product = products::Entity::find_by_id(watch.product_id)
        .one(&app.db)
        .await?
        .ok_or(TrackError::NoSuchWatch)?;
    Ok(WatchItem { watch, product })
}

/// No alerts for this watch until `until`.
pub async fn snooze(
    app: &App,
    who: &Identity,
    watch_id: i64,
    until: DateTime<Utc>,
) -> Result<WatchItem, TrackError> {
    let item = own_item(app, who, watch_id).await?;
    let mut m: watches::ActiveModel = item.watch.into();
    m.snoozed_until = Set(Some(until));
    m.updated_at = Set(Utc::now());
    Ok(WatchItem {
        watch: m.update(&app.db).await?,
        product: item.product,
    })
}

/// Alert when this watch's product is back in stock (on top of its target).
/// A watch without a price target becomes a back-in-stock watch, which
/// `/list` shows as such rather than as "any drop".
pub async fn want_back_in_stock(
    app: &App,
    who: &Identity,
    watch_id: i64,
) -> Result<watches::Model, TrackError> {
    let w = own_watch(app, who, watch_id).await?;
    let no_target = w.target_kind == "any_drop";
    let mut m: watches::ActiveModel = w.into();
    if no_target {
        m.target_kind = Set("stock".into());
    }
    m.back_in_stock = Set(true);
    m.updated_at = Set(Utc::now());
    Ok(m.update(&app.db).await?)
}

/// A person's preferences, as `/settings` changes them.
#[derive(Debug, Clone, Copy)]
pub enum Setting {
    BackInStock(bool),
    AllowUsed(bool),
    DailyCap(Option<i32>),
}

/// Changes a preference; back-in-stock and used offers apply to the
/// person's existing watches too, so the switch means what it says.
pub async fn change_setting(
    app: &App,
    who: &Identity,
    setting: Setting,
) -> Result<users::Model, TrackError> {
    let user = ensure_user(app, who).await?;
    let mut m: users::ActiveModel = user.clone().into();
    let watch_column = match setting {
        Setting::BackInStock(on) => {
            m.back_in_stock_alerts = Set(on);
            Some((watches::Column::BackInStock, on))
        }
        Setting::AllowUsed(on) => {
            m.allow_used = Set(on);
            Some((watches::Column::AllowUsed, on))
        }
        Setting::DailyCap(cap) => {
            m.daily_cap = Set(cap);
            None
        }
    };
    let updated = m.update(&app.db).await?;
    if let Some((column, on)) = watch_column {
        let q = Query::update()
            .table(watches::Entity)
            .value(column, on)
            .and_where(Expr::col(watches::Column::UserId).eq(user.id))
            .to_owned();
        app.db.execute(&q).await?;
    }
    Ok(updated)
}

/// The language the person reads, one of [`crate::i18n::LOCALES`].
pub async fn set_locale(
    app: &App,
    who: &Identity,
    locale: &str,
) -> Result<users::Model, TrackError> {
    let user = ensure_user(app, who).await?;
    let mut m: users::ActiveModel = user.into();
    m.locale = Set(locale.to_string());
    Ok(m.update(&app.db).await?)
}

/// A chat's destination row, when it has one.
pub async fn destination(
    app: &App,
    kind: DestinationKind,
    address: &str,
) -> Result<Option<destinations::Model>, TrackError> {
    Ok(destinations::Entity::find()
        .filter(destinations::Column::Kind.eq(kind.as_str()))
        .filter(destinations::Column::Address.eq(address))
        .one(&app.db)
        .await?)
}

/// Whether members who are not admins may add watches to a group.
pub async fn set_members_may_add(
    app: &App,
    kind: DestinationKind,
    address: &str,
    allowed: bool,
) -> Result<(), TrackError> {
    let dest = super::ensure_destination(
        app,
        &super::DestinationRef {
            kind,
            address: address.to_string(),
        },
        None,
    )
    .await?;
    let mut m: destinations::ActiveModel = dest.into();
    m.members_may_add = Set(allowed);
    m.update(&app.db).await?;
    Ok(())
}

/// Alerts may go to this chat again (the person unblocked the bot). Returns
/// true when it had been paused.
pub async fn unpause_destination(
    app: &App,
    kind: DestinationKind,
    address: &str,
) -> Result<bool, TrackError> {
    let q = Query::update()
        .table(destinations::Entity)
        .value(
            destinations::Column::PausedAt,
            Option::<DateTime<Utc>>::None,
        )
        .value(destinations::Column::PausedReason, Option::<String>::None)
        .and_where(Expr::col(destinations::Column::Kind).eq(kind.as_str()))
        .and_where(Expr::col(destinations::Column::Address).eq(address))
        .and_where(Expr::col(destinations::Column::PausedAt).is_not_null())
        .to_owned();
    Ok(app.db.execute(&q).await?.rows_affected() > 0)
}

/// A group became a supergroup with a new id: its watches and settings move
/// along. If the new chat already has a destination (someone tracked there
/// first), the old chat's watches join it.
pub async fn move_chat(
    app: &App,
    kind: DestinationKind,
    from: &str,
    to: &str,
) -> Result<(), TrackError> {
    let Some(old) = destination(app, kind, from).await? else {
        return Ok(());
    };
    match destination(app, kind, to).await? {
        None => {
            let mut m: destinations::ActiveModel = old.into();
            m.address = Set(to.to_string());
            m.update(&app.db).await?;
        }
        Some(new) => {
            // A person's watch that exists in both chats stays with the new
            // one; everything else moves over.
            let kept: Vec<(i64, i64)> = watches::Entity::find()
                .select_only()
                .column(watches::Column::UserId)
                .column(watches::Column::ProductId)
                .filter(watches::Column::DestinationId.eq(new.id))
                .into_tuple()
                .all(&app.db)
                .await?;
            let old_watches = watches::Entity::find()
                .filter(watches::Column::DestinationId.eq(old.id))
                .all(&app.db)
                .await?;
            for w in old_watches {
                if kept.contains(&(w.user_id, w.product_id)) {
                    watches::Entity::delete_by_id(w.id).exec(&app.db).await?;
                } else {
                    let mut m: watches::ActiveModel = w.into();
                    m.destination_id = Set(new.id);
                    m.update(&app.db).await?;
                }
            }
            // The group's feed and its rule for members move too.
            let q = Query::update()
                .table(crate::store::entities::feeds::Entity)
                .value(crate::store::entities::feeds::Column::DestinationId, new.id)
                .and_where(
                    Expr::col(crate::store::entities::feeds::Column::DestinationId).eq(old.id),
                )
                .to_owned();
            app.db.execute(&q).await?;
            if old.members_may_add && !new.members_may_add {
                let mut m: destinations::ActiveModel = new.into();
                m.members_may_add = Set(true);
                m.update(&app.db).await?;
            }
        }
    }
    Ok(())
}

/// The lowest price ever recorded for a product.
pub async fn lowest_seen(app: &App, product_id: i64) -> Result<Option<i64>, TrackError> {
    let min: Option<Option<i64>> = price_points::Entity::find()
        .select_only()
        .column_as(price_points::Column::PriceMinor.min(), "min")
        .filter(price_points::Column::ProductId.eq(product_id))
        .into_tuple()
        .one(&app.db)
        .await?;
    Ok(min.flatten())
}
