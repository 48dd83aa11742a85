//! What a command may see and change, decided by where it was sent: the one
//! place that answers "the watches of this destination as seen by this
//! person". In a private chat that is everything the person tracks; in a
//! group or channel only the watches alerting there, so a private watch never
//! shows up in, is charted into or is removed from a group, and the numbers
//! in a group's `/list` are the ones `/untrack 2` and `/history 2` mean there.
//!
//! Discord answers every command and button only to the person who used it
//! (ephemeral replies), so its adapter asks for the private view everywhere;
//! Telegram replies in groups are seen by the whole group.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::{DestinationRef, Identity, TrackError, WatchItem, chat, ensure_user};
use crate::app::App;
use crate::store::entities::{destinations, notifications, products, watches};

/// Where a command was sent, and so who will read the answer.
#[derive(Debug, Clone)]
pub enum Place {
    /// A private chat with the bot, or an answer only the sender sees.
    Private,
    /// A group, supergroup or channel: everyone there reads the answer.
    Shared(DestinationRef),
}

/// The destination row of a shared place; `None` when nobody ever tracked
/// or subscribed there (then it has no watches and no feed).
async fn destination_of(
    app: &App,
    place: &Place,
) -> Result<Option<Option<destinations::Model>>, TrackError> {
    match place {
        Place::Private => Ok(None),
        Place::Shared(d) => Ok(Some(chat::destination(app, d.kind, &d.address).await?)),
    }
}

/// The person's watches as this place may show them, newest first: the
/// list `/list` shows there, and the one its numbers refer to.
pub async fn watches_at(
    app: &App,
    who: &Identity,
    place: &Place,
) -> Result<Vec<WatchItem>, TrackError> {
    let user = ensure_user(app, who).await?;
    let mut query = watches::Entity::find().filter(watches::Column::UserId.eq(user.id));
    match destination_of(app, place).await? {
        None => {}
        Some(None) => return Ok(Vec::new()),
        Some(Some(here)) => query = query.filter(watches::Column::DestinationId.eq(here.id)),
    }
    let list = query
        .order_by_desc(watches::Column::Id)
        .all(&app.db)
        .await?;
    let ids: Vec<i64> = list.iter().map(|w| w.product_id).collect();
    let products: std::collections::HashMap<i64, products::Model> = products::Entity::find()
        .filter(products::Column::Id.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(list
        .into_iter()
        .filter_map(|w| {
            let product = products.get(&w.product_id)?.clone();
            Some(WatchItem { watch: w, product })
        })
        .collect())
}

/// The watch `selector` names in this place's list: its number there
/// (1 = newest) or its product's ASIN.
pub async fn find_at(
    app: &App,
    who: &Identity,
    place: &Place,
    selector: &str,
) -> Result<WatchItem, TrackError> {
    let items = watches_at(app, who, place).await?;
    chat::pick(items, selector)
}

/// One of the person's watches by id, when this place's list has it (a
/// button in a group acts only on that group's watches).
pub async fn item_at(
    app: &App,
    who: &Identity,
    place: &Place,
    watch_id: i64,
) -> Result<WatchItem, TrackError> {
    let item = chat::own_item(app, who, watch_id).await?;
    match destination_of(app, place).await? {
        None => Ok(item),
        Some(Some(here)) if here.id == item.watch.destination_id => Ok(item),
        Some(_) => Err(TrackError::NoSuchWatch),
    }
}

/// A product whose chart or buttons may be shown here: in a group or
/// channel one that it has (someone's watch alerting there, or a post of its
/// feed); in private one the person tracks, or one a feed posted publicly
/// (the "Chart" and "Track this" links under a channel's post).
pub async fn product_at(
    app: &App,
    who: &Identity,
    place: &Place,
    product_id: i64,
) -> Result<products::Model, TrackError> {
    let Some(product) = products::Entity::find_by_id(product_id)
        .one(&app.db)
        .await?
    else {
        return Err(TrackError::NoSuchProduct);
    };
    let watched = watches::Entity::find().filter(watches::Column::ProductId.eq(product_id));
    let posted = notifications::Entity::find()
        .filter(notifications::Column::ProductId.eq(product_id))
        .filter(notifications::Column::FeedId.is_not_null())
        // A deal held for a digest has not been posted yet.
        .filter(notifications::Column::Status.ne("held"));
    let (watched, posted) = match destination_of(app, place).await? {
        None => {
            let user = ensure_user(app, who).await?;
            (watched.filter(watches::Column::UserId.eq(user.id)), posted)
        }
        Some(None) => return Err(TrackError::NoSuchProduct),
        Some(Some(here)) => (
            watched.filter(watches::Column::DestinationId.eq(here.id)),
            posted.filter(notifications::Column::DestinationId.eq(here.id)),
        ),
    };
    if watched.count(&app.db).await? > 0 || posted.count(&app.db).await? > 0 {
        Ok(product)
    } else {
        Err(TrackError::NoSuchProduct)
    }
}
