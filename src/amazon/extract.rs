//! Reading an Amazon page into a product snapshot. (Stub: being written.)

use serde::Serialize;

use crate::domain::{Asin, Marketplace, Money};

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
pub fn extract(html: &str, hint: &ExtractHint) -> Page {
    let _ = (html, hint);
    Page::Error(ErrorPage::Unrecognised)
}

/// The marketplace the page itself names, when it does (used for captcha and
/// error pages, which carry no product).
pub fn page_marketplace(html: &str) -> Option<Marketplace> {
    let _ = html;
    None
}
