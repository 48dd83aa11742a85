//! A product's price history and its statistics.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::app::App;
use crate::store::entities::{price_points, products};

/// Summary figures in minor units of the product's currency.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    pub current: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Time-weighted average over the range (each price counts for as long as it held).
    pub average: Option<i64>,
    pub lowest_90d: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct HistoryView {
    pub product: products::Model,
    /// (observed at, price or none when not buyable), oldest first.
    pub points: Vec<(DateTime<Utc>, Option<i64>)>,
    pub stats: Stats,
}

/// Points and stats for the last `range`.
pub async fn history(
    app: &App,
    product_id: i64,
    range: Duration,
) -> anyhow::Result<Option<HistoryView>> {
    history_in(&app.db, product_id, range).await
}

/// [`history`] from a database handle (for notifiers, which hold no `App`).
pub async fn history_in(
    db: &sea_orm::DatabaseConnection,
    product_id: i64,
    range: Duration,
) -> anyhow::Result<Option<HistoryView>> {
    let Some(product) = products::Entity::find_by_id(product_id).one(db).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let since = now - range.max(Duration::days(90));
    let all = price_points::Entity::find()
        .filter(price_points::Column::ProductId.eq(product_id))
        .filter(price_points::Column::ObservedAt.gte(since))
        .order_by_asc(price_points::Column::ObservedAt)
        .all(db)
        .await?;
    // The last point before the range tells the price at its start.
    let start = now - range;
    let before = price_points::Entity::find()
        .filter(price_points::Column::ProductId.eq(product_id))
        .filter(price_points::Column::ObservedAt.lt(start))
        .order_by_desc(price_points::Column::ObservedAt)
        .one(db)
        .await?;
    let mut points: Vec<(DateTime<Utc>, Option<i64>)> =
        before.map(|p| (start, p.price_minor)).into_iter().collect();
    points.extend(
        all.iter()
            .filter(|p| p.observed_at >= start)
            .map(|p| (p.observed_at, p.price_minor)),
    );
    let lowest_90d = all
        .iter()
        .filter(|p| p.observed_at >= now - Duration::days(90))
        .filter_map(|p| p.price_minor)
        .min();
    let stats = stats(&points, now, product.last_price_minor, lowest_90d);
    Ok(Some(HistoryView {
        product,
        points,
        stats,
    }))
}

/// Pure: the figures for a step series that ends at `now`.
pub fn stats(
    points: &[(DateTime<Utc>, Option<i64>)],
    now: DateTime<Utc>,
    current: Option<i64>,
    lowest_90d: Option<i64>,
) -> Stats {
    let prices: Vec<i64> = points.iter().filter_map(|p| p.1).collect();
    let mut weighted: i128 = 0;
    let mut total: i128 = 0;
    for (i, (at, price)) in points.iter().enumerate() {
        let end = points.get(i + 1).map_or(now, |n| n.0);
        let secs = i128::from((end - *at).num_seconds().max(0));
        if let Some(p) = price {
            weighted += i128::from(*p) * secs;
            total += secs;
        }
    }
    let average = if total > 0 {
        i64::try_from(weighted / total).ok()
    } else {
        prices.first().copied()
    };
    Stats {
        current,
        min: prices.iter().min().copied(),
        max: prices.iter().max().copied(),
        average,
        lowest_90d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_weight_prices_by_how_long_they_held() {
        let t0 = Utc::now() - Duration::hours(4);
        let pts = [
            (t0, Some(1000)),
            (t0 + Duration::hours(3), Some(2000)),
            (t0 + Duration::hours(3) + Duration::minutes(30), None),
        ];
        let s = stats(&pts, t0 + Duration::hours(4), Some(2000), Some(1000));
        assert_eq!((s.min, s.max), (Some(1000), Some(2000)));
        // 3 h at 10.00 and 0.5 h at 20.00; the unavailable half hour does not count.
        assert_eq!(s.average, Some((1000 * 6 + 2000) / 7));
        assert_eq!(stats(&[], Utc::now(), None, None), Stats::default());
    }
}
