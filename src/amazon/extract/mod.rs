//! Reading a fetched Amazon page into what a shopper sees: a product with
//! its featured offer, a robot check, or an error page.
//!
//! Any storefront, any UI language, desktop and mobile layouts from 2017 on.
//! Decisions come from the page's structure (ids, classes, hidden inputs,
//! buy buttons), with phrase lists only where markup says nothing (see
//! `words`). The page is parsed once; [`dom::Dom`] indexes it in one pass.
//!
//! - `blocked`: robot checks and error pages
//! - `identity`: storefront, selected ASIN, title, image
//! - `offer`: the buy box (price, list price, availability, condition, seller)
//! - `trim`: leaving the below-the-fold half of a page unparsed

mod blocked;
mod dom;
mod identity;
mod offer;
mod trim;
mod words;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod traps;

use scraper::Html;
use serde::Serialize;

use crate::domain::{Asin, Marketplace, Money};
use dom::Dom;

/// What a fetched page turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Product(ProductSnapshot),
    /// A robot check: the product was not shown. Back off.
    Captcha,
    /// An error page instead of the product.
    Error(ErrorPage),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPage {
    /// The 503 "Sorry! Something went wrong" dogs page: back off.
    ServiceUnavailable,
    /// A tiny 200 "server busy" / JavaScript challenge page: back off.
    Busy,
    /// The 404 "Page Not Found" dogs page: the product is gone.
    NotFound,
    /// Something that is neither a product nor a known Amazon error page.
    Unrecognised,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Buyable now from the featured offer (pre-orders included).
    InStock,
    OutOfStock,
    /// "Currently unavailable": no offer at all.
    Unavailable,
    /// No featured offer, but other sellers list it ("See all buying options").
    OnlyOtherSellers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    New,
    Used,
}

/// What a shopper sees on a product page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSnapshot {
    pub asin: Asin,
    pub marketplace: Marketplace,
    pub title: String,
    pub image_url: Option<String>,
    /// The price to pay now for the featured offer.
    pub price: Option<Money>,
    /// The list / RRP / strike-through price, when the page shows one.
    pub list_price: Option<Money>,
    pub availability: Availability,
    /// Condition of the featured offer; `None` when there is no featured offer.
    pub condition: Option<Condition>,
    /// Who sells the featured offer, when the page says.
    pub seller: Option<String>,
}

/// What the caller already knows about the page (from the URL it fetched).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractHint {
    pub marketplace: Option<Marketplace>,
    pub asin: Option<Asin>,
}

/// Reads a page. One HTML parse.
///
/// What the hint names wins over what the page says (the caller asked for
/// that product on that storefront); otherwise both come from the page.
pub fn extract(html: &str, hint: &ExtractHint) -> Page {
    read(&Html::parse_document(trim::parse_extent(html)), html, hint)
}

/// Reads a parsed page; `html` is the whole page, for the byte scans.
fn read(doc: &Html, html: &str, hint: &ExtractHint) -> Page {
    let dom = Dom::new(doc);
    if blocked::is_captcha_form(&dom) {
        return Page::Captcha;
    }
    match product(&dom, html, hint) {
        Some(p) => Page::Product(p),
        None => blocked::classify(html, &dom),
    }
}

/// The marketplace the page itself names, when it does (used for captcha and
/// error pages, which carry no product). Parses the whole page: these pages
/// are small, and their footer links are the last clue.
pub fn page_marketplace(html: &str) -> Option<Marketplace> {
    let doc = Html::parse_document(html);
    identity::marketplace(&Dom::new(&doc), html).or_else(|| identity::linked_storefront(&doc))
}

/// A product page shows a title and names its ASIN in its own markup;
/// without both it is something else, whatever the hint says.
fn product(dom: &Dom<'_>, html: &str, hint: &ExtractHint) -> Option<ProductSnapshot> {
    let title = identity::title(dom)?;
    let page_asin = identity::asin(dom)?;
    let asin = hint.asin.unwrap_or(page_asin);
    let marketplace = hint
        .marketplace
        .or_else(|| identity::marketplace(dom, html))?;
    let offer = offer::read(dom, marketplace);
    Some(ProductSnapshot {
        asin,
        marketplace,
        title,
        image_url: identity::image(dom),
        price: offer.price,
        list_price: offer.list_price,
        availability: offer.availability,
        condition: offer.condition,
        seller: offer.seller,
    })
}
