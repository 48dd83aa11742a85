//! `check_product`: fetch and read one product, record what changed, and turn
//! the change into alerts in the outbox. Blocked or failed checks back off and
//! change nothing else: the last good price stays and nothing alerts.

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, Set, TransactionTrait,
};

use crate::amazon::extract::{Availability, Condition, ProductSnapshot};
use crate::amazon::fetch::{Action, FetchError};
use crate::app::App;
use crate::cache::CachedSnapshot;
use crate::domain::alert::{self, Alert, History, Observation, Offer, Stock, WatchView};
use crate::domain::{Asin, Marketplace, ProductRef};
use crate::notify::{AlertPayload, channel_for};
use crate::store::entities::{destinations, notifications, price_points, products, users, watches};

/// What one check did (for logs, tests and benchmarks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The row is gone or the product was marked gone earlier.
    Skipped,
    /// Another worker is checking this product right now.
    InFlight,
    /// Read fine; `changed` when a price point was written; `alerts` written to the outbox.
    Checked { changed: bool, alerts: usize },
    /// A big drop that will be checked again before it is believed.
    AwaitingConfirmation,
    /// Blocked, unreadable or transient: backed off.
    BackedOff(String),
    /// Amazon says the product no longer exists.
    Gone,
}

pub fn availability_str(a: Availability) -> &'static str {
    match a {
        Availability::InStock => "in_stock",
        Availability::OutOfStock => "out_of_stock",
        Availability::Unavailable => "unavailable",
        Availability::OnlyOtherSellers => "only_other_sellers",
    }
}

pub fn condition_str(c: Condition) -> &'static str {
    match c {
        Condition::New => "new",
        Condition::Used => "used",
    }
}

fn stock_of(s: Option<&str>) -> Stock {
    match s {
        Some("in_stock") => Stock::InStock,
        Some("out_of_stock") => Stock::OutOfStock,
        Some("only_other_sellers") => Stock::OnlyOtherSellers,
        _ => Stock::Unavailable,
    }
}

fn offer_of(s: Option<&str>) -> Option<Offer> {
    match s {
        Some("new") => Some(Offer::New),
        Some("used") => Some(Offer::Used),
        _ => None,
    }
}

pub fn product_ref(p: &products::Model) -> Option<ProductRef> {
    Some(ProductRef {
        marketplace: Marketplace::from_name(&p.marketplace)?,
        asin: Asin::parse(&p.asin)?,
    })
}

pub fn cached(p: &products::Model) -> CachedSnapshot {
    CachedSnapshot {
        product_id: p.id,
        marketplace: p.marketplace.clone(),
        asin: p.asin.clone(),
        title: p.title.clone().unwrap_or_default(),
        image_url: p.image_url.clone(),
        currency: p.currency.clone(),
        price_minor: p.last_price_minor,
        list_price_minor: p.list_price_minor,
        availability: p
            .availability
            .clone()
            .unwrap_or_else(|| "unavailable".into()),
        condition: p.condition.clone(),
        seller: p.seller.clone(),
        checked_at: p.last_checked_at.unwrap_or(p.created_at),
    }
}

/// How long a check holds its product before another may start. Short, and
/// renewed every [`CHECK_HEARTBEAT`] while the check runs: a killed worker's
/// product is free again within seconds.
pub const CHECK_LEASE: std::time::Duration = std::time::Duration::from_secs(5);
pub const CHECK_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(1);

/// Exponential back-off for the n-th consecutive failure, capped and jittered.
pub fn backoff(app: &App, failures: i32, base: std::time::Duration) -> chrono::Duration {
    let exp = u32::try_from(failures.clamp(1, 16) - 1).unwrap_or(0);
    let raw = base.saturating_mul(2u32.saturating_pow(exp));
    let capped = raw.min(app.tuning.backoff_cap);
    // +-20% so a storefront's backed-off products do not return together.
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    chrono::Duration::from_std(capped.mul_f64(jitter)).unwrap_or(chrono::Duration::hours(1))
}

fn lease_len() -> chrono::Duration {
    chrono::Duration::from_std(CHECK_LEASE).unwrap_or(chrono::Duration::seconds(5))
}

/// Keeps this check's lease on the product until the guard is dropped.
fn renew_lease(app: &App, product_id: i64) -> super::supervise::Heartbeat {
    let db = app.db.clone();
    super::supervise::Heartbeat::start(CHECK_HEARTBEAT, move || {
        let db = db.clone();
        async move {
            // Only while held: a finished check cleared it.
            let q = Query::update()
                .table(products::Entity)
                .value(products::Column::CheckLeaseUntil, Utc::now() + lease_len())
                .and_where(Expr::col(products::Column::Id).eq(product_id))
                .and_where(Expr::col(products::Column::CheckLeaseUntil).is_not_null())
                .to_owned();
            db.execute(&q).await.with_context(|| {
                format!("while renewing the check lease of product {product_id}")
            })?;
            Ok(())
        }
    })
}

/// Runs one check of `product_id`.
pub async fn run(app: &App, product_id: i64) -> anyhow::Result<CheckOutcome> {
    // One check in flight per product, across every worker: take a lease,
    // and read the row in the same statement.
    let now = Utc::now();
    let lease = Query::update()
        .table(products::Entity)
        .value(products::Column::CheckLeaseUntil, now + lease_len())
        .and_where(Expr::col(products::Column::Id).eq(product_id))
        .and_where(Expr::col(products::Column::GoneAt).is_null())
        .cond_where(
            sea_orm::Condition::any()
                .add(Expr::col(products::Column::CheckLeaseUntil).is_null())
                .add(Expr::col(products::Column::CheckLeaseUntil).lt(now)),
        )
        .returning_all()
        .to_owned();
    let row = match app.db.query_one(&lease).await? {
        Some(r) => products::Model::from_query_result(&r, "")?,
        None => {
            let exists = products::Entity::find_by_id(product_id)
                .one(&app.db)
                .await?;
            return Ok(match exists {
                Some(p) if p.gone_at.is_none() => CheckOutcome::InFlight,
                _ => CheckOutcome::Skipped,
            });
        }
    };
    let _heartbeat = renew_lease(app, product_id);
    let Some(pref) = product_ref(&row) else {
        tracing::warn!(
            product.id = row.id,
            "product row names no known storefront/ASIN"
        );
        let mut m: products::ActiveModel = row.into();
        m.check_lease_until = Set(None);
        m.check_queued_at = Set(None);
        m.update(&app.db).await?;
        return Ok(CheckOutcome::Skipped);
    };
    app.limiter.acquire(&row.marketplace).await;
    let started = Instant::now();
    let result = app.fetcher.check(&pref).await;
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    app.metrics.observe_fetch_ms(ms);
    use std::sync::atomic::Ordering::Relaxed;
    match result {
        Ok(snap) => {
            app.metrics.checks_ok.fetch_add(1, Relaxed);
            record(app, row, &snap).await
        }
        Err(e) => {
            let counter = match &e {
                FetchError::Blocked(_) => &app.metrics.checks_blocked,
                FetchError::NotFound => &app.metrics.checks_not_found,
                FetchError::Transient(_) => &app.metrics.checks_transient,
                FetchError::Unreadable | FetchError::Setup(_) => &app.metrics.checks_unreadable,
            };
            counter.fetch_add(1, Relaxed);
            tracing::info!(product.id = row.id, product.asin = %row.asin, duration_ms = ms, outcome = %e, "check did not read a product");
            failed(app, row, &e).await
        }
    }
}

async fn failed(app: &App, row: products::Model, e: &FetchError) -> anyhow::Result<CheckOutcome> {
    let now = Utc::now();
    match e.action() {
        Action::Gone => {
            mark_gone(app, &row, now).await?;
            Ok(CheckOutcome::Gone)
        }
        action => {
            let failures = row.failure_count.saturating_add(1);
            let base = if action == Action::Retry {
                app.tuning.backoff_base / 5
            } else {
                app.tuning.backoff_base
            };
            let next = now + backoff(app, failures, base);
            let mut m: products::ActiveModel = row.into();
            m.failure_count = Set(failures);
            m.next_check_at = Set(next);
            m.check_lease_until = Set(None);
            m.check_queued_at = Set(None);
            m.update(&app.db).await?;
            Ok(CheckOutcome::BackedOff(e.to_string()))
        }
    }
}

/// Writes what a good read says, then evaluates the product's watches.
async fn record(
    app: &App,
    row: products::Model,
    snap: &ProductSnapshot,
) -> anyhow::Result<CheckOutcome> {
    let now = Utc::now();
    let currency = snap
        .price
        .map_or_else(|| snap.marketplace.currency(), |m| m.currency());
    // A price in another currency than the product's is not comparable: treat
    // it as no price rather than alerting on it.
    let price = snap
        .price
        .filter(|m| m.currency().code() == row.currency || row.last_checked_at.is_none())
        .map(|m| m.minor());
    let availability = availability_str(snap.availability);
    let condition = snap.condition.map(condition_str);

    // A drop of more than half is checked again before anyone hears of it.
    if let (Some(old), Some(new)) = (row.last_price_minor, price)
        && new.saturating_mul(2) < old
        && row.pending_confirm_minor != Some(new)
    {
        let delay = app.tuning.confirm_delay;
        let mut m: products::ActiveModel = row.clone().into();
        m.pending_confirm_minor = Set(Some(new));
        m.next_check_at = Set(now + chrono::Duration::from_std(delay).unwrap_or_default());
        m.check_lease_until = Set(None);
        m.check_queued_at = Set(None);
        m.update(&app.db).await?;
        let key = format!("confirm:{}:{new}:{}", row.id, now.timestamp_millis());
        app.queues.push_check(row.id, &key, delay).await?;
        tracing::info!(
            product.id = row.id,
            old,
            new,
            "big drop: checking again before believing it"
        );
        return Ok(CheckOutcome::AwaitingConfirmation);
    }

    let first = row.last_checked_at.is_none();
    let changed = first
        || row.last_price_minor != price
        || row.availability.as_deref() != Some(availability)
        || row.condition.as_deref() != condition;
    let previous = (!first).then(|| Observation {
        price_minor: row.last_price_minor,
        stock: stock_of(row.availability.as_deref()),
        offer: offer_of(row.condition.as_deref()),
        at: row.last_checked_at.unwrap_or(row.created_at),
    });

    // A new point and the product update commit together; an unchanged
    // price is one UPDATE.
    let txn: Option<DatabaseTransaction> = if changed {
        Some(app.db.begin().await?)
    } else {
        None
    };
    let point_id = if let Some(txn) = &txn {
        let point = price_points::ActiveModel {
            product_id: Set(row.id),
            observed_at: Set(now),
            price_minor: Set(price),
            availability: Set(availability.to_string()),
            condition: Set(condition.map(String::from)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Some(point.id)
    } else {
        None
    };
    let period = chrono::Duration::from_std(app.tuning.check_period).unwrap_or_default();
    let mut m: products::ActiveModel = row.clone().into();
    m.title = Set(Some(snap.title.clone()));
    m.image_url = Set(snap.image_url.clone());
    if first {
        m.currency = Set(currency.code().to_string());
    }
    m.last_price_minor = Set(price);
    m.list_price_minor = Set(snap.list_price.map(|l| l.minor()));
    m.availability = Set(Some(availability.to_string()));
    m.condition = Set(condition.map(String::from));
    m.seller = Set(snap.seller.clone());
    m.last_checked_at = Set(Some(now));
    m.next_check_at = Set(Ord::max(now + period, row.next_check_at));
    m.failure_count = Set(0);
    m.pending_confirm_minor = Set(None);
    m.check_lease_until = Set(None);
    m.check_queued_at = Set(None);
    let updated = match txn {
        Some(txn) => {
            let updated = m.update(&txn).await?;
            txn.commit().await?;
            updated
        }
        None => m.update(&app.db).await?,
    };
    app.cache.put(&cached(&updated)).await;

    let alerts = match (point_id, previous) {
        (Some(point_id), Some(previous)) => {
            let now_obs = Observation {
                price_minor: price,
                stock: stock_of(Some(availability)),
                offer: offer_of(condition),
                at: now,
            };
            let alerts = fan_out(app, &updated, point_id, &previous, &now_obs).await?;
            if let (Some(new), Some(old)) = (price, previous.price_minor)
                && new < old
                && let Err(e) = super::feeds::on_drop(app, &updated, point_id, new, now).await
            {
                // Feeds are extra: a failure here must not undo the check.
                tracing::warn!(error = %format!("{e:#}"), product.id = updated.id, "feed posts failed");
            }
            alerts
        }
        _ => 0,
    };
    Ok(CheckOutcome::Checked { changed, alerts })
}

/// One watch to evaluate, with what fan-out needs of its user and destination.
struct FanRow {
    watch: WatchView,
    id: i64,
    user_id: i64,
    destination_id: i64,
    last_stock_alert_at: Option<DateTime<Utc>>,
    target_minor: Option<i64>,
    locale: String,
    alerts_today: u32,
    destination_kind: String,
    /// The user's confirmed, non-bouncing email destination, if any.
    email_destination_id: Option<i64>,
}

/// The product's unpaused watches at unpaused destinations, joined with their
/// users: one query on `ix_watches_product_state`.
async fn watchers(
    app: &App,
    product_id: i64,
    today: chrono::NaiveDate,
) -> anyhow::Result<Vec<FanRow>> {
    use watches::Column as W;
    let email_dest = sea_orm::sea_query::Alias::new("email_dest");
    let q = Query::select()
        .columns([
            (watches::Entity, W::Id),
            (watches::Entity, W::UserId),
            (watches::Entity, W::DestinationId),
            (watches::Entity, W::TargetMinor),
            (watches::Entity, W::ReferenceMinor),
            (watches::Entity, W::State),
            (watches::Entity, W::SnoozedUntil),
            (watches::Entity, W::LastAlertPriceMinor),
            (watches::Entity, W::LastAlertAt),
            (watches::Entity, W::LastStockAlertAt),
            (watches::Entity, W::BackInStock),
            (watches::Entity, W::AllowUsed),
            (watches::Entity, W::CreatedAt),
        ])
        .column((users::Entity, users::Column::Locale))
        .column((users::Entity, users::Column::AlertsDay))
        .column((users::Entity, users::Column::AlertsToday))
        .column((users::Entity, users::Column::DailyCap))
        .expr_as(
            Expr::col((destinations::Entity, destinations::Column::Kind)),
            sea_orm::sea_query::Alias::new("destination_kind"),
        )
        .expr_as(
            Expr::col((email_dest.clone(), destinations::Column::Id)),
            sea_orm::sea_query::Alias::new("email_destination_id"),
        )
        .from(watches::Entity)
        .inner_join(
            users::Entity,
            Expr::col((users::Entity, users::Column::Id)).equals((watches::Entity, W::UserId)),
        )
        .inner_join(
            destinations::Entity,
            Expr::col((destinations::Entity, destinations::Column::Id))
                .equals((watches::Entity, W::DestinationId)),
        )
        // Email alerts go to the user's confirmed address, found by the
        // unique (kind, address) index.
        .join_as(
            sea_orm::JoinType::LeftJoin,
            destinations::Entity,
            email_dest.clone(),
            sea_orm::Condition::all()
                .add(Expr::col((email_dest.clone(), destinations::Column::Kind)).eq("email"))
                .add(
                    Expr::col((email_dest.clone(), destinations::Column::Address))
                        .equals((users::Entity, users::Column::Email)),
                )
                .add(Expr::col((users::Entity, users::Column::EmailVerifiedAt)).is_not_null())
                .add(Expr::col((users::Entity, users::Column::EmailBouncingAt)).is_null())
                .add(Expr::col((email_dest.clone(), destinations::Column::PausedAt)).is_null()),
        )
        .and_where(Expr::col((watches::Entity, W::ProductId)).eq(product_id))
        .and_where(Expr::col((watches::Entity, W::State)).ne("paused"))
        .and_where(Expr::col((destinations::Entity, destinations::Column::PausedAt)).is_null())
        .to_owned();
    let rows = app
        .db
        .query_all(&q)
        .await
        .context("while loading the product's watches")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let state: String = r.try_get("", "state")?;
        let alerts_day: Option<chrono::NaiveDate> = r.try_get("", "alerts_day")?;
        let alerts_today: i32 = r.try_get("", "alerts_today")?;
        let target_minor: Option<i64> = r.try_get("", "target_minor")?;
        out.push(FanRow {
            watch: WatchView {
                target_minor,
                reference_minor: r.try_get("", "reference_minor")?,
                fired: state == "fired",
                paused: state == "paused",
                snoozed_until: r.try_get("", "snoozed_until")?,
                last_alert_price_minor: r.try_get("", "last_alert_price_minor")?,
                last_alert_at: r.try_get("", "last_alert_at")?,
                back_in_stock: r.try_get("", "back_in_stock")?,
                allow_used: r.try_get("", "allow_used")?,
                created_at: r.try_get("", "created_at")?,
            },
            id: r.try_get("", "id")?,
            user_id: r.try_get("", "user_id")?,
            destination_id: r.try_get("", "destination_id")?,
            last_stock_alert_at: r.try_get("", "last_stock_alert_at")?,
            target_minor,
            locale: r.try_get("", "locale")?,
            alerts_today: {
                let count = if alerts_day == Some(today) {
                    u32::try_from(alerts_today).unwrap_or(0)
                } else {
                    0
                };
                // A person's own cap (`/settings`) below the instance's.
                let cap: Option<i32> = r.try_get("", "daily_cap")?;
                match cap.and_then(|c| u32::try_from(c).ok()).filter(|c| *c > 0) {
                    Some(c) if count >= c => u32::MAX,
                    _ => count,
                }
            },
            destination_kind: r.try_get("", "destination_kind")?,
            email_destination_id: r.try_get("", "email_destination_id")?,
        });
    }
    Ok(out)
}

/// Evaluates every watch of the product (one indexed query) and writes one
/// outbox row per alert; only rows whose insert wins are enqueued.
pub async fn fan_out(
    app: &App,
    product: &products::Model,
    point_id: i64,
    previous: &Observation,
    now_obs: &Observation,
) -> anyhow::Result<usize> {
    let t0 = Instant::now();
    let today = now_obs.at.date_naive();
    let list = watchers(app, product.id, today).await?;
    if list.is_empty() {
        return Ok(0);
    }
    let loaded_ms = t0.elapsed().as_millis();
    let lowest_90d = is_lowest_90d(app, product.id, now_obs.price_minor, now_obs.at).await?;

    struct NewAlert<'a> {
        key: String,
        kind: &'static str,
        row: &'a FanRow,
        channel: &'static str,
        destination_id: i64,
        payload: String,
    }
    let mut alerts = Vec::new();
    let mut rearm = Vec::new();
    for w in &list {
        let history = History {
            previous: Some(previous.clone()),
            last_back_in_stock_alert_at: w.last_stock_alert_at,
            alerts_today_for_user: w.alerts_today,
        };
        let decision = alert::evaluate(&app.rules, &w.watch, &history, now_obs);
        match decision.alert {
            Some(a) => {
                let (kind, old, new) = match a {
                    Alert::PriceDrop {
                        from_minor,
                        to_minor,
                    } => ("price_drop", from_minor, Some(to_minor)),
                    Alert::BackInStock { price_minor } => {
                        ("back_in_stock", previous.price_minor, price_minor)
                    }
                };
                let channel = channel_for(&w.destination_kind);
                // The alert's own facts are frozen here; the product's title and
                // image are read when it is rendered.
                let payload = AlertPayload {
                    watch_id: Some(w.id),
                    product_id: product.id,
                    currency: product.currency.clone(),
                    old_price_minor: old,
                    new_price_minor: new,
                    target_minor: w.target_minor,
                    lowest_90d,
                    locale: w.locale.clone(),
                    ..Default::default()
                };
                let payload = serde_json::to_string(&payload)?;
                if let Some(email) = w.email_destination_id.filter(|_| channel != "email") {
                    alerts.push(NewAlert {
                        key: format!("w:{}:pp:{point_id}:email", w.id),
                        kind,
                        row: w,
                        channel: "email",
                        destination_id: email,
                        payload: payload.clone(),
                    });
                }
                alerts.push(NewAlert {
                    key: format!("w:{}:pp:{point_id}:{channel}", w.id),
                    kind,
                    row: w,
                    channel,
                    destination_id: w.destination_id,
                    payload,
                });
            }
            None if w.watch.fired && !decision.fired => rearm.push(w.id),
            None => {}
        }
    }

    if !rearm.is_empty() {
        let q = Query::update()
            .table(watches::Entity)
            .value(watches::Column::State, "armed")
            .and_where(Expr::col(watches::Column::Id).is_in(rearm))
            .and_where(Expr::col(watches::Column::State).eq("fired"))
            .to_owned();
        app.db.execute(&q).await?;
    }
    if alerts.is_empty() {
        return Ok(0);
    }
    let decided_ms = t0.elapsed().as_millis();

    // (notification id, watch id, user id, price drop?)
    let mut created: Vec<(i64, i64, i64, bool)> = Vec::new();
    let by_watch: std::collections::HashMap<i64, &NewAlert> =
        alerts.iter().map(|a| (a.row.id, a)).collect();
    let txn = app.db.begin().await?;
    let postgres = app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    // SQLite binds at most 32,766 values per statement.
    let id_chunk = if postgres { 100_000 } else { 5000 };
    let mut returned = Vec::new();
    if postgres {
        // One statement with the rows as one JSON parameter: PostgreSQL parses
        // that far faster than thousands of bound values.
        let rows: Vec<serde_json::Value> = alerts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "idempotency_key": a.key, "kind": a.kind, "watch_id": a.row.id,
                    "destination_id": a.destination_id, "channel": a.channel,
                    "payload": a.payload,
                })
            })
            .collect();
        let sql = "INSERT INTO notifications (idempotency_key, kind, watch_id, product_id, \
             price_point_id, destination_id, channel, payload, status, attempts, next_attempt_at, \
             created_at) SELECT x.idempotency_key, x.kind, x.watch_id, $2, $3, x.destination_id, \
             x.channel, x.payload, 'pending', 0, $4, $4 FROM json_to_recordset($1::json) AS \
             x(idempotency_key text, kind text, watch_id bigint, destination_id bigint, \
             channel text, payload text) ON CONFLICT (idempotency_key) DO NOTHING \
             RETURNING id, watch_id";
        let stmt = sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            sql,
            [
                serde_json::Value::Array(rows).to_string().into(),
                product.id.into(),
                point_id.into(),
                now_obs.at.into(),
            ],
        );
        returned.extend(txn.query_all_raw(stmt).await?);
    } else {
        for chunk in alerts.chunks(1000) {
            let mut q = Query::insert()
                .into_table(notifications::Entity)
                .columns([
                    notifications::Column::IdempotencyKey,
                    notifications::Column::Kind,
                    notifications::Column::WatchId,
                    notifications::Column::ProductId,
                    notifications::Column::PricePointId,
                    notifications::Column::DestinationId,
                    notifications::Column::Channel,
                    notifications::Column::Payload,
                    notifications::Column::Status,
                    notifications::Column::Attempts,
                    notifications::Column::NextAttemptAt,
                    notifications::Column::CreatedAt,
                ])
                .to_owned();
            for a in chunk {
                q.values([
                    a.key.clone().into(),
                    a.kind.into(),
                    a.row.id.into(),
                    product.id.into(),
                    point_id.into(),
                    a.destination_id.into(),
                    a.channel.into(),
                    a.payload.clone().into(),
                    "pending".into(),
                    0i32.into(),
                    now_obs.at.into(),
                    now_obs.at.into(),
                ])?;
            }
            q.on_conflict(
                OnConflict::column(notifications::Column::IdempotencyKey)
                    .do_nothing()
                    .to_owned(),
            );
            q.returning(
                Query::returning()
                    .columns([notifications::Column::Id, notifications::Column::WatchId]),
            );
            returned.extend(txn.query_all(&q).await?);
        }
    }
    for r in returned {
        let id: i64 = r.try_get("", "id")?;
        let watch_id: i64 = r.try_get("", "watch_id")?;
        if let Some(a) = by_watch.get(&watch_id) {
            created.push((id, watch_id, a.row.user_id, a.kind == "price_drop"));
        }
    }
    let inserted_ms = t0.elapsed().as_millis();
    if !created.is_empty() {
        // A price drop fires the watch at that price; a back-in-stock alert
        // only starts its own cooldown (it must not move the alerted price).
        let drops: Vec<i64> = created.iter().filter(|c| c.3).map(|c| c.1).collect();
        let restocks: Vec<i64> = created.iter().filter(|c| !c.3).map(|c| c.1).collect();
        for chunk in drops.chunks(id_chunk) {
            let q = Query::update()
                .table(watches::Entity)
                .value(watches::Column::State, "fired")
                .value(watches::Column::LastAlertPriceMinor, now_obs.price_minor)
                .value(watches::Column::LastAlertAt, now_obs.at)
                .value(watches::Column::UpdatedAt, now_obs.at)
                .and_where(ids_in(postgres, "id", chunk))
                .to_owned();
            txn.execute(&q).await?;
        }
        for chunk in restocks.chunks(id_chunk) {
            let q = Query::update()
                .table(watches::Entity)
                .value(watches::Column::LastStockAlertAt, now_obs.at)
                .value(watches::Column::UpdatedAt, now_obs.at)
                .and_where(ids_in(postgres, "id", chunk))
                .to_owned();
            txn.execute(&q).await?;
        }
        let mut user_ids: Vec<i64> = created.iter().map(|c| c.2).collect();
        user_ids.sort_unstable();
        user_ids.dedup();
        for chunk in user_ids.chunks(id_chunk) {
            let q = Query::update()
                .table(users::Entity)
                .value(
                    users::Column::AlertsToday,
                    Expr::case(
                        Expr::col(users::Column::AlertsDay).eq(today),
                        Expr::col(users::Column::AlertsToday).add(1),
                    )
                    .finally(1),
                )
                .value(users::Column::AlertsDay, today)
                .and_where(ids_in(postgres, "id", chunk))
                .to_owned();
            txn.execute(&q).await?;
        }
    }
    txn.commit().await?;
    let written_ms = t0.elapsed().as_millis();

    let ids: Vec<i64> = created.iter().map(|c| c.0).collect();
    app.queues
        .push_deliveries(&ids, std::time::Duration::ZERO)
        .await?;
    tracing::debug!(
        product.id = product.id,
        watches = list.len(),
        alerts = ids.len(),
        loaded_ms,
        decided_ms,
        inserted_ms,
        written_ms,
        total_ms = t0.elapsed().as_millis(),
        "fan-out"
    );
    app.metrics
        .alerts_created
        .fetch_add(ids.len() as u64, std::sync::atomic::Ordering::Relaxed);
    Ok(ids.len())
}

/// `column IN (ids)`; on PostgreSQL the ids travel as one JSON parameter
/// rather than thousands of bound values.
fn ids_in(postgres: bool, column: &'static str, ids: &[i64]) -> Expr {
    if postgres {
        let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        Expr::cust_with_values(
            format!(
                "\"{column}\" IN (SELECT value::bigint FROM json_array_elements_text($1::json))"
            ),
            [json],
        )
    } else {
        Expr::col(sea_orm::sea_query::Alias::new(column)).is_in(ids.iter().copied())
    }
}

pub fn watch_view(w: &watches::Model) -> WatchView {
    WatchView {
        target_minor: w.target_minor,
        reference_minor: w.reference_minor,
        fired: w.state == "fired",
        paused: w.state == "paused",
        snoozed_until: w.snoozed_until,
        last_alert_price_minor: w.last_alert_price_minor,
        last_alert_at: w.last_alert_at,
        back_in_stock: w.back_in_stock,
        allow_used: w.allow_used,
        created_at: w.created_at,
    }
}

/// True when `price` is at or below every price seen in the last 90 days.
async fn is_lowest_90d(
    app: &App,
    product_id: i64,
    price: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let Some(price) = price else { return Ok(false) };
    let q = Query::select()
        .expr_as(
            Expr::col(price_points::Column::PriceMinor).min(),
            sea_orm::sea_query::Alias::new("low"),
        )
        .from(price_points::Entity)
        .and_where(Expr::col(price_points::Column::ProductId).eq(product_id))
        .and_where(
            Expr::col(price_points::Column::ObservedAt).gte(now - chrono::Duration::days(90)),
        )
        .to_owned();
    let low = app
        .db
        .query_one(&q)
        .await?
        .and_then(|r| r.try_get::<Option<i64>>("", "low").ok().flatten());
    Ok(low.is_none_or(|l| price <= l))
}

/// Marks the product gone and tells each watcher once (the key has no price point).
async fn mark_gone(app: &App, row: &products::Model, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut m: products::ActiveModel = row.clone().into();
    m.gone_at = Set(Some(now));
    m.check_lease_until = Set(None);
    m.check_queued_at = Set(None);
    m.update(&app.db).await?;
    let list = watches::Entity::find()
        .filter(watches::Column::ProductId.eq(row.id))
        .filter(watches::Column::State.ne("paused"))
        .all(&app.db)
        .await?;
    let mut ids = Vec::new();
    for w in list {
        let Some(dest) = destinations::Entity::find_by_id(w.destination_id)
            .one(&app.db)
            .await?
        else {
            continue;
        };
        let locale = users::Entity::find_by_id(w.user_id)
            .one(&app.db)
            .await?
            .map_or_else(|| "en".to_string(), |u| u.locale);
        let channel = channel_for(&dest.kind);
        let payload = AlertPayload {
            watch_id: Some(w.id),
            product_id: row.id,
            marketplace: row.marketplace.clone(),
            asin: row.asin.clone(),
            title: row.title.clone().unwrap_or_default(),
            image_url: row.image_url.clone(),
            currency: row.currency.clone(),
            old_price_minor: row.last_price_minor,
            locale,
            ..Default::default()
        };
        let insert = notifications::Entity::insert(notifications::ActiveModel {
            watch_id: Set(Some(w.id)),
            product_id: Set(Some(row.id)),
            ..notifications::ActiveModel::pending(
                format!("w:{}:gone:{channel}", w.id),
                "gone",
                dest.id,
                channel,
                serde_json::to_string(&payload)?,
                now,
            )
        })
        .on_conflict(
            OnConflict::column(notifications::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec(&app.db)
        .await;
        match insert {
            Ok(r) => ids.push(r.last_insert_id),
            Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    app.queues
        .push_deliveries(&ids, std::time::Duration::ZERO)
        .await?;
    Ok(())
}
