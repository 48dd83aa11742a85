//! Deal feeds after a price drop: which feeds want this product at this
//! price (far enough below its 30-day median, or at its lowest ever, in one
//! of the feed's storefronts), at most once per product per feed per 24
//! hours, through the same outbox as alerts. A feed with a digest collects
//! its deals and posts up to ten together every N hours.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use crate::app::App;
use crate::notify::{AlertPayload, channel_for};
use crate::store::entities::{destinations, feeds, notifications, price_points, products, users};

/// Deals a digest posts together, at most.
pub const DIGEST_MAX: usize = 10;

/// The price that held for longest (by time, not by count of changes) over
/// `points`, which are (from, price) steps ending at `end`.
pub fn time_weighted_median(points: &[(DateTime<Utc>, i64)], end: DateTime<Utc>) -> Option<i64> {
    let mut spans: Vec<(i64, i64)> = points
        .iter()
        .enumerate()
        .map(|(i, (at, price))| {
            let until = points.get(i + 1).map(|p| p.0).unwrap_or(end);
            (*price, Ord::max((until - *at).num_seconds(), 0))
        })
        .filter(|(_, secs)| *secs > 0)
        .collect();
    if spans.is_empty() {
        return points.last().map(|p| p.1);
    }
    spans.sort_unstable();
    let total: i64 = spans.iter().map(|s| s.1).sum();
    let mut seen = 0;
    for (price, secs) in spans {
        seen += secs;
        if seen * 2 >= total {
            return Some(price);
        }
    }
    None
}

/// What a drop means for feeds.
#[derive(Debug, Clone, Copy)]
pub struct Deal {
    pub price_minor: i64,
    pub median_30d_minor: i64,
    /// Whole percent below the median.
    pub drop_pct: i64,
    pub all_time_low: bool,
}

async fn deal(
    app: &App,
    product_id: i64,
    point_id: i64,
    price: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<Option<Deal>> {
    let start = at - Duration::days(30);
    let before = price_points::Entity::find()
        .filter(price_points::Column::ProductId.eq(product_id))
        .filter(price_points::Column::ObservedAt.lt(start))
        .order_by_desc(price_points::Column::ObservedAt)
        .one(&app.db)
        .await?;
    let window = price_points::Entity::find()
        .filter(price_points::Column::ProductId.eq(product_id))
        .filter(price_points::Column::ObservedAt.gte(start))
        .filter(price_points::Column::Id.ne(point_id))
        .order_by_asc(price_points::Column::ObservedAt)
        .all(&app.db)
        .await?;
    let mut steps: Vec<(DateTime<Utc>, i64)> = before
        .and_then(|p| p.price_minor.map(|m| (start, m)))
        .into_iter()
        .collect();
    steps.extend(
        window
            .iter()
            .filter(|p| p.observed_at < at)
            .filter_map(|p| p.price_minor.map(|m| (p.observed_at, m))),
    );
    let Some(median) = time_weighted_median(&steps, at) else {
        return Ok(None);
    };
    let lower_before = price_points::Entity::find()
        .filter(price_points::Column::ProductId.eq(product_id))
        .filter(price_points::Column::Id.ne(point_id))
        .filter(price_points::Column::PriceMinor.lt(price))
        .count(&app.db)
        .await?;
    let drop_pct = if median > 0 {
        (median - price) * 100 / median
    } else {
        0
    };
    Ok(Some(Deal {
        price_minor: price,
        median_30d_minor: median,
        drop_pct,
        all_time_low: lower_before == 0 && price < median,
    }))
}

/// After a new, lower price: posts (or holds for a digest) the deal in every
/// feed that wants it. Returns how many feeds got it.
pub async fn on_drop(
    app: &App,
    product: &products::Model,
    point_id: i64,
    price: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let active = feeds::Entity::find()
        .filter(feeds::Column::PausedAt.is_null())
        .all(&app.db)
        .await?;
    if active.is_empty() {
        return Ok(0);
    }
    let dest_ids: Vec<i64> = active.iter().map(|f| f.destination_id).collect();
    let dests: std::collections::HashMap<i64, destinations::Model> = destinations::Entity::find()
        .filter(destinations::Column::Id.is_in(dest_ids))
        .filter(destinations::Column::PausedAt.is_null())
        .all(&app.db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let wanted: Vec<(feeds::Model, destinations::Model)> = active
        .into_iter()
        .filter_map(|f| {
            let d = dests.get(&f.destination_id)?.clone();
            Some((f, d))
        })
        .filter(|(f, _)| match &f.marketplaces {
            Some(list) => list.split(',').any(|m| m == product.marketplace),
            None => true,
        })
        .collect();
    if wanted.is_empty() {
        return Ok(0);
    }
    let Some(deal) = deal(app, product.id, point_id, price, at).await? else {
        return Ok(0);
    };
    let mut created = Vec::new();
    for (feed, dest) in wanted {
        let qualifies =
            deal.drop_pct >= i64::from(feed.min_drop_pct) || (feed.lows_only && deal.all_time_low);
        if !qualifies {
            continue;
        }
        // At most one post per product per feed per 24 hours.
        let recent = notifications::Entity::find()
            .filter(notifications::Column::FeedId.eq(feed.id))
            .filter(notifications::Column::ProductId.eq(product.id))
            .filter(notifications::Column::CreatedAt.gt(at - Duration::hours(24)))
            .count(&app.db)
            .await?;
        if recent > 0 {
            continue;
        }
        let locale = match feed.created_by_user_id {
            Some(u) => users::Entity::find_by_id(u)
                .one(&app.db)
                .await?
                .map(|u| u.locale)
                .unwrap_or_else(|| "en".into()),
            None => "en".into(),
        };
        let payload = AlertPayload {
            product_id: product.id,
            currency: product.currency.clone(),
            old_price_minor: Some(deal.median_30d_minor),
            new_price_minor: Some(deal.price_minor),
            lowest_90d: deal.all_time_low,
            locale,
            ..Default::default()
        };
        let held = feed.digest_hours.is_some();
        let row = notifications::ActiveModel {
            feed_id: Set(Some(feed.id)),
            product_id: Set(Some(product.id)),
            price_point_id: Set(Some(point_id)),
            // Held deals wait for the feed's next digest.
            status: Set(if held { "held" } else { "pending" }.into()),
            ..notifications::ActiveModel::pending(
                format!("feed:{}:pp:{point_id}", feed.id),
                "feed_deal",
                dest.id,
                channel_for(&dest.kind),
                serde_json::to_string(&payload)?,
                at,
            )
        };
        match notifications::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(notifications::Column::IdempotencyKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec(&app.db)
            .await
        {
            Ok(r) if !held => created.push(r.last_insert_id),
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let n = created.len();
    app.queues
        .push_deliveries(&created, std::time::Duration::ZERO)
        .await?;
    Ok(n)
}

/// Posts the digests that are due: each feed with a digest gathers its held
/// deals (up to [`DIGEST_MAX`], newest first) into one post every N hours.
/// Several workers may run this at once; a conditional update on the feed
/// lets only one of them post each digest.
pub async fn digests_once(app: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let due = feeds::Entity::find()
        .filter(feeds::Column::DigestHours.is_not_null())
        .filter(feeds::Column::PausedAt.is_null())
        .all(&app.db)
        .await?;
    let mut posted = Vec::new();
    for feed in due {
        let hours = i64::from(feed.digest_hours.unwrap_or(24));
        let since = feed.last_digest_at.unwrap_or(feed.created_at);
        if now - since < Duration::hours(hours) {
            continue;
        }
        let paused = destinations::Entity::find_by_id(feed.destination_id)
            .one(&app.db)
            .await?
            .is_none_or(|d| d.paused_at.is_some());
        if paused {
            continue;
        }
        let held = notifications::Entity::find()
            .filter(notifications::Column::FeedId.eq(feed.id))
            .filter(notifications::Column::Status.eq("held"))
            .order_by_desc(notifications::Column::CreatedAt)
            .all(&app.db)
            .await?;
        // Claim this digest: only the worker whose update matches posts it.
        let mut claim = Query::update()
            .table(feeds::Entity)
            .value(feeds::Column::LastDigestAt, now)
            .and_where(Expr::col(feeds::Column::Id).eq(feed.id))
            .to_owned();
        match feed.last_digest_at {
            Some(t) => claim.and_where(Expr::col(feeds::Column::LastDigestAt).eq(t)),
            None => claim.and_where(Expr::col(feeds::Column::LastDigestAt).is_null()),
        };
        if app.db.execute(&claim).await?.rows_affected() != 1 || held.is_empty() {
            continue;
        }
        let items: Vec<AlertPayload> = held
            .iter()
            .take(DIGEST_MAX)
            .filter_map(|n| serde_json::from_str(&n.payload).ok())
            .collect();
        let locale = items.first().map(|p| p.locale.clone()).unwrap_or_default();
        let payload = AlertPayload {
            locale,
            items,
            ..Default::default()
        };
        // Older deals past the first ten wait for the next digest.
        let ids: Vec<i64> = held.iter().take(DIGEST_MAX).map(|n| n.id).collect();
        let txn = app.db.begin().await?;
        let digested = Query::update()
            .table(notifications::Entity)
            .value(notifications::Column::Status, "digested")
            .and_where(Expr::col(notifications::Column::Id).is_in(ids))
            .to_owned();
        txn.execute(&digested).await?;
        let row = notifications::ActiveModel {
            feed_id: Set(Some(feed.id)),
            ..notifications::ActiveModel::pending(
                format!("digest:{}:{}", feed.id, now.timestamp()),
                "feed_digest",
                held[0].destination_id,
                &held[0].channel,
                serde_json::to_string(&payload)?,
                now,
            )
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        posted.push(row.id);
    }
    let n = posted.len();
    app.queues
        .push_deliveries(&posted, std::time::Duration::ZERO)
        .await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_weighs_prices_by_how_long_they_held() {
        let t0 = Utc::now() - Duration::days(30);
        let h = |d: i64| t0 + Duration::days(d);
        // 20 days at 10.00, a 1-day blip at 5.00, then 9 days at 12.00.
        let steps = [(h(0), 1000), (h(20), 500), (h(21), 1200)];
        assert_eq!(time_weighted_median(&steps, h(30)), Some(1000));
        assert_eq!(time_weighted_median(&[(h(0), 700)], h(30)), Some(700));
        assert_eq!(time_weighted_median(&[], h(30)), None);
    }
}
