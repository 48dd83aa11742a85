//! When a watch fires: turns one new observation of a product into at most
//! one alert and the watch's new armed/fired state. Pure; the caller loads
//! the inputs, stores the state and sends the alert.
//!
//! The rules, in the order [`evaluate`] applies them:
//!
//! 1. **What counts.** Only a buyable observation moves prices: in stock,
//!    with a price, and a new offer (or a used one if the watch allows used).
//!    An unknown offer (`None`: no featured offer) is not buyable.
//! 2. **Re-arm.** A fired watch re-arms (`fired = false`) when the price rises
//!    above `target × (1 + hysteresis)`; for "any drop", when the price is
//!    back at the reference (the drop is over). Re-arming sends nothing, so it
//!    happens even while paused, snoozed or capped.
//! 3. **Price alert.** An armed watch fires when the price is at or below its
//!    target. A fired one fires again only at least `step_pct` below the last
//!    alerted price.
//! 4. **Back in stock.** When the product becomes available (in stock with an
//!    acceptable offer) after the previous observation was not, unless
//!    another back-in-stock alert went out within `flap_cooldown`.
//! 5. **Gates.** Paused, snoozed (`at < snoozed_until`), or the user's daily
//!    cap reached: nothing is sent and `fired` is not set, so the alert fires
//!    on a later check. [`Decision::suppressed`] says why.
//!
//! **Noise.** `noise_pct` is the smallest move that counts as a change. It is
//! measured against the price an alert would be relative to, never against
//! the previous observation alone, and never against a target the user typed:
//! - "any drop" fires only at least `noise_pct` below the reference;
//! - a repeat alert needs at least `max(step_pct, noise_pct)` off the last
//!   alerted price (so `ALERT_STEP_PCT=0` still ignores a 0.5 % wiggle);
//! - re-arming needs at least `max(hysteresis_pct, noise_pct)` above the target.
//!
//! A first crossing of a typed target fires even if it is one cent: the user
//! chose the number. A gate against the previous observation would also be
//! wrong here, since these rules look at levels, not edges: a price held
//! back as noise at 19.99 would look like noise (no change) at every later
//! check, and the alert would never come.
//!
//! **Both at once.** Back in stock and at the target sends one alert, the
//! [`Alert::PriceDrop`]: it is the one the user set a number for, it carries
//! the price, and a renderer that sees the previous observation was not in
//! stock can say "back in stock" too. So a sent price alert always sets
//! `fired`, and a back-in-stock alert never changes it.
//!
//! Percentages are integer arithmetic on minor units in `i128`, rounded down
//! to the minor unit: "at least p % below x" is `price ≤ ⌊x·(100−p)/100⌋`,
//! "more than p % above x" is `price > ⌊x·(100+p)/100⌋`, both exact.

use chrono::{DateTime, Duration, Utc};

/// Whether the product can be bought now. Mirrors `amazon::Availability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stock {
    InStock,
    OutOfStock,
    Unavailable,
    OnlyOtherSellers,
}

/// The condition of the featured offer. Mirrors `amazon::Condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offer {
    New,
    Used,
}

/// Tuning shared by all watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// A fired watch fires again this many percent below the last alert (`ALERT_STEP_PCT`).
    pub step_pct: u32,
    /// A fired watch re-arms this many percent above its target.
    pub hysteresis_pct: u32,
    /// Smaller moves than this are not changes.
    pub noise_pct: u32,
    /// No second back-in-stock alert within this time.
    pub flap_cooldown: Duration,
    /// Alerts per user per day (`MAX_ALERTS_PER_DAY`).
    pub max_alerts_per_day: u32,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            step_pct: 5,
            hysteresis_pct: 2,
            noise_pct: 1,
            flap_cooldown: Duration::hours(6),
            max_alerts_per_day: 10,
        }
    }
}

/// The watch as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchView {
    /// The effective target (`Target::resolve`); `None`: any drop below the reference.
    pub target_minor: Option<i64>,
    /// The price when the target was set.
    pub reference_minor: Option<i64>,
    /// A price alert went out and the watch has not re-armed since. Changing
    /// the target should reset it.
    pub fired: bool,
    pub paused: bool,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub last_alert_price_minor: Option<i64>,
    pub last_alert_at: Option<DateTime<Utc>>,
    /// The user wants back-in-stock alerts.
    pub back_in_stock: bool,
    pub allow_used: bool,
    pub created_at: DateTime<Utc>,
}

/// One check of the product page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub price_minor: Option<i64>,
    pub stock: Stock,
    /// `None` when there is no featured offer.
    pub offer: Option<Offer>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// The last observation before this one.
    pub previous: Option<Observation>,
    pub last_back_in_stock_alert_at: Option<DateTime<Utc>>,
    /// Alerts the watch's user has been sent today, over all watches.
    pub alerts_today_for_user: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// The price reached the target (or dropped a step further), possibly
    /// just as the product came back in stock. Store `to_minor` as the
    /// watch's `last_alert_price_minor`.
    ///
    /// `from_minor` is the last price the user could have paid above
    /// `to_minor`: the previous buyable price, else the last alerted price,
    /// else the reference; `None` when none of them is higher.
    PriceDrop {
        from_minor: Option<i64>,
        to_minor: i64,
    },
    /// Available again, above the target or not a step below the last
    /// alert. Leaves `fired` and `last_alert_price_minor` as they were.
    BackInStock { price_minor: Option<i64> },
}

/// Why an alert that was due was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suppressed {
    Paused,
    Snoozed,
    /// The user had `max_alerts_per_day` alerts today.
    DailyCap,
    /// Back in stock again within `flap_cooldown` of the last such alert.
    Cooldown,
    /// The drop was real but smaller than `noise_pct`.
    Noise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub alert: Option<Alert>,
    /// The watch's new fired flag.
    pub fired: bool,
    pub suppressed: Option<Suppressed>,
}

/// Decides what the observation `now` means for `watch`. See the module docs.
///
/// An observation from before the watch existed, or not newer than its last
/// alert (a retried or overlapping check), changes nothing.
pub fn evaluate(
    rules: &Rules,
    watch: &WatchView,
    history: &History,
    now: &Observation,
) -> Decision {
    let mut decision = Decision {
        alert: None,
        fired: watch.fired,
        suppressed: None,
    };
    if now.at < watch.created_at || watch.last_alert_at.is_some_and(|t| now.at <= t) {
        return decision;
    }

    let price = buyable_price(now, watch.allow_used);
    let goal = Goal::new(rules, watch);
    if let (Some(price), Some(goal)) = (price, &goal)
        && price > goal.rearm_above
    {
        decision.fired = false;
    }

    let price_rule = match (price, &goal) {
        (Some(price), Some(goal)) => goal.judge(rules, watch, decision.fired, price),
        _ => Verdict::Miss,
    };
    let became_available = watch.back_in_stock
        && is_available(now, watch.allow_used)
        && history
            .previous
            .as_ref()
            .is_some_and(|p| !is_available(p, watch.allow_used));
    let cooling_down = history
        .last_back_in_stock_alert_at
        .is_some_and(|t| now.at.signed_duration_since(t) < rules.flap_cooldown);
    let back_in_stock = became_available && !cooling_down;

    let due = match (price_rule, price) {
        (Verdict::Hit, Some(price)) => Alert::PriceDrop {
            from_minor: drop_origin(watch, history, price),
            to_minor: price,
        },
        _ if back_in_stock => Alert::BackInStock { price_minor: price },
        _ => {
            decision.suppressed = if price_rule == Verdict::Noise {
                Some(Suppressed::Noise)
            } else if became_available {
                Some(Suppressed::Cooldown)
            } else {
                None
            };
            return decision;
        }
    };

    decision.suppressed = if watch.paused {
        Some(Suppressed::Paused)
    } else if watch.snoozed_until.is_some_and(|until| now.at < until) {
        Some(Suppressed::Snoozed)
    } else if history.alerts_today_for_user >= rules.max_alerts_per_day {
        Some(Suppressed::DailyCap)
    } else {
        None
    };
    if decision.suppressed.is_none() {
        decision.fired |= matches!(due, Alert::PriceDrop { .. });
        decision.alert = Some(due);
    }
    decision
}

/// What the price rule says about one buyable price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Hit,
    Miss,
    /// It would be a hit but for `noise_pct`.
    Noise,
}

/// The watch's price lines, in minor units.
struct Goal {
    /// Fire at or below this.
    fire_at: i64,
    /// `fire_at` before the noise margin ("any drop": one unit below the reference).
    fire_at_without_noise: i64,
    /// Re-arm above this.
    rearm_above: i64,
}

impl Goal {
    fn new(rules: &Rules, watch: &WatchView) -> Option<Goal> {
        match (watch.target_minor, watch.reference_minor) {
            (Some(target), _) => Some(Goal {
                fire_at: target,
                fire_at_without_noise: target,
                rearm_above: rise_line(target, rules.hysteresis_pct.max(rules.noise_pct)),
            }),
            (None, Some(reference)) => Some(Goal {
                fire_at: drop_line(reference, rules.noise_pct),
                fire_at_without_noise: drop_line(reference, 0),
                rearm_above: reference.saturating_sub(1),
            }),
            (None, None) => None,
        }
    }

    fn judge(&self, rules: &Rules, watch: &WatchView, fired: bool, price: i64) -> Verdict {
        if !fired {
            return if price <= self.fire_at {
                Verdict::Hit
            } else if price <= self.fire_at_without_noise {
                Verdict::Noise
            } else {
                Verdict::Miss
            };
        }
        if price > self.fire_at {
            return Verdict::Miss;
        }
        // Fired without a recorded price (older rows): step from the target.
        let last = watch.last_alert_price_minor.unwrap_or(self.fire_at);
        if price <= drop_line(last, rules.step_pct.max(rules.noise_pct)) {
            Verdict::Hit
        } else if price <= drop_line(last, rules.step_pct) {
            Verdict::Noise
        } else {
            Verdict::Miss
        }
    }
}

fn offer_ok(offer: Option<Offer>, allow_used: bool) -> bool {
    match offer {
        Some(Offer::New) => true,
        Some(Offer::Used) => allow_used,
        None => false,
    }
}

fn is_available(o: &Observation, allow_used: bool) -> bool {
    o.stock == Stock::InStock && offer_ok(o.offer, allow_used)
}

/// The price the user could pay now, if any.
fn buyable_price(o: &Observation, allow_used: bool) -> Option<i64> {
    o.price_minor.filter(|_| is_available(o, allow_used))
}

/// See [`Alert::PriceDrop`].
fn drop_origin(watch: &WatchView, history: &History, to: i64) -> Option<i64> {
    let previous = history
        .previous
        .as_ref()
        .and_then(|p| buyable_price(p, watch.allow_used));
    [
        previous,
        watch.last_alert_price_minor,
        watch.reference_minor,
    ]
    .into_iter()
    .flatten()
    .find(|&from| from > to)
}

/// The highest price at least `pct` % below `base`, and below it by at least
/// one minor unit: `min(⌊base·(100−pct)/100⌋, base−1)`.
fn drop_line(base: i64, pct: u32) -> i64 {
    let keep = 100 - i128::from(pct.min(100));
    let line = (i128::from(base) * keep).div_euclid(100);
    saturate(line.min(i128::from(base) - 1))
}

/// The highest price at most `pct` % above `base`: `⌊base·(100+pct)/100⌋`.
fn rise_line(base: i64, pct: u32) -> i64 {
    let line = (i128::from(base) * (100 + i128::from(pct))).div_euclid(100);
    saturate(line)
}

fn saturate(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stock::*;

    /// Hours since an arbitrary epoch; checks happen at `NOW`, the previous
    /// one an hour earlier, the last alert two hours earlier.
    const NOW: i64 = 100;

    fn t(hours: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::hours(hours)
    }

    /// Target 20.00, reference 25.00, armed, back-in-stock alerts on, new only.
    fn watch() -> WatchView {
        WatchView {
            target_minor: Some(2000),
            reference_minor: Some(2500),
            fired: false,
            paused: false,
            snoozed_until: None,
            last_alert_price_minor: None,
            last_alert_at: None,
            back_in_stock: true,
            allow_used: false,
            created_at: t(0),
        }
    }

    /// `watch()` after an alert at `last`.
    fn fired_at(last: i64) -> WatchView {
        WatchView {
            fired: true,
            last_alert_price_minor: Some(last),
            last_alert_at: Some(t(NOW - 2)),
            ..watch()
        }
    }

    /// "Any drop" below 25.00.
    fn any_drop() -> WatchView {
        WatchView {
            target_minor: None,
            ..watch()
        }
    }

    /// In stock, new, at `price`.
    fn obs(price: i64) -> Observation {
        Observation {
            price_minor: Some(price),
            stock: InStock,
            offer: Some(Offer::New),
            at: t(NOW),
        }
    }

    fn used(price: i64) -> Observation {
        Observation {
            offer: Some(Offer::Used),
            ..obs(price)
        }
    }

    fn priced(stock: Stock, price: i64) -> Observation {
        Observation {
            stock,
            ..obs(price)
        }
    }

    /// Not in stock, no offer, no price.
    fn gone(stock: Stock) -> Observation {
        Observation {
            price_minor: None,
            stock,
            offer: None,
            at: t(NOW),
        }
    }

    fn after(previous: Observation) -> History {
        History {
            previous: Some(Observation {
                at: t(NOW - 1),
                ..previous
            }),
            last_back_in_stock_alert_at: None,
            alerts_today_for_user: 0,
        }
    }

    fn first_check() -> History {
        History {
            previous: None,
            ..after(obs(0))
        }
    }

    fn quiet(fired: bool) -> Decision {
        Decision {
            alert: None,
            fired,
            suppressed: None,
        }
    }

    fn held(fired: bool, why: Suppressed) -> Decision {
        Decision {
            alert: None,
            fired,
            suppressed: Some(why),
        }
    }

    fn dropped(from: Option<i64>, to: i64) -> Decision {
        Decision {
            alert: Some(Alert::PriceDrop {
                from_minor: from,
                to_minor: to,
            }),
            fired: true,
            suppressed: None,
        }
    }

    fn back(price: Option<i64>, fired: bool) -> Decision {
        Decision {
            alert: Some(Alert::BackInStock { price_minor: price }),
            fired,
            suppressed: None,
        }
    }

    struct Case {
        name: &'static str,
        rules: Rules,
        watch: WatchView,
        history: History,
        now: Observation,
        want: Decision,
    }

    fn case(
        name: &'static str,
        watch: WatchView,
        history: History,
        now: Observation,
        want: Decision,
    ) -> Case {
        Case {
            name,
            rules: Rules::default(),
            watch,
            history,
            now,
            want,
        }
    }

    /// Runs every row and reports all the rows that fail, by name.
    fn run(cases: &[Case]) {
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|c| {
                let got = evaluate(&c.rules, &c.watch, &c.history, &c.now);
                (got != c.want).then(|| format!("{}:\n  got  {got:?}\n  want {:?}", c.name, c.want))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    #[rustfmt::skip]
    fn price_targets() {
        let allow_used = WatchView { allow_used: true, ..watch() };
        let no_reference = WatchView { reference_minor: None, ..watch() };
        let fired_no_price = WatchView { last_alert_price_minor: None, ..fired_at(0) };
        let rearmed = WatchView { fired: false, ..fired_at(2000) };
        let no_offer = Observation { offer: None, ..obs(1500) };
        let no_price = Observation { price_minor: None, ..obs(0) };
        run(&[
            case("first crossing", watch(), after(obs(2100)), obs(1950), dropped(Some(2100), 1950)),
            case("exact equality", watch(), after(obs(2100)), obs(2000), dropped(Some(2100), 2000)),
            case("above target", watch(), after(obs(2100)), obs(2001), quiet(false)),
            case("one cent across still fires", watch(), after(obs(2001)), obs(2000), dropped(Some(2001), 2000)),
            case("already below while armed", watch(), after(obs(1950)), obs(1950), dropped(Some(2500), 1950)),
            case("first check ever", watch(), first_check(), obs(1950), dropped(Some(2500), 1950)),
            case("used offer denied", watch(), after(obs(2100)), used(1500), quiet(false)),
            case("used offer allowed", allow_used, after(obs(2100)), used(1500), dropped(Some(2100), 1500)),
            case("no featured offer", watch(), after(obs(2100)), no_offer, quiet(false)),
            case("out of stock with price", watch(), after(obs(2100)), priced(OutOfStock, 1500), quiet(false)),
            case("unavailable with price", watch(), after(obs(2100)), priced(Unavailable, 1500), quiet(false)),
            case("other sellers only with price", watch(), after(obs(2100)), priced(OnlyOtherSellers, 1500), quiet(false)),
            case("missing price", watch(), after(obs(2100)), no_price, quiet(false)),
            case("from skips an unbuyable previous", watch(), after(used(2200)), obs(1950), dropped(Some(2500), 1950)),
            case("from is none when nothing was higher", no_reference, after(obs(1900)), obs(1950), dropped(None, 1950)),
            case("step not reached", fired_at(2000), after(obs(1950)), obs(1901), quiet(true)),
            case("step reached (5% off 20.00)", fired_at(2000), after(obs(1950)), obs(1900), dropped(Some(1950), 1900)),
            case("step counts from the last alert", fired_at(1800), after(obs(1800)), obs(1711), quiet(true)),
            case("step from the last alert reached", fired_at(1800), after(obs(1800)), obs(1710), dropped(Some(1800), 1710)),
            case("fired without a price: step from target", fired_no_price, after(obs(1950)), obs(1900), dropped(Some(1950), 1900)),
            case("re-arm not reached (inside 2%)", fired_at(2000), after(obs(2000)), obs(2040), quiet(true)),
            case("hysteresis re-arms", fired_at(2000), after(obs(2000)), obs(2041), quiet(false)),
            case("re-armed: refires at target", rearmed, after(obs(2041)), obs(2000), dropped(Some(2041), 2000)),
            case("not re-armed: no refire at target", fired_at(2000), after(obs(2040)), obs(2000), quiet(true)),
            case("unbuyable price does not re-arm", fired_at(2000), after(obs(2000)), priced(OutOfStock, 3000), quiet(true)),
            case("used price does not re-arm", fired_at(2000), after(obs(2000)), used(3000), quiet(true)),
        ]);
    }

    /// The state a caller stores carries from one check to the next.
    #[test]
    fn re_arm_then_refire_over_a_day() {
        let rules = Rules::default();
        let mut w = watch();
        let mut previous = None;
        let mut sent = Vec::new();
        let prices = [2100, 1990, 2030, 1995, 1890, 2100, 1999, 1999];
        for (hour, price) in (1..).zip(prices) {
            let now = Observation {
                at: t(hour),
                ..obs(price)
            };
            let history = History {
                previous,
                last_back_in_stock_alert_at: None,
                alerts_today_for_user: 0,
            };
            let d = evaluate(&rules, &w, &history, &now);
            if let Some(alert @ Alert::PriceDrop { to_minor, .. }) = d.alert {
                sent.push((hour, alert));
                w.last_alert_price_minor = Some(to_minor);
                w.last_alert_at = Some(now.at);
            }
            w.fired = d.fired;
            previous = Some(now);
        }
        let drop = |from, to| Alert::PriceDrop {
            from_minor: Some(from),
            to_minor: to,
        };
        // 20.30 stays inside the 2% band (20.40), so 19.95 is not news;
        // 18.90 is 5% under 19.90; 21.00 re-arms, so 19.99 is news again.
        assert_eq!(
            sent,
            vec![
                (2, drop(2100, 1990)),
                (5, drop(1995, 1890)),
                (7, drop(2100, 1999))
            ]
        );
    }

    #[test]
    #[rustfmt::skip]
    fn back_in_stock() {
        let cooled = |hours_ago: i64| History {
            last_back_in_stock_alert_at: Some(t(NOW - hours_ago)),
            ..after(gone(OutOfStock))
        };
        let no_bis = WatchView { back_in_stock: false, ..watch() };
        let no_price = Observation { price_minor: None, ..obs(0) };
        run(&[
            case("back from out of stock", watch(), after(gone(OutOfStock)), obs(2300), back(Some(2300), false)),
            case("back from unavailable", watch(), after(gone(Unavailable)), obs(2300), back(Some(2300), false)),
            case("back from other sellers only", watch(), after(gone(OnlyOtherSellers)), obs(2300), back(Some(2300), false)),
            case("back from out of stock with a price", watch(), after(priced(OutOfStock, 2400)), obs(2300), back(Some(2300), false)),
            case("back, price unreadable", watch(), after(gone(OutOfStock)), no_price, back(None, false)),
            case("back at target: one price alert", watch(), after(gone(OutOfStock)), obs(1900), dropped(Some(2500), 1900)),
            case("back while fired, a step lower", fired_at(2000), after(gone(OutOfStock)), obs(1900), dropped(Some(2000), 1900)),
            case("back while fired, not a step lower", fired_at(2000), after(gone(OutOfStock)), obs(1950), back(Some(1950), true)),
            case("back and re-armed", fired_at(2000), after(gone(OutOfStock)), obs(2300), back(Some(2300), false)),
            case("new offer after used only", watch(), after(used(1500)), obs(2300), back(Some(2300), false)),
            case("still in stock", watch(), after(obs(2300)), obs(2300), quiet(false)),
            case("first observation", watch(), first_check(), obs(2300), quiet(false)),
            case("back, but used only", watch(), after(gone(OutOfStock)), used(2300), quiet(false)),
            case("back-in-stock disabled", no_bis.clone(), after(gone(OutOfStock)), obs(2300), quiet(false)),
            case("disabled, at target: price alert", no_bis, after(gone(OutOfStock)), obs(1900), dropped(Some(2500), 1900)),
            case("back-in-stock cooldown", watch(), cooled(2), obs(2300), held(false, Suppressed::Cooldown)),
            case("cooldown over (exactly 6 h)", watch(), cooled(6), obs(2300), back(Some(2300), false)),
            case("cooldown, at target: price alert", watch(), cooled(2), obs(1900), dropped(Some(2500), 1900)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn gates() {
        let snoozed = |until| WatchView { snoozed_until: Some(t(until)), ..watch() };
        let paused = WatchView { paused: true, ..watch() };
        let capped = |n, previous| History { alerts_today_for_user: n, ..after(previous) };
        let fired_snoozed = WatchView { snoozed_until: Some(t(NOW + 1)), ..fired_at(2000) };
        let alerted_now = WatchView { last_alert_at: Some(t(NOW)), ..fired_at(2100) };
        let created_later = WatchView { created_at: t(NOW + 1), ..watch() };
        run(&[
            case("daily cap", watch(), capped(10, obs(2100)), obs(1950), held(false, Suppressed::DailyCap)),
            case("over the daily cap", watch(), capped(11, obs(2100)), obs(1950), held(false, Suppressed::DailyCap)),
            case("under the daily cap", watch(), capped(9, obs(2100)), obs(1950), dropped(Some(2100), 1950)),
            case("daily cap holds back in stock", watch(), capped(10, gone(OutOfStock)), obs(2300), held(false, Suppressed::DailyCap)),
            case("daily cap, nothing due", watch(), capped(10, obs(2100)), obs(2100), quiet(false)),
            case("snoozed", snoozed(NOW + 1), after(obs(2100)), obs(1950), held(false, Suppressed::Snoozed)),
            case("snooze over", snoozed(NOW), after(obs(2100)), obs(1950), dropped(Some(2100), 1950)),
            case("paused", paused.clone(), after(obs(2100)), obs(1950), held(false, Suppressed::Paused)),
            case("paused, nothing due", paused.clone(), after(obs(2100)), obs(2100), quiet(false)),
            case("paused wins over the cap", paused, capped(10, obs(2100)), obs(1950), held(false, Suppressed::Paused)),
            case("re-arms while snoozed", fired_snoozed, after(obs(2000)), obs(2100), quiet(false)),
            case("stale: not newer than the last alert", alerted_now, after(obs(2100)), obs(1000), quiet(true)),
            case("stale: before the watch existed", created_later, after(obs(2100)), obs(1950), quiet(false)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn noise_and_any_drop() {
        let step_zero = Rules { step_pct: 0, ..Rules::default() };
        let no_hysteresis = Rules { hysteresis_pct: 0, ..Rules::default() };
        let with = |rules: Rules, c: Case| Case { rules, ..c };
        let any_fired = WatchView { target_minor: None, ..fired_at(2475) };
        let any_rearmed = WatchView { fired: false, ..any_fired.clone() };
        let any_no_reference = WatchView { reference_minor: None, ..any_drop() };
        run(&[
            // Reference 25.00 and 1% noise: 24.75 is the first real drop.
            case("any drop: under noise", any_drop(), after(obs(2500)), obs(2480), held(false, Suppressed::Noise)),
            case("any drop: one unit short", any_drop(), after(obs(2500)), obs(2476), held(false, Suppressed::Noise)),
            case("any drop: fires at 1%", any_drop(), after(obs(2500)), obs(2475), dropped(Some(2500), 2475)),
            case("any drop: at the reference", any_drop(), after(obs(2400)), obs(2500), quiet(false)),
            case("any drop: above the reference", any_drop(), after(obs(2500)), obs(2600), quiet(false)),
            case("any drop: no reference", any_no_reference, after(obs(2500)), obs(1000), quiet(false)),
            // Fired at 24.75: 5% further is 23.51 (23.5125 rounded down).
            case("any drop: step not reached", any_fired.clone(), after(obs(2475)), obs(2352), quiet(true)),
            case("any drop: step reached", any_fired.clone(), after(obs(2475)), obs(2351), dropped(Some(2475), 2351)),
            case("any drop: under the reference keeps it fired", any_fired.clone(), after(obs(2475)), obs(2499), quiet(true)),
            case("any drop: back at the reference re-arms", any_fired, after(obs(2475)), obs(2500), quiet(false)),
            case("any drop: re-armed, fires again", any_rearmed, after(obs(2500)), obs(2400), dropped(Some(2500), 2400)),
            // ALERT_STEP_PCT=0: every drop of at least 1% off the last alert.
            with(step_zero, case("step 0: a 0.5% wiggle is noise", fired_at(2000), after(obs(2000)), obs(1990), held(true, Suppressed::Noise))),
            with(step_zero, case("step 0: 1% refires", fired_at(2000), after(obs(1990)), obs(1980), dropped(Some(1990), 1980))),
            with(step_zero, case("step 0: the same price is nothing", fired_at(2000), after(obs(2000)), obs(2000), quiet(true))),
            // Hysteresis 0 still needs more than 1% to re-arm (above 20.20).
            with(no_hysteresis, case("hysteresis 0: a cent up", fired_at(2000), after(obs(2000)), obs(2001), quiet(true))),
            with(no_hysteresis, case("hysteresis 0: exactly 1% up", fired_at(2000), after(obs(2000)), obs(2020), quiet(true))),
            with(no_hysteresis, case("hysteresis 0: over 1% re-arms", fired_at(2000), after(obs(2000)), obs(2021), quiet(false))),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn currencies_without_minor_units() {
        // JPY minor units are yen. Target ¥1,500: 5% under is ¥1,425, 2% over ¥1,530.
        let yen = WatchView { target_minor: Some(1500), reference_minor: Some(1800), ..watch() };
        let fired = WatchView { fired: true, last_alert_price_minor: Some(1500), last_alert_at: Some(t(NOW - 2)), ..yen.clone() };
        // ¥99 and 1% noise: ⌊98.01⌋ = ¥98.
        let cheap = WatchView { target_minor: None, reference_minor: Some(99), ..yen.clone() };
        run(&[
            case("JPY: crossing", yen.clone(), after(obs(1600)), obs(1500), dropped(Some(1600), 1500)),
            case("JPY: above", yen, after(obs(1600)), obs(1501), quiet(false)),
            case("JPY: step not reached", fired.clone(), after(obs(1500)), obs(1426), quiet(true)),
            case("JPY: step reached", fired.clone(), after(obs(1500)), obs(1425), dropped(Some(1500), 1425)),
            case("JPY: inside hysteresis", fired.clone(), after(obs(1500)), obs(1530), quiet(true)),
            case("JPY: re-arms", fired, after(obs(1500)), obs(1531), quiet(false)),
            case("JPY any drop: one yen off ¥99", cheap, after(obs(99)), obs(98), dropped(Some(99), 98)),
        ]);
    }

    #[test]
    fn percent_lines_round_down_and_do_not_overflow() {
        assert_eq!(drop_line(1999, 5), 1899); // 1899.05
        assert_eq!(drop_line(2000, 5), 1900);
        assert_eq!(drop_line(50, 1), 49); // 49.5
        assert_eq!(drop_line(10, 1), 9); // 9.9
        assert_eq!(drop_line(1, 1), 0);
        assert_eq!(drop_line(2000, 0), 1999, "a drop is at least one unit");
        assert_eq!(drop_line(2000, 150), 0);
        assert_eq!(drop_line(i64::MAX, 5), i64::MAX / 100 * 95 + 6);
        assert_eq!(rise_line(2000, 2), 2040);
        assert_eq!(rise_line(1999, 2), 2038); // 2038.98
        assert_eq!(rise_line(i64::MAX, 2), i64::MAX);
    }
}
