//! Amazon links from chat: turn any Amazon product URL into a [`ProductRef`],
//! spot links in a message, and resolve Amazon's short links (`amzn.to`,
//! `a.co/d/…`) one checked hop at a time.
//!
//! [`parse`] never touches the network. [`ShortLinkResolver::resolve`] is the
//! only network a user's text can cause, and it only ever connects to Amazon's
//! short-link hosts: every URL (the first one and every `Location`) is checked
//! before any connection is made.

mod find;
mod parse;
mod resolve;
#[cfg(test)]
// Tests may panic on broken set-up; that is what a failing test is.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

use url::Url;

use crate::domain::ProductRef;

pub use find::find_links;
pub use parse::parse;
pub use resolve::{SetupError, ShortLinkResolver};

/// What a link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A product on one storefront; its canonical URL carries no query.
    Product(ProductRef),
    /// An Amazon short link (https, host checked, fragment dropped). Only
    /// [`ShortLinkResolver::resolve`] can tell which product it names.
    ShortLink(Url),
}

/// Why a link was not accepted. Every Display text is a reply a chat bot can
/// send as it is: English, URL-free, and it tells the user what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("That doesn't look like a link. Send the link of an Amazon product page.")]
    NotALink,
    #[error("Only web links (http or https) work here. Send the link of an Amazon product page.")]
    UnsupportedScheme,
    /// Credentials, IP addresses or odd ports: refused before any lookup.
    #[error("{0}")]
    UnsafeLink(UnsafeReason),
    #[error("That isn't a link to an Amazon store. Send the link of an Amazon product page.")]
    NotAmazon,
    /// A real Amazon storefront that we do not track; carries its name (`amazon.cn`).
    #[error("That Amazon store ({0}) isn't supported yet. Send a link from another Amazon store.")]
    UnknownMarketplace(&'static str),
    #[error("{0}")]
    NotAProduct(PageKind),
    /// A product-shaped link whose id is missing or malformed (a truncated paste).
    #[error(
        "That Amazon link is cut off or damaged. Copy the whole link from the product page again."
    )]
    BadAsin,
    /// A short link redirected somewhere we refuse to go; nothing was requested there.
    #[error(
        "That short link leads away from Amazon, so I didn't follow it. Send the Amazon product link instead."
    )]
    RedirectLeftAmazon,
    #[error(
        "That short link forwards too many times. Open it in your browser and send the product link it leads to."
    )]
    TooManyRedirects,
    /// The short-link service did not answer with a usable redirect; the
    /// detail is for logs, the user gets the same sentence either way.
    #[error(
        "I couldn't open that short link. Open it in your browser and send the product link it leads to."
    )]
    ShortLinkFailed(ShortLinkFailure),
}

/// Why a link looked like an attempt to go somewhere other than it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeReason {
    /// `https://amazon.com@evil.example/`: the part before `@` is a user name.
    Credentials,
    IpAddress,
    Port,
}

impl std::fmt::Display for UnsafeReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Credentials => {
                "That link disguises where it really goes, so I won't open it. Copy the product link straight from Amazon."
            }
            Self::IpAddress => {
                "That link points to a bare server address, not to Amazon. Copy the product link straight from Amazon."
            }
            Self::Port => {
                "That link points to an unusual port, so I won't open it. Copy the product link straight from Amazon."
            }
        })
    }
}

/// The kind of Amazon page a non-product link shows, so the reply can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Home,
    Search,
    /// Browse nodes and best-seller lists.
    Category,
    /// Brand stores and influencer shops.
    Store,
    Author,
    Seller,
    /// Wish lists and registries.
    Wishlist,
    Cart,
    Account,
    /// Deals and shopping events (Prime Day, Boxing Day…).
    Deals,
    /// An image on Amazon's CDN.
    Image,
    /// Another Amazon site (AWS, Music…), not a storefront.
    OtherService,
    Other,
}

impl std::fmt::Display for PageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const OPEN: &str = "Open the product and send its link.";
        let what = match self {
            Self::Home => "That's the Amazon home page, not a product.",
            Self::Search => "That's an Amazon search page, not a product.",
            Self::Category => "That's an Amazon category or best-seller list, not a product.",
            Self::Store => "That's a brand store on Amazon, not a product.",
            Self::Author => {
                return f.write_str(
                    "That's an author page on Amazon, not a product. Open the book and send its link.",
                );
            }
            Self::Seller => "That's an Amazon seller page, not a product.",
            Self::Wishlist => {
                return f.write_str(
                    "That's an Amazon list, not a product. Open one product from it and send its link.",
                );
            }
            Self::Cart => "That's an Amazon shopping cart, not a product.",
            Self::Account => "That's an Amazon account page, not a product.",
            Self::Deals => "That's an Amazon deals or event page, not a product.",
            Self::Image => "That's a picture stored by Amazon, not a product page.",
            Self::OtherService => "That link goes to an Amazon service, not to a store product.",
            Self::Other => "That Amazon page isn't a product page.",
        };
        write!(f, "{what} {OPEN}")
    }
}

/// What went wrong with a short-link request (for logs; the reply is the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortLinkFailure {
    Network,
    Timeout,
    /// An error status such as 404: the short link does not exist (any more).
    Status(u16),
    /// A 2xx page instead of a redirect.
    NoRedirect,
    /// A redirect without a usable `Location`.
    BadLocation,
}
