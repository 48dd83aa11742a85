//! Amazon storefronts: which hosts belong to which marketplace, and each one's
//! currency, language and number style.

use std::fmt;

use super::money::{Currency, NumberStyle};

/// One Amazon retail storefront, named by its domain suffix (`de`, `co.uk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Marketplace(&'static MarketplaceInfo);

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MarketplaceInfo {
    /// Domain after `amazon.`: `com`, `co.uk`, `com.br`.
    pub tld: &'static str,
    pub currency: &'static str,
    /// Accept-Language sent when fetching: the storefront's main language.
    pub accept_language: &'static str,
    /// How prices are written on this storefront's pages.
    pub style: NumberStyle,
}

use NumberStyle::{CommaDecimal as Comma, DotDecimal as Dot, SpaceGroupCommaDecimal as Space};

const fn m(
    tld: &'static str,
    currency: &'static str,
    accept_language: &'static str,
    style: NumberStyle,
) -> MarketplaceInfo {
    MarketplaceInfo {
        tld,
        currency,
        accept_language,
        style,
    }
}

/// Every storefront we know. Order matters only for listing.
static ALL: &[MarketplaceInfo] = &[
    m("com", "USD", "en-US,en;q=0.9", Dot),
    m("co.uk", "GBP", "en-GB,en;q=0.9", Dot),
    m("de", "EUR", "de-DE,de;q=0.9,en;q=0.5", Comma),
    m("fr", "EUR", "fr-FR,fr;q=0.9,en;q=0.5", Space),
    m("it", "EUR", "it-IT,it;q=0.9,en;q=0.5", Comma),
    m("es", "EUR", "es-ES,es;q=0.9,en;q=0.5", Comma),
    m("nl", "EUR", "nl-NL,nl;q=0.9,en;q=0.5", Comma),
    m("se", "SEK", "sv-SE,sv;q=0.9,en;q=0.5", Space),
    m("pl", "PLN", "pl-PL,pl;q=0.9,en;q=0.5", Space),
    m("com.be", "EUR", "fr-BE,fr;q=0.9,nl;q=0.8,en;q=0.5", Comma),
    m("com.tr", "TRY", "tr-TR,tr;q=0.9,en;q=0.5", Comma),
    m("ie", "EUR", "en-IE,en;q=0.9", Dot),
    m("ca", "CAD", "en-CA,en;q=0.9,fr-CA;q=0.5", Dot),
    m("com.mx", "MXN", "es-MX,es;q=0.9,en;q=0.5", Dot),
    m("com.br", "BRL", "pt-BR,pt;q=0.9,en;q=0.5", Comma),
    m("co.jp", "JPY", "ja-JP,ja;q=0.9,en;q=0.5", Dot),
    m("in", "INR", "en-IN,en;q=0.9,hi;q=0.5", Dot),
    m("com.au", "AUD", "en-AU,en;q=0.9", Dot),
    m("sg", "SGD", "en-SG,en;q=0.9", Dot),
    m("ae", "AED", "en-AE,en;q=0.9,ar;q=0.5", Dot),
    m("sa", "SAR", "en-SA,en;q=0.9,ar;q=0.5", Dot),
    m("eg", "EGP", "en-EG,en;q=0.9,ar;q=0.5", Dot),
];

impl Marketplace {
    /// Every known storefront.
    pub fn all() -> impl Iterator<Item = Marketplace> {
        ALL.iter().map(Marketplace)
    }

    /// The storefront for a domain suffix such as `co.uk` (any case).
    pub fn from_tld(tld: &str) -> Option<Marketplace> {
        let tld = tld.trim_end_matches('.');
        ALL.iter()
            .find(|i| i.tld.eq_ignore_ascii_case(tld))
            .map(Marketplace)
    }

    /// The storefront a host belongs to: `www.amazon.de`, `amazon.de`,
    /// `m.amazon.de`, `smile.amazon.de` (any case). Anything else — other
    /// subdomains, look-alikes, `amazon.de.evil.example` — is `None`.
    pub fn from_host(host: &str) -> Option<Marketplace> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let rest = ["www.amazon.", "amazon.", "m.amazon.", "smile.amazon."]
            .iter()
            .find_map(|p| host.strip_prefix(p))?;
        Marketplace::from_tld(rest)
    }

    /// The storefront named like `amazon.de` (as in our JSON output and the database).
    pub fn from_name(name: &str) -> Option<Marketplace> {
        Marketplace::from_tld(name.strip_prefix("amazon.")?)
    }

    pub fn tld(&self) -> &'static str {
        self.0.tld
    }

    /// `amazon.de`: how we name a storefront in output and storage.
    pub fn name(&self) -> String {
        format!("amazon.{}", self.0.tld)
    }

    /// `www.amazon.de`
    pub fn host(&self) -> String {
        format!("www.amazon.{}", self.0.tld)
    }

    pub fn currency(&self) -> Currency {
        Currency::parse(self.0.currency).unwrap_or(Currency::USD)
    }

    pub fn accept_language(&self) -> &'static str {
        self.0.accept_language
    }

    pub fn number_style(&self) -> NumberStyle {
        self.0.style
    }

    /// True when prices on this storefront use `,` as the decimal separator.
    pub fn comma_decimal(&self) -> bool {
        self.0.style != NumberStyle::DotDecimal
    }
}

impl fmt::Display for Marketplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "amazon.{}", self.0.tld)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_map_to_storefronts() {
        let de = Marketplace::from_tld("de").unwrap();
        for h in [
            "www.amazon.de",
            "amazon.de",
            "M.AMAZON.DE",
            "smile.amazon.de",
            "amazon.de.",
        ] {
            assert_eq!(Marketplace::from_host(h), Some(de), "{h}");
        }
        for h in [
            "amazon.de.evil.example",
            "www.amazon.evil",
            "evilamazon.de",
            "images.amazon.de",
            "amazon.com.evil.example",
            "www.amaz0n.com",
            "aws.amazon.com",
        ] {
            assert_eq!(Marketplace::from_host(h), None, "{h}");
        }
    }

    #[test]
    fn every_required_storefront_exists() {
        for (tld, cur, exp) in [
            ("com", "USD", 2),
            ("co.uk", "GBP", 2),
            ("de", "EUR", 2),
            ("fr", "EUR", 2),
            ("it", "EUR", 2),
            ("es", "EUR", 2),
            ("nl", "EUR", 2),
            ("se", "SEK", 2),
            ("pl", "PLN", 2),
            ("com.be", "EUR", 2),
            ("com.tr", "TRY", 2),
            ("ca", "CAD", 2),
            ("com.mx", "MXN", 2),
            ("com.br", "BRL", 2),
            ("co.jp", "JPY", 0),
            ("in", "INR", 2),
            ("com.au", "AUD", 2),
            ("sg", "SGD", 2),
            ("ae", "AED", 2),
            ("sa", "SAR", 2),
            ("eg", "EGP", 2),
        ] {
            let m = Marketplace::from_tld(tld).unwrap_or_else(|| panic!("{tld} missing"));
            assert_eq!(m.currency().code(), cur);
            assert_eq!(m.currency().exponent(), exp);
            assert_eq!(Marketplace::from_name(&m.name()), Some(m));
        }
    }
}
