//! What the chat bots say, decided once for every platform: product cards,
//! alerts, the watch list, settings and error replies, as plain localized
//! text plus buttons that name an [`Action`]. Adapters escape the text for
//! their markup, lay it out and turn actions into their callback ids.

use chrono::Utc;

use crate::amazon::url::UrlError;
use crate::cache::CachedSnapshot;
use crate::domain::target::{Target, TargetError};
use crate::domain::{Currency, Money, ProductRef};
use crate::i18n::{Key, format_money, t};
use crate::notify::AlertPayload;
use crate::store::entities::{products, users, watches};
use crate::tracking::chat::Setting;
use crate::tracking::{Stats, TrackError, WatchItem};

/// Cards sent for one message, at most.
pub const MAX_CARDS: usize = 5;
/// Watches per `/list` page.
pub const PAGE_SIZE: usize = 5;
/// Daily alert caps `/settings` cycles through (0 = the instance default).
pub const DAILY_CAPS: [i32; 5] = [0, 5, 10, 20, 50];

/// The target a card's button sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Drop5,
    Drop10,
    Drop20,
    Any,
    Stock,
    Custom,
}

impl Preset {
    fn code(self) -> &'static str {
        match self {
            Preset::Drop5 => "5",
            Preset::Drop10 => "10",
            Preset::Drop20 => "20",
            Preset::Any => "a",
            Preset::Stock => "s",
            Preset::Custom => "c",
        }
    }

    fn from_code(s: &str) -> Option<Preset> {
        Some(match s {
            "5" => Preset::Drop5,
            "10" => Preset::Drop10,
            "20" => Preset::Drop20,
            "a" => Preset::Any,
            "s" => Preset::Stock,
            "c" => Preset::Custom,
            _ => return None,
        })
    }

    /// The percentage below the current price, for the three drop buttons.
    pub fn percent(self) -> Option<u8> {
        match self {
            Preset::Drop5 => Some(5),
            Preset::Drop10 => Some(10),
            Preset::Drop20 => Some(20),
            _ => None,
        }
    }
}

/// A `/settings` switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    Stock,
    Used,
    Cap,
    Group,
}

/// What a button does. Encoded into at most 64 bytes (Telegram's limit for
/// callback data; Discord allows 100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Set {
        product_id: i64,
        preset: Preset,
    },
    Chart {
        watch_id: i64,
    },
    /// A product's chart, for anyone (feed posts).
    ProductChart {
        product_id: i64,
    },
    Edit {
        watch_id: i64,
    },
    Pause {
        watch_id: i64,
    },
    Resume {
        watch_id: i64,
    },
    Remove {
        watch_id: i64,
    },
    Snooze {
        watch_id: i64,
    },
    Page {
        page: usize,
    },
    Lang {
        locale: String,
    },
    Toggle {
        setting: Toggle,
    },
}

impl Action {
    pub fn encode(&self) -> String {
        match self {
            Action::Set { product_id, preset } => format!("s:{product_id}:{}", preset.code()),
            Action::Chart { watch_id } => format!("c:{watch_id}"),
            Action::ProductChart { product_id } => format!("h:{product_id}"),
            Action::Edit { watch_id } => format!("e:{watch_id}"),
            Action::Pause { watch_id } => format!("p:{watch_id}"),
            Action::Resume { watch_id } => format!("r:{watch_id}"),
            Action::Remove { watch_id } => format!("x:{watch_id}"),
            Action::Snooze { watch_id } => format!("z:{watch_id}"),
            Action::Page { page } => format!("l:{page}"),
            Action::Lang { locale } if locale.is_empty() => "g:?".to_string(),
            Action::Lang { locale } => format!("g:{locale}"),
            Action::Toggle { setting } => format!(
                "o:{}",
                match setting {
                    Toggle::Stock => "s",
                    Toggle::Used => "u",
                    Toggle::Cap => "c",
                    Toggle::Group => "g",
                }
            ),
        }
    }

    /// The action behind callback data; `None` for anything we did not write.
    pub fn decode(data: &str) -> Option<Action> {
        let (tag, rest) = data.split_once(':')?;
        let id = || rest.parse::<i64>().ok().filter(|v| *v > 0);
        Some(match tag {
            "s" => {
                let (p, preset) = rest.split_once(':')?;
                Action::Set {
                    product_id: p.parse().ok().filter(|v: &i64| *v > 0)?,
                    preset: Preset::from_code(preset)?,
                }
            }
            "c" => Action::Chart { watch_id: id()? },
            "h" => Action::ProductChart { product_id: id()? },
            "e" => Action::Edit { watch_id: id()? },
            "p" => Action::Pause { watch_id: id()? },
            "r" => Action::Resume { watch_id: id()? },
            "x" => Action::Remove { watch_id: id()? },
            "z" => Action::Snooze { watch_id: id()? },
            "l" => Action::Page {
                page: rest.parse().ok().filter(|p| *p < 10_000)?,
            },
            "g" if rest == "?" => Action::Lang {
                locale: String::new(),
            },
            "g" => Action::Lang {
                locale: crate::i18n::LOCALES
                    .iter()
                    .find(|l| **l == rest)?
                    .to_string(),
            },
            "o" => Action::Toggle {
                setting: match rest {
                    "s" => Toggle::Stock,
                    "u" => Toggle::Used,
                    "c" => Toggle::Cap,
                    "g" => Toggle::Group,
                    _ => return None,
                },
            },
            _ => return None,
        })
    }

    /// The watch this button acts on, for buttons that act on one.
    pub fn watch_id(&self) -> Option<i64> {
        match self {
            Action::Chart { watch_id }
            | Action::Edit { watch_id }
            | Action::Pause { watch_id }
            | Action::Resume { watch_id }
            | Action::Remove { watch_id }
            | Action::Snooze { watch_id } => Some(*watch_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonTarget {
    Action(Action),
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub target: ButtonTarget,
}

impl Button {
    pub fn action(label: String, action: Action) -> Button {
        Button {
            label,
            target: ButtonTarget::Action(action),
        }
    }
}

/// A message as plain text: a title (shown bold where the platform can),
/// lines under it, an optional picture and rows of buttons.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub title: Option<String>,
    /// The link the title leads to.
    pub url: Option<String>,
    pub lines: Vec<String>,
    pub image_url: Option<String>,
    pub buttons: Vec<Vec<Button>>,
    /// For alerts: the product title, which the text refers to as
    /// `%{title}` so the adapter can escape and shorten it to fit.
    pub product_title: Option<String>,
}

impl View {
    /// The title and lines with `%{title}` replaced by `render(product title)`;
    /// `escape` is applied to our own text first.
    pub fn render(
        &self,
        escape: impl Fn(&str) -> String,
        render_title: impl Fn(&str) -> String,
    ) -> (Option<String>, Vec<String>) {
        let shown = self.product_title.as_deref().map(&render_title);
        let fill = |s: &String| {
            let e = escape(s);
            match &shown {
                Some(title) => e.replace("%{title}", title),
                None => e,
            }
        };
        (
            self.title.as_ref().map(fill),
            self.lines.iter().map(fill).collect(),
        )
    }
}

fn currency_of(code: &str) -> Currency {
    Currency::parse(code).unwrap_or(Currency::USD)
}

fn money(locale: &str, minor: i64, currency: Currency) -> String {
    format_money(Money::from_minor(minor, currency), locale)
}

/// The product page to open, with the operator's affiliate tag when set.
pub fn buy_url(marketplace: &str, asin: &str, affiliate_tag: Option<&str>) -> String {
    match ProductRef::from_stored(marketplace, asin) {
        Some(r) => r.buy_url(affiliate_tag),
        // Never for a stored product; a link that still opens Amazon.
        None => format!("https://www.amazon.com/s?k={asin}"),
    }
}

/// `title` cut to `max` characters at a word boundary, with "…".
pub fn shorten(title: &str, max: usize) -> String {
    let title = title.trim();
    if title.chars().count() <= max {
        return title.to_string();
    }
    let cut: String = title.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([' ', ',', '-', '–', '|']))
}

/// A signed percentage as `locale` writes it: `−12 %` in German, `−12%` in
/// English; one decimal below 10 %. Chat messages and emails share it.
pub fn percent_change(locale: &str, old: i64, new: i64) -> String {
    if old <= 0 {
        return String::new();
    }
    let pct = (new - old) as f64 * 100.0 / old as f64;
    let digits = if pct.abs() >= 10.0 { 0 } else { 1 };
    let mut num = format!("{:.*}", digits, pct.abs());
    if crate::i18n::supported(Some(locale)) != "en" {
        num = num.replace('.', ",");
    }
    let sign = if pct < 0.0 { "−" } else { "+" };
    match crate::i18n::supported(Some(locale)) {
        "en" | "it" => format!("{sign}{num}%"),
        // A no-break space keeps "%" on the number's line.
        _ => format!("{sign}{num}\u{a0}%"),
    }
}

fn availability_text(locale: &str, availability: &str) -> Option<String> {
    let key = match availability {
        "in_stock" => Key::ProductInStock,
        "out_of_stock" => Key::ProductOutOfStock,
        "unavailable" => Key::ProductUnavailable,
        "only_other_sellers" => Key::ProductOtherSellersOnly,
        _ => return None,
    };
    Some(t(locale, key, &[]))
}

/// The title to show for a product we may not have read yet.
pub fn title_of(product: &products::Model, snapshot: Option<&CachedSnapshot>) -> String {
    snapshot
        .map(|s| s.title.clone())
        .filter(|s| !s.trim().is_empty())
        .or_else(|| product.title.clone().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| format!("{} ({})", product.asin, product.marketplace))
}

/// The card for a pasted link: what the product costs now and buttons to
/// pick a target.
pub fn card(
    locale: &str,
    product: &products::Model,
    snapshot: Option<&CachedSnapshot>,
    lowest_seen: Option<i64>,
    affiliate_tag: Option<&str>,
) -> View {
    let currency = currency_of(&product.currency);
    let price = snapshot.and_then(|s| s.price_minor);
    let mut lines = Vec::new();
    match price {
        Some(p) => lines.push(t(
            locale,
            Key::ProductPrice,
            &[("price", &money(locale, p, currency))],
        )),
        None => lines.push(t(locale, Key::ChatNoPrice, &[])),
    }
    if let (Some(list), Some(p)) = (snapshot.and_then(|s| s.list_price_minor), price)
        && list > p
    {
        lines.push(t(
            locale,
            Key::ProductListPrice,
            &[("price", &money(locale, list, currency))],
        ));
    }
    let availability = snapshot.map(|s| s.availability.as_str()).unwrap_or("");
    if let Some(a) = availability_text(locale, availability) {
        lines.push(a);
    }
    let lowest = match (lowest_seen, price) {
        (Some(l), Some(p)) => Some(l.min(p)),
        (l, p) => l.or(p),
    };
    if let Some(l) = lowest {
        lines.push(t(
            locale,
            Key::ProductLowestSeen,
            &[("price", &money(locale, l, currency))],
        ));
    }
    let set = |preset| Action::Set {
        product_id: product.id,
        preset,
    };
    let mut buttons = Vec::new();
    if let Some(p) = price {
        let row = [
            (Preset::Drop5, Key::ButtonDrop5),
            (Preset::Drop10, Key::ButtonDrop10),
            (Preset::Drop20, Key::ButtonDrop20),
        ]
        .into_iter()
        .filter_map(|(preset, key)| {
            // The figure the watch will store: one rounding, in the domain.
            let target = Target::percent_below(preset.percent()?)
                .ok()?
                .resolve(Some(Money::from_minor(p, currency)))?;
            Some(Button::action(
                t(locale, key, &[("price", &money(locale, target, currency))]),
                set(preset),
            ))
        })
        .collect();
        buttons.push(row);
    }
    buttons.push(vec![
        Button::action(t(locale, Key::ButtonAnyDrop, &[]), set(Preset::Any)),
        Button::action(t(locale, Key::ButtonCustom, &[]), set(Preset::Custom)),
    ]);
    if matches!(availability, "out_of_stock" | "unavailable") {
        buttons.push(vec![Button::action(
            t(locale, Key::ButtonBackInStock, &[]),
            set(Preset::Stock),
        )]);
    }
    View {
        title: Some(title_of(product, snapshot)),
        url: Some(buy_url(&product.marketplace, &product.asin, affiliate_tag)),
        lines,
        image_url: snapshot
            .and_then(|s| s.image_url.clone())
            .or_else(|| product.image_url.clone()),
        buttons,
        product_title: None,
    }
}

/// The target as a person reads it: `€11.69`, `−10 % (11,69 €)`, `any drop`.
pub fn target_text(locale: &str, watch: &watches::Model, currency_code: &str) -> String {
    let currency = currency_of(currency_code);
    match (
        watch.target_kind.as_str(),
        watch.target_minor,
        watch.target_percent,
    ) {
        ("price", Some(m), _) => money(locale, m, currency),
        ("stock", _, _) => t(locale, Key::ChatTargetStock, &[]),
        ("percent", Some(m), Some(pct)) => t(
            locale,
            Key::ChatTargetPercent,
            &[
                ("percent", &pct.to_string()),
                ("price", &money(locale, m, currency)),
            ],
        ),
        _ => t(locale, Key::ChatTargetAny, &[]),
    }
}

/// The reply once a button or `/track` set a watch.
pub fn confirmation(
    locale: &str,
    item: &WatchItem,
    current_minor: Option<i64>,
    preset: Option<Preset>,
) -> String {
    let title = shorten(&title_of(&item.product, None), 80);
    let w = &item.watch;
    if preset == Some(Preset::Stock) {
        return t(locale, Key::WatchSetBackInStock, &[("title", &title)]);
    }
    match w.target_minor {
        Some(target) => {
            let target_text = target_text(locale, w, &item.product.currency);
            if let Some(price) = current_minor
                && price <= target
            {
                return t(
                    locale,
                    Key::WatchAlreadyBelow,
                    &[
                        ("title", &title),
                        (
                            "price",
                            &money(locale, price, currency_of(&item.product.currency)),
                        ),
                        ("target", &target_text),
                    ],
                );
            }
            t(
                locale,
                Key::WatchSetTarget,
                &[("title", &title), ("target", &target_text)],
            )
        }
        None => t(locale, Key::WatchSetAnyDrop, &[("title", &title)]),
    }
}

/// An alert as the person reads it, from the frozen outbox payload.
pub fn alert(locale: &str, kind: &str, p: &AlertPayload, affiliate_tag: Option<&str>) -> View {
    let currency = currency_of(&p.currency);
    let title = if p.title.trim().is_empty() {
        format!("{} ({})", p.asin, p.marketplace)
    } else {
        p.title.clone()
    };
    let url = buy_url(&p.marketplace, &p.asin, affiliate_tag);
    let mut lines = Vec::new();
    let heading = match kind {
        "back_in_stock" => {
            let price = p
                .new_price_minor
                .map(|m| money(locale, m, currency))
                .unwrap_or_default();
            lines.push(t(
                locale,
                Key::AlertBackInStock,
                &[("title", "%{title}"), ("price", &price)],
            ));
            None
        }
        "gone" => {
            lines.push(t(locale, Key::AlertProductGone, &[("title", "%{title}")]));
            None
        }
        "email_bouncing" => {
            return View {
                lines: vec![t(locale, Key::EmailBouncing, &[])],
                ..View::default()
            };
        }
        _ => {
            if let (Some(old), Some(new)) = (p.old_price_minor, p.new_price_minor) {
                lines.push(t(
                    locale,
                    Key::AlertPriceChange,
                    &[
                        ("old", &money(locale, old, currency)),
                        ("new", &money(locale, new, currency)),
                        ("change", &percent_change(locale, old, new)),
                    ],
                ));
            }
            if let Some(target) = p.target_minor {
                lines.push(t(
                    locale,
                    Key::AlertTarget,
                    &[("target", &money(locale, target, currency))],
                ));
            }
            if p.lowest_90d {
                lines.push(t(locale, Key::AlertLowest90Days, &[]));
            }
            Some(t(locale, Key::AlertPriceDrop, &[("title", "%{title}")]))
        }
    };
    let mut buttons = vec![vec![Button {
        label: t(locale, Key::ButtonBuy, &[]),
        target: ButtonTarget::Url(url.clone()),
    }]];
    if let Some(watch_id) = p.watch_id
        && kind != "gone"
    {
        buttons.push(vec![
            Button::action(t(locale, Key::ButtonChart, &[]), Action::Chart { watch_id }),
            Button::action(
                t(locale, Key::ButtonSnooze, &[]),
                Action::Snooze { watch_id },
            ),
            Button::action(t(locale, Key::ButtonStop, &[]), Action::Remove { watch_id }),
        ]);
    }
    View {
        title: heading,
        url: Some(url),
        lines,
        image_url: p.image_url.clone(),
        buttons,
        product_title: Some(title),
    }
}

/// The reply to `/feed on` and `/feed status`: what the feed posts.
pub fn feed_summary(locale: &str, o: &crate::tracking::feeds::FeedOptions) -> String {
    let lows = if o.lows {
        t(locale, Key::FeedLowsPart, &[])
    } else {
        String::new()
    };
    let markets = if o.markets.is_empty() {
        String::new()
    } else {
        t(
            locale,
            Key::FeedMarketsPart,
            &[("markets", &o.markets.join(", "))],
        )
    };
    let digest = match o.digest_hours {
        Some(h) => t(locale, Key::FeedDigestPart, &[("hours", &h.to_string())]),
        None => String::new(),
    };
    t(
        locale,
        Key::FeedOn,
        &[
            ("min", &o.min_drop_pct.to_string()),
            ("lows", &lows),
            ("markets", &markets),
            ("digest", &digest),
        ],
    )
}

/// Where a feed post's "Track this" and "Chart" buttons lead, per platform.
pub struct FeedButtons {
    pub track: Box<dyn Fn(i64) -> ButtonTarget + Send + Sync>,
    pub chart: Box<dyn Fn(i64) -> ButtonTarget + Send + Sync>,
}

fn deal_line(locale: &str, p: &AlertPayload) -> Option<String> {
    let currency = currency_of(&p.currency);
    let (median, price) = (p.old_price_minor?, p.new_price_minor?);
    Some(t(
        locale,
        Key::FeedDrop,
        &[
            ("pct", &percent_change(locale, median, price)),
            ("median", &money(locale, median, currency)),
        ],
    ))
}

/// A feed post: the product card, the drop below the 30-day median, and
/// buttons anyone can use. It never says who tracks the product.
pub fn feed_post(
    locale: &str,
    p: &AlertPayload,
    buttons: &FeedButtons,
    affiliate_tag: Option<&str>,
) -> View {
    if !p.items.is_empty() {
        return feed_digest(locale, p, buttons, affiliate_tag);
    }
    let currency = currency_of(&p.currency);
    let mut lines = Vec::new();
    if let Some(price) = p.new_price_minor {
        lines.push(t(
            locale,
            Key::ProductPrice,
            &[("price", &money(locale, price, currency))],
        ));
    }
    lines.extend(deal_line(locale, p));
    if p.lowest_90d {
        lines.push(t(locale, Key::FeedAllTimeLow, &[]));
    }
    let url = buy_url(&p.marketplace, &p.asin, affiliate_tag);
    View {
        title: Some(if p.title.trim().is_empty() {
            format!("{} ({})", p.asin, p.marketplace)
        } else {
            p.title.clone()
        }),
        url: Some(url.clone()),
        lines,
        image_url: p.image_url.clone(),
        buttons: vec![
            vec![
                Button {
                    label: t(locale, Key::FeedTrackThis, &[]),
                    target: (buttons.track)(p.product_id),
                },
                Button {
                    label: t(locale, Key::ButtonChart, &[]),
                    target: (buttons.chart)(p.product_id),
                },
            ],
            vec![Button {
                label: t(locale, Key::ButtonBuy, &[]),
                target: ButtonTarget::Url(url),
            }],
        ],
        product_title: None,
    }
}

/// Up to ten deals in one post, numbered, with a "Track this" per deal.
fn feed_digest(
    locale: &str,
    p: &AlertPayload,
    buttons: &FeedButtons,
    affiliate_tag: Option<&str>,
) -> View {
    let mut lines = Vec::new();
    let mut rows: Vec<Vec<Button>> = Vec::new();
    for (i, item) in p.items.iter().enumerate() {
        let n = i + 1;
        let currency = currency_of(&item.currency);
        let price = item
            .new_price_minor
            .map(|m| money(locale, m, currency))
            .unwrap_or_default();
        let title = if item.title.trim().is_empty() {
            item.asin.clone()
        } else {
            shorten(&item.title, 70)
        };
        let deal = deal_line(locale, item).unwrap_or_default();
        lines.push(format!("{n}. {title}\n     {price} · {deal}"));
        lines.push(format!(
            "     {}",
            buy_url(&item.marketplace, &item.asin, affiliate_tag)
        ));
        let button = Button {
            label: format!("{n} · {}", t(locale, Key::FeedTrackThis, &[])),
            target: (buttons.track)(item.product_id),
        };
        match rows.last_mut() {
            Some(row) if row.len() < 5 => row.push(button),
            _ => rows.push(vec![button]),
        }
    }
    View {
        title: Some(t(
            locale,
            Key::FeedDigestTitle,
            &[("count", &p.items.len().to_string())],
        )),
        lines,
        buttons: rows,
        ..View::default()
    }
}

/// One page of the watch list, with per-item buttons.
pub fn list_page(locale: &str, items: &[WatchItem], page: usize) -> View {
    list_page_sized(locale, items, page, PAGE_SIZE)
}

/// [`list_page`] with `size` watches a page (Discord fits four).
pub fn list_page_sized(locale: &str, items: &[WatchItem], page: usize, size: usize) -> View {
    let size = size.max(1);
    if items.is_empty() {
        return View {
            lines: vec![t(locale, Key::ListEmpty, &[])],
            ..View::default()
        };
    }
    let pages = items.len().div_ceil(size);
    let page = page.min(pages - 1);
    let mut lines = vec![t(
        locale,
        Key::ListHeader,
        &[("count", &items.len().to_string())],
    )];
    let mut buttons = Vec::new();
    for (i, item) in items.iter().enumerate().skip(page * size).take(size) {
        let n = (i + 1).to_string();
        let currency = currency_of(&item.product.currency);
        let price = item
            .product
            .last_price_minor
            .map(|m| money(locale, m, currency))
            .unwrap_or_else(|| t(locale, Key::ChatNoPrice, &[]));
        let mut title = shorten(&title_of(&item.product, None), 60);
        let watch_id = item.watch.id;
        let label = |key| format!("{n} · {}", t(locale, key, &[]));
        if item.product.gone_at.is_some() {
            // Amazon removed it and we told the person we stopped: no price,
            // target or pause as if watched; the chart and Remove stay.
            lines.push(t(
                locale,
                Key::ChatListItemGone,
                &[("n", &n), ("title", &title)],
            ));
            buttons.push(vec![
                Button::action(label(Key::ButtonChart), Action::Chart { watch_id }),
                Button::action(label(Key::ButtonRemove), Action::Remove { watch_id }),
            ]);
            continue;
        }
        if item.watch.state == "paused" {
            title = format!("{title} {}", t(locale, Key::ListPausedTag, &[]));
        }
        lines.push(t(
            locale,
            Key::ChatListItem,
            &[
                ("n", &n),
                ("title", &title),
                ("price", &price),
                (
                    "target",
                    &target_text(locale, &item.watch, &item.product.currency),
                ),
            ],
        ));
        let (pause_key, pause) = if item.watch.state == "paused" {
            (Key::ButtonResume, Action::Resume { watch_id })
        } else {
            (Key::ButtonPause, Action::Pause { watch_id })
        };
        buttons.push(vec![
            Button::action(label(Key::ButtonChart), Action::Chart { watch_id }),
            Button::action(label(Key::ButtonEditTarget), Action::Edit { watch_id }),
            Button::action(label(pause_key), pause),
            Button::action(label(Key::ButtonRemove), Action::Remove { watch_id }),
        ]);
    }
    if pages > 1 {
        lines.push(t(
            locale,
            Key::ListPage,
            &[
                ("page", &(page + 1).to_string()),
                ("pages", &pages.to_string()),
            ],
        ));
        let mut nav = Vec::new();
        if page > 0 {
            nav.push(Button::action(
                t(locale, Key::ButtonPrevious, &[]),
                Action::Page { page: page - 1 },
            ));
        }
        if page + 1 < pages {
            nav.push(Button::action(
                t(locale, Key::ButtonNext, &[]),
                Action::Page { page: page + 1 },
            ));
        }
        buttons.push(nav);
    }
    View {
        lines,
        buttons,
        ..View::default()
    }
}

/// The caption under a price chart.
pub fn history_caption(locale: &str, title: &str, currency_code: &str, stats: &Stats) -> View {
    let currency = currency_of(currency_code);
    let m = |v: Option<i64>| v.map(|v| money(locale, v, currency)).unwrap_or("–".into());
    let lines = if stats.current.is_none() && stats.min.is_none() {
        vec![t(locale, Key::ChartNoHistory, &[])]
    } else {
        vec![t(
            locale,
            Key::ChatHistoryStats,
            &[
                ("current", &m(stats.current)),
                ("min", &m(stats.min)),
                ("max", &m(stats.max)),
                ("average", &m(stats.average)),
            ],
        )]
    };
    View {
        title: Some(title.to_string()),
        lines,
        ..View::default()
    }
}

/// A product's 90-day price chart as PNG, with its caption (stats); `None`
/// when the chart cannot be drawn.
pub async fn chart(
    db: &sea_orm::DatabaseConnection,
    locale: &str,
    product: &products::Model,
    target_minor: Option<i64>,
) -> Option<(Vec<u8>, View)> {
    let view = crate::tracking::history_in(db, product.id, chrono::Duration::days(90))
        .await
        .map_err(|e| tracing::error!(error = %e, "could not read a price history"))
        .ok()??;
    let title = title_of(&view.product, None);
    let input = crate::notify::chart::ChartInput {
        title: &title,
        currency: currency_of(&view.product.currency),
        style: crate::i18n::number_style(locale),
        points: &view.points,
        now: Utc::now(),
        target_minor,
        locale,
    };
    let png = tokio::task::block_in_place(|| crate::notify::chart::render_png(&input))
        .map_err(|e| tracing::error!(error = %e, "could not draw a chart"))
        .ok()?;
    let caption = history_caption(locale, &title, &view.product.currency, &view.stats);
    Some((png, caption))
}

/// `/settings`: the person's switches, and in a group the members rule.
pub fn settings(locale: &str, user: &users::Model, group_members_may_add: Option<bool>) -> View {
    let state = |on: bool| {
        t(
            locale,
            if on {
                Key::ChatStateOn
            } else {
                Key::ChatStateOff
            },
            &[],
        )
    };
    let cap = match user.daily_cap {
        Some(c) if c > 0 => c.to_string(),
        _ => "–".to_string(),
    };
    let language = t(locale, Key::LangName, &[]);
    let mut lines = vec![t(locale, Key::SettingsLanguage, &[("language", &language)])];
    // An address is personal: never shown in a group.
    if group_members_may_add.is_none() {
        lines.push(t(
            locale,
            Key::SettingsEmail,
            &[(
                "email",
                &match (&user.email, user.email_verified_at) {
                    (Some(e), Some(_)) => e.clone(),
                    _ => t(locale, Key::SettingsEmailNone, &[]),
                },
            )],
        ));
    }
    let stock = t(
        locale,
        Key::ChatSettingsStock,
        &[("state", &state(user.back_in_stock_alerts))],
    );
    let used = t(
        locale,
        Key::ChatSettingsUsed,
        &[("state", &state(user.allow_used))],
    );
    let cap = t(locale, Key::ChatSettingsCap, &[("cap", &cap)]);
    lines.extend([stock.clone(), used.clone(), cap.clone()]);
    let mut buttons = vec![
        vec![Button::action(
            stock,
            Action::Toggle {
                setting: Toggle::Stock,
            },
        )],
        vec![Button::action(
            used,
            Action::Toggle {
                setting: Toggle::Used,
            },
        )],
        vec![Button::action(
            cap,
            Action::Toggle {
                setting: Toggle::Cap,
            },
        )],
    ];
    if let Some(open) = group_members_may_add {
        let who = t(
            locale,
            if open {
                Key::ChatWhoEveryone
            } else {
                Key::ChatWhoAdmins
            },
            &[],
        );
        let line = t(locale, Key::ChatSettingsGroup, &[("who", &who)]);
        lines.push(line.clone());
        buttons.push(vec![Button::action(
            line,
            Action::Toggle {
                setting: Toggle::Group,
            },
        )]);
    }
    buttons.push(vec![Button::action(
        t(locale, Key::SettingsChangeLanguage, &[]),
        Action::Lang {
            locale: String::new(),
        },
    )]);
    View {
        title: Some(t(locale, Key::SettingsTitle, &[])),
        lines,
        buttons,
        ..View::default()
    }
}

/// The change a `/settings` switch makes for this person; `None` for the
/// group switch, which belongs to the chat.
pub fn toggled(user: &users::Model, toggle: Toggle) -> Option<Setting> {
    Some(match toggle {
        Toggle::Stock => Setting::BackInStock(!user.back_in_stock_alerts),
        Toggle::Used => Setting::AllowUsed(!user.allow_used),
        Toggle::Cap => Setting::DailyCap(next_cap(user.daily_cap)),
        Toggle::Group => return None,
    })
}

/// The next daily cap after `current` in [`DAILY_CAPS`].
pub fn next_cap(current: Option<i32>) -> Option<i32> {
    let now = current.unwrap_or(0);
    let i = DAILY_CAPS.iter().position(|c| *c == now).unwrap_or(0);
    let next = DAILY_CAPS[(i + 1) % DAILY_CAPS.len()];
    (next > 0).then_some(next)
}

/// Buttons to pick a language, each in its own language.
pub fn language_buttons() -> Vec<Vec<Button>> {
    vec![
        crate::i18n::LOCALES
            .iter()
            .map(|l| {
                Button::action(
                    t(l, Key::LangName, &[]),
                    Action::Lang {
                        locale: l.to_string(),
                    },
                )
            })
            .collect(),
    ]
}

/// `/start`: the welcome and the three-line how-to.
pub fn welcome(locale: &str) -> String {
    [
        Key::StartWelcome,
        Key::StartHowto1,
        Key::StartHowto2,
        Key::StartHowto3,
    ]
    .iter()
    .map(|k| t(locale, *k, &[]))
    .collect::<Vec<_>>()
    .join("\n")
}

/// `/email <address>`, `/email off`, or `/email` alone: the reply, in the
/// person's language. Both bots use it.
pub async fn email_command(
    app: &crate::app::App,
    who: &crate::tracking::Identity,
    locale: &str,
    args: &str,
) -> String {
    use crate::email::{self, EmailLinkError, LinkOutcome};
    let args = args.trim();
    if args.is_empty() {
        return t(locale, Key::EmailUsage, &[]);
    }
    let user = match crate::tracking::ensure_user(app, who).await {
        Ok(u) => u,
        Err(e) => return error_text(locale, &e),
    };
    if args.eq_ignore_ascii_case("off") {
        return match email::unlink(app, &user).await {
            Ok(()) => t(locale, Key::EmailOff, &[]),
            Err(e) => error_text(locale, &TrackError::Internal(e)),
        };
    }
    if let Some(reply) = email_code(app, who, locale, args).await {
        return reply;
    }
    match email::request_link(app, &user, args).await {
        Ok(LinkOutcome::Sent { address }) => format!(
            "{}\n{}",
            t(locale, Key::EmailLinkSent, &[("email", &address)]),
            t(locale, Key::EmailCodeHint, &[])
        ),
        Err(EmailLinkError::Invalid) => t(locale, Key::EmailInvalid, &[]),
        Err(EmailLinkError::TooMany) => t(locale, Key::EmailTooMany, &[]),
        Err(EmailLinkError::NotConfigured) => t(locale, Key::EmailNotConfigured, &[]),
        Err(EmailLinkError::BadCode) => t(locale, Key::EmailBadCode, &[]),
        Err(EmailLinkError::CodeLocked) => t(locale, Key::EmailCodeLocked, &[]),
        Err(EmailLinkError::Send(_)) => t(locale, Key::EmailSendFailed, &[]),
        Err(EmailLinkError::Internal(e)) => error_text(locale, &TrackError::Internal(e)),
    }
}

/// A 6-digit code sent in chat while a verification is pending: the reply,
/// or `None` when the text is not such an answer.
pub async fn email_code(
    app: &crate::app::App,
    who: &crate::tracking::Identity,
    locale: &str,
    text: &str,
) -> Option<String> {
    use crate::email::{self, EmailLinkError};
    if !email::looks_like_code(text) {
        return None;
    }
    let user = crate::tracking::ensure_user(app, who).await.ok()?;
    if !email::pending_code(app, &user).await {
        return None;
    }
    Some(match email::confirm_code(app, &user, text.trim()).await {
        Ok(_) => t(locale, Key::EmailVerified, &[]),
        Err(EmailLinkError::BadCode) => t(locale, Key::EmailBadCode, &[]),
        Err(EmailLinkError::CodeLocked) => t(locale, Key::EmailCodeLocked, &[]),
        Err(EmailLinkError::Internal(e)) => error_text(locale, &TrackError::Internal(e)),
        Err(_) => t(locale, Key::ErrorGeneric, &[]),
    })
}

/// A short, localized reply for a failed use-case; never internal details.
pub fn error_text(locale: &str, e: &TrackError) -> String {
    match e {
        TrackError::Url(u) => url_error_text(locale, u),
        TrackError::Target(te) => target_error_text(locale, te),
        TrackError::TooManyWatches { limit } => t(
            locale,
            Key::ErrorWatchLimit,
            &[("limit", &limit.to_string())],
        ),
        TrackError::ProductGone => t(locale, Key::ChatProductGone, &[]),
        TrackError::NoSuchWatch => t(locale, Key::ChatNoSuchWatch, &[]),
        TrackError::NoSuchProduct => t(locale, Key::ChatNoSuchProduct, &[]),
        TrackError::Internal(err) => {
            tracing::error!(error = %err, "a chat request failed");
            t(locale, Key::ErrorGeneric, &[])
        }
    }
}

/// The answer to a button that is not on the message it came from (forged,
/// or from a message since changed): the "can't find" of what it names.
pub fn stale_button_text(locale: &str, action: &Action) -> String {
    match action {
        Action::Set { .. } | Action::ProductChart { .. } => t(locale, Key::ChatNoSuchProduct, &[]),
        a if a.watch_id().is_some() => t(locale, Key::ChatNoSuchWatch, &[]),
        _ => t(locale, Key::ChatExpired, &[]),
    }
}

pub fn url_error_text(locale: &str, e: &UrlError) -> String {
    match e {
        UrlError::NotALink | UrlError::UnsupportedScheme | UrlError::UnsafeLink(_) => {
            t(locale, Key::ErrorNotAmazonLink, &[])
        }
        UrlError::NotAmazon => t(locale, Key::ErrorNotAmazonLink, &[]),
        UrlError::UnknownMarketplace(store) => {
            t(locale, Key::ChatUnknownStore, &[("store", store)])
        }
        UrlError::NotAProduct(_) => t(locale, Key::ErrorNotAProduct, &[]),
        UrlError::BadAsin => t(locale, Key::ChatBadLink, &[]),
        UrlError::RedirectLeftAmazon
        | UrlError::TooManyRedirects
        | UrlError::ShortLinkFailed(_) => t(locale, Key::ChatShortLink, &[]),
    }
}

pub fn target_error_text(locale: &str, e: &TargetError) -> String {
    match e {
        TargetError::WrongCurrency { expected, .. } => t(
            locale,
            Key::ChatTargetCurrency,
            &[("currency", expected.code())],
        ),
        TargetError::PercentOutOfRange => t(locale, Key::ChatTargetPercentRange, &[]),
        TargetError::NotPositive => t(locale, Key::ChatTargetPositive, &[]),
        _ => t(locale, Key::ErrorBadTarget, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_survive_the_round_trip_and_fit_telegram() {
        let all = [
            Action::Set {
                product_id: i64::MAX,
                preset: Preset::Drop10,
            },
            Action::Set {
                product_id: 7,
                preset: Preset::Custom,
            },
            Action::Chart { watch_id: 1 },
            Action::ProductChart { product_id: 9 },
            Action::Edit { watch_id: 2 },
            Action::Pause { watch_id: 3 },
            Action::Resume { watch_id: 4 },
            Action::Remove { watch_id: 5 },
            Action::Snooze { watch_id: 6 },
            Action::Page { page: 3 },
            Action::Lang {
                locale: "de".into(),
            },
            Action::Lang {
                locale: String::new(),
            },
            Action::Toggle {
                setting: Toggle::Group,
            },
        ];
        for a in all {
            let data = a.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Action::decode(&data), Some(a));
        }
        for junk in ["", "s:1", "s:x:10", "c:-1", "c:0", "g:xx", "q:1", "l:99999"] {
            assert_eq!(Action::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn titles_are_cut_at_words_and_changes_read_per_language() {
        assert_eq!(shorten("Short", 10), "Short");
        let long = "Salcar Organizer with a very long description, made of wood";
        let s = shorten(long, 30);
        assert!(s.chars().count() <= 30, "{s}");
        assert!(s.ends_with('…'));
        assert_eq!(percent_change("en", 1299, 1099), "−15%");
        assert_eq!(percent_change("de", 1000, 950), "−5,0\u{a0}%");
        assert_eq!(percent_change("en", 1000, 1100), "+10%");
    }

    #[test]
    fn the_cap_cycles_through_the_choices() {
        assert_eq!(next_cap(None), Some(5));
        assert_eq!(next_cap(Some(5)), Some(10));
        assert_eq!(next_cap(Some(50)), None);
    }
}
