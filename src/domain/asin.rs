//! ASINs (Amazon Standard Identification Numbers) and product references.

use std::fmt;

use super::marketplace::Marketplace;

/// A ten-character Amazon product id: `B0` followed by eight letters or digits,
/// or an ISBN-10 (nine digits and a digit or `X`). Always upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asin([u8; 10]);

impl Asin {
    /// Accepts any letter case; ISBN-10 ids with a lower-case `x` check digit too.
    pub fn parse(s: &str) -> Option<Asin> {
        let b = s.as_bytes();
        if b.len() != 10 || !b.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut out = [0u8; 10];
        for (o, c) in out.iter_mut().zip(b) {
            *o = c.to_ascii_uppercase();
        }
        let is_isbn10 =
            out[..9].iter().all(u8::is_ascii_digit) && (out[9].is_ascii_digit() || out[9] == b'X');
        // Amazon's own ids start with B and are never all digits.
        let is_b_asin = out[0] == b'B' && !out.iter().all(u8::is_ascii_digit);
        (is_isbn10 || is_b_asin).then_some(Asin(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for Asin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A product on one storefront: the key every user who tracks it shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProductRef {
    pub marketplace: Marketplace,
    pub asin: Asin,
}

impl ProductRef {
    /// The product as the database stores it (`amazon.de`, `B01LZ79682`).
    pub fn from_stored(marketplace: &str, asin: &str) -> Option<ProductRef> {
        Some(ProductRef {
            marketplace: Marketplace::from_name(marketplace)?,
            asin: Asin::parse(asin)?,
        })
    }

    /// `https://www.amazon.<tld>/dp/<ASIN>`
    pub fn canonical_url(&self) -> String {
        format!("https://{}/dp/{}", self.marketplace.host(), self.asin)
    }

    /// Where "Buy on Amazon" leads: the canonical URL, with the operator's
    /// Associates tag when one is set.
    pub fn buy_url(&self, affiliate_tag: Option<&str>) -> String {
        match affiliate_tag {
            Some(tag) => format!("{}?tag={tag}", self.canonical_url()),
            None => self.canonical_url(),
        }
    }
}

impl fmt::Display for ProductRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.marketplace, self.asin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buy_links_are_canonical_with_the_tag() {
        let r = ProductRef::from_stored("amazon.de", "B01LZ79682").unwrap();
        assert_eq!(
            r.buy_url(Some("mytag-21")),
            "https://www.amazon.de/dp/B01LZ79682?tag=mytag-21"
        );
        assert_eq!(r.buy_url(None), "https://www.amazon.de/dp/B01LZ79682");
        assert!(ProductRef::from_stored("nowhere", "B01LZ79682").is_none());
        assert!(ProductRef::from_stored("amazon.de", "not an asin").is_none());
    }

    #[test]
    fn asins() {
        assert_eq!(Asin::parse("B07G2L3JMM").unwrap().as_str(), "B07G2L3JMM");
        assert_eq!(Asin::parse("b0dlfmfbjw").unwrap().as_str(), "B0DLFMFBJW");
        assert_eq!(Asin::parse("020530902x").unwrap().as_str(), "020530902X");
        assert_eq!(Asin::parse("3518366823").unwrap().as_str(), "3518366823");
        for bad in [
            "B07G2L3JM",
            "B07G2L3JMMM",
            "B07G2L3JM!",
            "",
            "ABCDEFGHIJ",
            "12345678XX",
        ] {
            assert!(Asin::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn canonical_url() {
        let r = ProductRef {
            marketplace: Marketplace::from_tld("co.uk").unwrap(),
            asin: Asin::parse("1473210208").unwrap(),
        };
        assert_eq!(r.canonical_url(), "https://www.amazon.co.uk/dp/1473210208");
    }
}
