//! Use-cases: the only API the bots and jobs call to change who tracks what.
//! Platform adapters translate chat into these calls; nothing here knows
//! Telegram or Discord.

pub mod chat;
pub mod feeds;
pub mod history;
pub mod scope;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::amazon::url::{self, Link, UrlError};
use crate::app::App;
use crate::cache::CachedSnapshot;
use crate::domain::target::{Target, TargetError};
use crate::domain::{Currency, Money, ProductRef};
use crate::jobs::check_product::{self, CheckOutcome};
use crate::store::entities::{destinations, products, users, watches};

pub use history::{HistoryView, Stats, history, history_in};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Telegram,
    Discord,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Telegram => "telegram",
            Platform::Discord => "discord",
        }
    }
}

/// Who is asking: one person on one platform.
#[derive(Debug, Clone)]
pub struct Identity {
    pub platform: Platform,
    pub user_id: String,
    pub display_name: Option<String>,
    /// The platform's language code (`de`, `en-GB`), used for new users.
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    TelegramChat,
    DiscordDm,
    DiscordChannel,
    Email,
}

impl DestinationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::TelegramChat => "telegram_chat",
            DestinationKind::DiscordDm => "discord_dm",
            DestinationKind::DiscordChannel => "discord_channel",
            DestinationKind::Email => "email",
        }
    }
}

/// Where alerts for a watch go.
#[derive(Debug, Clone)]
pub struct DestinationRef {
    pub kind: DestinationKind,
    pub address: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(
        "You already track {limit} products, the most allowed. Remove one with /untrack first."
    )]
    TooManyWatches { limit: u32 },
    #[error("Amazon says this product no longer exists.")]
    ProductGone,
    #[error("That watch does not exist (or is not yours).")]
    NoSuchWatch,
    #[error("That product is not tracked here.")]
    NoSuchProduct,
    #[error("something went wrong")]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for TrackError {
    fn from(e: sea_orm::DbErr) -> Self {
        TrackError::Internal(e.into())
    }
}

/// The result of `track`.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub watch: watches::Model,
    pub product: products::Model,
    /// The current state, from the cache or a fetch made now; `None` when
    /// Amazon could not be read right now (the watch is kept; we try later).
    pub snapshot: Option<CachedSnapshot>,
    pub created: bool,
    /// The target is at or above the current price already.
    pub already_at_target: bool,
    /// Why there is no snapshot, when there is none.
    pub fetch_problem: Option<String>,
}

/// A watch with its product, for lists.
#[derive(Debug, Clone)]
pub struct WatchItem {
    pub watch: watches::Model,
    pub product: products::Model,
}

/// An insert that lost to a concurrent one (ON CONFLICT DO NOTHING) is fine:
/// the caller reads the winner's row next.
fn conflict_is_fine<T>(r: Result<T, sea_orm::DbErr>) -> Result<(), TrackError> {
    match r {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The row `find` selects, inserting `row` first when there is none. Two
/// concurrent callers both end up with the one row the unique index allows.
async fn find_or_insert<E>(
    app: &App,
    find: sea_orm::Select<E>,
    row: E::ActiveModel,
    unique: [E::Column; 2],
    what: &str,
) -> Result<E::Model, TrackError>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    if let Some(found) = find.clone().one(&app.db).await? {
        return Ok(found);
    }
    let insert = E::insert(row)
        .on_conflict(OnConflict::columns(unique).do_nothing().to_owned())
        .exec(&app.db)
        .await;
    conflict_is_fine(insert)?;
    find.one(&app.db)
        .await?
        .ok_or_else(|| TrackError::Internal(anyhow::anyhow!("{what} vanished after insert")))
}

/// Finds or creates the user for an identity.
pub async fn ensure_user(app: &App, who: &Identity) -> Result<users::Model, TrackError> {
    let platform = who.platform.as_str();
    let find = users::Entity::find()
        .filter(users::Column::Platform.eq(platform))
        .filter(users::Column::PlatformUserId.eq(who.user_id.as_str()));
    let locale = who
        .locale
        .as_deref()
        .and_then(|l| l.split(['-', '_']).next())
        .filter(|l| !l.is_empty() && l.len() <= 8)
        .unwrap_or("en")
        .to_ascii_lowercase();
    let row = users::ActiveModel {
        platform: Set(platform.into()),
        platform_user_id: Set(who.user_id.clone()),
        display_name: Set(who.display_name.clone()),
        locale: Set(locale),
        alerts_today: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let unique = [users::Column::Platform, users::Column::PlatformUserId];
    find_or_insert(app, find, row, unique, "user").await
}

/// Finds or creates a destination.
pub async fn ensure_destination(
    app: &App,
    dest: &DestinationRef,
    owner: Option<i64>,
) -> Result<destinations::Model, TrackError> {
    let find = destinations::Entity::find()
        .filter(destinations::Column::Kind.eq(dest.kind.as_str()))
        .filter(destinations::Column::Address.eq(dest.address.as_str()));
    let row = destinations::ActiveModel {
        kind: Set(dest.kind.as_str().into()),
        address: Set(dest.address.clone()),
        owner_user_id: Set(owner),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let unique = [destinations::Column::Kind, destinations::Column::Address];
    find_or_insert(app, find, row, unique, "destination").await
}

/// Finds or creates the shared product row.
pub async fn ensure_product(app: &App, r: &ProductRef) -> Result<products::Model, TrackError> {
    let market = r.marketplace.name();
    let asin = r.asin.to_string();
    let find = products::Entity::find()
        .filter(products::Column::Marketplace.eq(market.as_str()))
        .filter(products::Column::Asin.eq(asin.as_str()));
    let now = Utc::now();
    let row = products::ActiveModel {
        marketplace: Set(market.clone()),
        asin: Set(asin.clone()),
        currency: Set(r.marketplace.currency().code().to_string()),
        next_check_at: Set(now),
        failure_count: Set(0),
        created_at: Set(now),
        ..Default::default()
    };
    let unique = [products::Column::Marketplace, products::Column::Asin];
    find_or_insert(app, find, row, unique, "product").await
}

/// The product's current state: the cache when fresh, else a check now.
pub async fn current(
    app: &App,
    product: &products::Model,
) -> Result<(products::Model, Option<CachedSnapshot>, Option<String>), TrackError> {
    let fresh = chrono::Duration::from_std(app.tuning.snapshot_fresh_for).unwrap_or_default();
    if let Some(s) = app.cache.get(&product.marketplace, &product.asin).await
        && Utc::now() - s.checked_at < fresh
    {
        return Ok((product.clone(), Some(s), None));
    }
    if let Some(at) = product.last_checked_at
        && Utc::now() - at < fresh
    {
        return Ok((product.clone(), Some(check_product::cached(product)), None));
    }
    let outcome = check_product::run(app, product.id).await?;
    let reloaded = products::Entity::find_by_id(product.id)
        .one(&app.db)
        .await?
        .unwrap_or_else(|| product.clone());
    match outcome {
        CheckOutcome::Checked { .. } | CheckOutcome::AwaitingConfirmation => {
            let snap = check_product::cached(&reloaded);
            Ok((reloaded, Some(snap), None))
        }
        CheckOutcome::Gone => Err(TrackError::ProductGone),
        CheckOutcome::BackedOff(why) => Ok((reloaded, None, Some(why))),
        CheckOutcome::InFlight => after_check_in_flight(app, product).await,
        CheckOutcome::Skipped => {
            let snap = reloaded
                .last_checked_at
                .map(|_| check_product::cached(&reloaded));
            Ok((reloaded, snap, None))
        }
    }
}

/// How long a card waits for a check of its product that another worker
/// (the sweep, another chat) is running, before it shows what it has.
const IN_FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// The product's state once the check in flight elsewhere is done (at most
/// [`IN_FLIGHT_WAIT`]): a product we can read is never shown without its
/// price just because someone else was reading it.
async fn after_check_in_flight(
    app: &App,
    before: &products::Model,
) -> Result<(products::Model, Option<CachedSnapshot>, Option<String>), TrackError> {
    let deadline = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
    let row = loop {
        let row = products::Entity::find_by_id(before.id)
            .one(&app.db)
            .await?
            .ok_or(TrackError::ProductGone)?;
        let leased = row
            .check_lease_until
            .is_some_and(|until| until > Utc::now());
        if row.gone_at.is_some() || !leased || tokio::time::Instant::now() >= deadline {
            break row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    if row.gone_at.is_some() {
        return Err(TrackError::ProductGone);
    }
    let failed = row.failure_count > before.failure_count && row.last_checked_at.is_none();
    let problem = failed.then(|| "the check in flight could not read the page".to_string());
    let snapshot = row.last_checked_at.map(|_| check_product::cached(&row));
    Ok((row, snapshot, problem))
}

/// Starts (or updates) tracking `input` for `who`, alerting at `dest`.
/// `target`: an amount ("19,99", "€19.99"), a percentage below the current
/// price ("-15%"), "any"; `None` means any drop.
pub async fn track(
    app: &App,
    who: &Identity,
    dest: &DestinationRef,
    input: &str,
    target: Option<&str>,
) -> Result<Tracked, TrackError> {
    let pref = match url::parse(input)? {
        Link::Product(p) => p,
        Link::ShortLink(_) => app.resolver.resolve(input).await?,
    };
    let user = ensure_user(app, who).await?;
    let product = ensure_product(app, &pref).await?;
    if product.gone_at.is_some() {
        return Err(TrackError::ProductGone);
    }
    let currency =
        Currency::parse(&product.currency).unwrap_or_else(|| pref.marketplace.currency());
    // Parse the target before any fetch: a bad target costs no request.
    let parsed = match target {
        Some(t) => Target::parse(t, currency)?,
        None => Target::AnyDrop,
    };
    let destination = ensure_destination(app, dest, Some(user.id)).await?;
    let existing = watches::Entity::find()
        .filter(watches::Column::UserId.eq(user.id))
        .filter(watches::Column::ProductId.eq(product.id))
        .filter(watches::Column::DestinationId.eq(destination.id))
        .one(&app.db)
        .await?;
    if existing.is_none() {
        let count = watches::Entity::find()
            .filter(watches::Column::UserId.eq(user.id))
            .count(&app.db)
            .await?;
        let limit = app.config.max_watches_per_user;
        if count >= u64::from(limit) {
            return Err(TrackError::TooManyWatches { limit });
        }
    }
    let (product, snapshot, fetch_problem) = current(app, &product).await?;
    let reference = snapshot
        .as_ref()
        .and_then(|s| s.price_minor)
        .map(|m| Money::from_minor(m, currency));
    let watch = upsert_watch(
        app,
        &user,
        product.id,
        destination.id,
        &parsed,
        reference,
        existing,
    )
    .await?;
    let already_at_target = match (reference, watch.target_minor) {
        (Some(price), Some(t)) => price.minor() <= t,
        _ => false,
    };
    Ok(Tracked {
        created: watch.created_at == watch.updated_at,
        watch,
        product,
        snapshot,
        already_at_target,
        fetch_problem,
    })
}

fn target_columns(
    t: &Target,
    reference: Option<Money>,
) -> (&'static str, Option<i64>, Option<i16>) {
    match t {
        Target::Price(m) => ("price", Some(m.minor()), None),
        Target::PercentBelow(p) => ("percent", t.resolve(reference), Some(i16::from(*p))),
        Target::AnyDrop => ("any_drop", None, None),
    }
}

async fn upsert_watch(
    app: &App,
    user: &users::Model,
    product_id: i64,
    destination_id: i64,
    target: &Target,
    reference: Option<Money>,
    existing: Option<watches::Model>,
) -> Result<watches::Model, TrackError> {
    let now = Utc::now();
    let (kind, minor, percent) = target_columns(target, reference);
    let reference_minor = reference.map(|m| m.minor());
    let user_id = user.id;
    if let Some(w) = existing {
        let mut m: watches::ActiveModel = w.into();
        m.target_kind = Set(kind.into());
        m.target_minor = Set(minor);
        m.target_percent = Set(percent);
        m.reference_minor = Set(reference_minor);
        m.state = Set("armed".into());
        m.updated_at = Set(now);
        return Ok(m.update(&app.db).await?);
    }
    let inserted = watches::ActiveModel {
        user_id: Set(user_id),
        product_id: Set(product_id),
        destination_id: Set(destination_id),
        target_kind: Set(kind.into()),
        target_minor: Set(minor),
        target_percent: Set(percent),
        reference_minor: Set(reference_minor),
        state: Set("armed".into()),
        back_in_stock: Set(user.back_in_stock_alerts),
        allow_used: Set(user.allow_used),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await;
    match inserted {
        Ok(w) => Ok(w),
        // A concurrent track of the same product won the race: update that one.
        Err(_) => {
            let w = watches::Entity::find()
                .filter(watches::Column::UserId.eq(user_id))
                .filter(watches::Column::ProductId.eq(product_id))
                .filter(watches::Column::DestinationId.eq(destination_id))
                .one(&app.db)
                .await?
                .ok_or(TrackError::NoSuchWatch)?;
            Box::pin(upsert_watch(
                app,
                user,
                product_id,
                destination_id,
                target,
                reference,
                Some(w),
            ))
            .await
        }
    }
}

async fn own_watch(app: &App, who: &Identity, watch_id: i64) -> Result<watches::Model, TrackError> {
    let user = ensure_user(app, who).await?;
    watches::Entity::find_by_id(watch_id)
        .filter(watches::Column::UserId.eq(user.id))
        .one(&app.db)
        .await?
        .ok_or(TrackError::NoSuchWatch)
}

/// The user's watches with their products, newest first.
pub async fn list(app: &App, who: &Identity) -> Result<Vec<WatchItem>, TrackError> {
    scope::watches_at(app, who, &scope::Place::Private).await
}

pub async fn untrack(app: &App, who: &Identity, watch_id: i64) -> Result<(), TrackError> {
    let w = own_watch(app, who, watch_id).await?;
    watches::Entity::delete_by_id(w.id).exec(&app.db).await?;
    Ok(())
}

async fn set_state(
    app: &App,
    who: &Identity,
    watch_id: i64,
    state: &str,
) -> Result<watches::Model, TrackError> {
    let w = own_watch(app, who, watch_id).await?;
    let mut m: watches::ActiveModel = w.into();
    m.state = Set(state.into());
    m.updated_at = Set(Utc::now());
    Ok(m.update(&app.db).await?)
}

pub async fn pause(app: &App, who: &Identity, watch_id: i64) -> Result<watches::Model, TrackError> {
    set_state(app, who, watch_id, "paused").await
}

pub async fn resume(
    app: &App,
    who: &Identity,
    watch_id: i64,
) -> Result<watches::Model, TrackError> {
    set_state(app, who, watch_id, "armed").await
}

pub async fn set_target(
    app: &App,
    who: &Identity,
    watch_id: i64,
    target: &str,
) -> Result<watches::Model, TrackError> {
    let w = own_watch(app, who, watch_id).await?;
    let product = products::Entity::find_by_id(w.product_id)
        .one(&app.db)
        .await?
        .ok_or(TrackError::NoSuchWatch)?;
    let currency = Currency::parse(&product.currency).unwrap_or(Currency::USD);
    let parsed = Target::parse(target, currency)?;
    let reference = product
        .last_price_minor
        .map(|m| Money::from_minor(m, currency));
    let user = ensure_user(app, who).await?;
    upsert_watch(
        app,
        &user,
        w.product_id,
        w.destination_id,
        &parsed,
        reference,
        Some(w),
    )
    .await
}
