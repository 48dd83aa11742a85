//! The featured offer (the buy box): whether there is one, what it costs now,
//! its list price, condition and seller.
//!
//! Prices come only from the elements Amazon uses for the price to pay
//! (`.priceToPay`, `#priceblock_*`, `#price_inside_buybox`, `.offer-price`,
//! `#kindle-price`, …) and only where [`dom::in_featured_context`] agrees the
//! element belongs to the selected offer. Strike-through, unit, subscription,
//! coupon, swatch and other-seller prices are never read as the price.

use scraper::ElementRef;

use super::dom::{self, Dom, has_class};
use super::words;
use super::{Availability, Condition};
use crate::domain::price::{PriceHint, parse_currency, parse_price, parse_split_price};
use crate::domain::{Amount, Currency, Marketplace, Money};

/// What the buy box says.
pub(super) struct Offer {
    pub price: Option<Money>,
    pub list_price: Option<Money>,
    pub availability: Availability,
    pub condition: Option<Condition>,
    pub seller: Option<String>,
}

/// Buttons that buy the featured offer now (pre-orders use the same ids).
const BUY_BUTTONS: &[&str] = &[
    "add-to-cart-button",
    "buy-now-button",
    "one-click-button",
    "add-to-cart-button-ubb",
    "add-to-cart-button-ubb-mobile",
    "submit.add-to-cart",
    "submit.buy-now",
    "submit.add-to-cart-ubb",
    "mobile-buy-now-button",
];

/// Buy boxes that say "no featured offer, see the other sellers".
const OTHER_SELLERS: &[&str] = &[
    "unqualifiedBuyBox",
    "buybox-see-all-buying-choices",
    "buybox-see-all-buying-choices-announce",
];

/// Price blocks of the 2021+ layouts (buy box and centre column).
const CORE_PRICE_BLOCKS: &[&str] = &[
    "corePrice_feature_div",
    "corePriceDisplay_desktop_feature_div",
    "corePrice_desktop",
    "corePrice_mobile_feature_div",
];

/// Containers that hold the featured price block; list prices are read only
/// inside these, never from carousels or comparison tables.
const PRICE_BLOCKS: &[&str] = &[
    "corePriceDisplay_desktop_feature_div",
    "corePrice_feature_div",
    "corePrice_desktop",
    "corePrice_mobile_feature_div",
    "price",
    "newPitchPriceWrapper_feature_div",
    "ebooksPrice_feature_div",
    "buybox",
];

pub(super) fn read(dom: &Dom<'_>, marketplace: Marketplace) -> Offer {
    let reader = Reader::new(marketplace);
    let price = reader.featured_price(dom);
    let button = BUY_BUTTONS.iter().find_map(|id| dom.featured(id));
    let other_sellers = OTHER_SELLERS.iter().any(|id| dom.featured(id).is_some())
        || ["outOfStock", "availability"]
            .iter()
            .filter_map(|id| dom.featured(id))
            .any(links_to_offer_listing);
    let no_offer_box = dom.featured("outOfStock").is_some();
    let stock_text = ["availability", "outOfStock"]
        .iter()
        .filter_map(|id| dom.featured(id))
        .map(|e| dom::text(e).to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    let out_of_stock = words::any(&stock_text, words::OUT_OF_STOCK);

    let featured = button.is_some() || (price.is_some() && !other_sellers && !no_offer_box);
    let availability = if featured {
        if out_of_stock {
            Availability::OutOfStock
        } else {
            Availability::InStock
        }
    } else if other_sellers {
        Availability::OnlyOtherSellers
    } else if out_of_stock {
        Availability::OutOfStock
    } else {
        Availability::Unavailable
    };
    if !featured {
        return Offer {
            price: None,
            list_price: None,
            availability,
            condition: None,
            seller: None,
        };
    }

    // A used offer shows its condition grade beside a "Details" link.
    let used = dom.featured("usedItemConditionInfoLink").is_some()
        || match (&price, button) {
            (Some((el, _)), _) => is_used_offer(*el),
            (None, Some(b)) => is_used_offer(b),
            (None, None) => false,
        };
    let price = price.map(|(_, m)| m);
    let list_price = price.and_then(|p| {
        reader
            .list_price(dom)
            .filter(|l| l.compare(&p) == Some(std::cmp::Ordering::Greater))
    });
    Offer {
        price,
        list_price,
        availability,
        condition: Some(if used {
            Condition::Used
        } else {
            Condition::New
        }),
        seller: seller(dom),
    }
}

/// Whether the offer an element belongs to is a used one: Amazon names the
/// used buy box and accordion rows `usedBuySection`, `usedAccordionRow`,
/// `usedOnlyBuybox`, `used_buybox_desktop`, `add-to-cart-button-ubb`.
fn is_used_offer(el: ElementRef<'_>) -> bool {
    dom::self_and_ancestors(el).any(|a| {
        a.value().id().is_some_and(|id| {
            id.starts_with("used")
                || id.contains("Used")
                || id.contains("_used")
                || id.contains("-ubb")
        })
    })
}

/// A link to the list of all offers (`/gp/offer-listing/…`, or the
/// all-offers display `?aod=1`).
fn links_to_offer_listing(el: ElementRef<'_>) -> bool {
    dom::descendants(el).any(|a| {
        a.value().name() == "a"
            && a.value()
                .attr("href")
                .is_some_and(|h| h.contains("/offer-listing/") || h.contains("aod=1"))
    })
}

/// Reads prices as the storefront writes them.
struct Reader {
    hint: PriceHint,
    marketplace: Marketplace,
}

impl Reader {
    fn new(marketplace: Marketplace) -> Reader {
        Reader {
            hint: PriceHint {
                decimal_separator: marketplace.comma_decimal().then_some(','),
                currency: Some(marketplace.currency()),
            },
            marketplace,
        }
    }

    /// The price to pay now for the featured offer and the element it was
    /// read from. Sources in order of how directly they name the price to
    /// pay; the first source with a readable price in the featured context
    /// wins. A zero price (a membership or trial price) yields to a later
    /// non-zero one.
    fn featured_price<'a>(&self, dom: &Dom<'a>) -> Option<(ElementRef<'a>, Money)> {
        let mut zero = None;
        for (el, money) in self.price_candidates(dom) {
            if money.minor() != 0 {
                return Some((el, money));
            }
            zero.get_or_insert((el, money));
        }
        zero
    }

    /// Every readable price to pay in the featured context, best source
    /// first. Lazy: a source is only looked at when the ones before it had
    /// nothing.
    fn price_candidates<'a, 'd>(
        &'d self,
        dom: &'d Dom<'a>,
    ) -> impl Iterator<Item = (ElementRef<'a>, Money)> + 'd {
        let by_id = move |ids: &'static [&'static str]| -> Vec<ElementRef<'a>> {
            ids.iter()
                .flat_map(|id| dom.ids(id).iter().copied())
                .collect()
        };
        let sources: [Box<dyn Fn() -> Vec<ElementRef<'a>> + 'd>; 7] = [
            // 2021+: the price block marks the price to pay explicitly.
            Box::new(|| dom.price_to_pay.clone()),
            // 2017-2020 buy box, mobile buy box.
            Box::new(move || by_id(&["price_inside_buybox", "newBuyBoxPrice"])),
            // 2017-2020 centre column; a deal price is what is paid.
            Box::new(move || {
                by_id(&[
                    "priceblock_dealprice",
                    "priceblock_saleprice",
                    "priceblock_ourprice",
                ])
            }),
            Box::new(move || by_id(&["kindle-price"])),
            // Media and used buy boxes: "Buy new / Buy used" section headers.
            Box::new(|| dom.offer_price.clone()),
            // Kindle price rows ("Kindle Price: $9.99").
            Box::new(|| {
                dom.kindle_price
                    .iter()
                    .filter_map(|row| {
                        dom::descendants(*row).find(|e| {
                            has_class(*e, "price-value") || has_class(*e, "a-color-price")
                        })
                    })
                    .collect()
            }),
            // Price blocks whose price carries no "to pay" marker.
            Box::new(move || {
                CORE_PRICE_BLOCKS
                    .iter()
                    .flat_map(|id| dom.ids(id).iter())
                    .flat_map(|block| dom::descendants(*block))
                    .filter(|e| has_class(*e, "a-price"))
                    .collect()
            }),
        ];
        let pitch = move || {
            dom.featured("newPitchPriceWrapper_feature_div")
                .and_then(|w| self.pitch_price(w).map(|m| (w, m)))
        };
        sources
            .into_iter()
            .flat_map(|source| source())
            .filter(|el| dom::in_featured_context(*el) && !is_other_price(*el))
            .filter_map(|el| self.price_of(el).map(|m| (el, m)))
            // Mobile 2018 "pitch" price, split over three spans.
            .chain(std::iter::once_with(pitch).flatten())
    }

    /// The list / RRP / strike-through price shown with the featured price.
    fn list_price(&self, dom: &Dom<'_>) -> Option<Money> {
        PRICE_BLOCKS
            .iter()
            .flat_map(|id| dom.ids(id).iter())
            .flat_map(|block| dom::descendants(*block))
            .filter(|e| {
                let v = e.value();
                has_class(*e, "a-text-strike")
                    || has_class(*e, "priceBlockStrikePriceString")
                    || (has_class(*e, "a-price") && v.attr("data-a-strike") == Some("true"))
                    || (has_class(*e, "a-price") && has_class_above(*e, "basisPrice"))
                    || matches!(v.id(), Some("listPrice" | "listPriceValue"))
            })
            .filter(|e| dom::in_featured_context(*e) && !is_unit_price(*e))
            .find_map(|e| self.price_of(e))
    }

    /// The amount an Amazon price element shows, in the storefront currency.
    fn price_of(&self, el: ElementRef<'_>) -> Option<Money> {
        let a_price = if has_class(el, "a-price") {
            Some(el)
        } else {
            dom::descendants(el).find(|e| has_class(*e, "a-price"))
        };
        if let Some(p) = a_price {
            // The screen-reader copy is the whole price as one string; some
            // layouts leave it empty and only fill the whole/fraction spans.
            let offscreen = dom::descendants(p)
                .find(|e| has_class(*e, "a-offscreen"))
                .map(dom::text)
                .filter(|t| !t.is_empty());
            if let Some(money) = offscreen.and_then(|t| self.money_in(&t)) {
                return Some(money);
            }
            let part = |class: &str| {
                dom::descendants(p)
                    .find(|e| has_class(*e, class))
                    .map(dom::text)
            };
            if let Some(whole) = part("a-price-whole") {
                let fraction = part("a-price-fraction").unwrap_or_default();
                let symbol = part("a-price-symbol").unwrap_or_default();
                return self.split_money(&whole, &fraction, &symbol);
            }
        }
        let text = dom::text(el);
        if is_range(&text) {
            return None;
        }
        self.money_in(&text)
    }

    /// The mobile "pitch" price: `$` `21` `11` in three spans.
    fn pitch_price(&self, wrapper: ElementRef<'_>) -> Option<Money> {
        let mut symbol = String::new();
        let mut whole = None;
        for e in dom::descendants(wrapper) {
            if has_class(e, "price-large") {
                whole = Some(dom::text(e));
            } else if has_class(e, "price-info-superscript") {
                let t = dom::text(e);
                match &whole {
                    None => symbol = t,
                    Some(w) if t.chars().all(|c| c.is_ascii_digit()) => {
                        return self.split_money(w, &t, &symbol);
                    }
                    Some(_) => {}
                }
            }
        }
        self.split_money(&whole?, "", &symbol)
    }

    fn money_in(&self, text: &str) -> Option<Money> {
        let parsed = parse_price(text, &self.hint)?;
        self.money(parsed.amount, parsed.currency)
    }

    fn split_money(&self, whole: &str, fraction: &str, symbol: &str) -> Option<Money> {
        let amount = parse_split_price(whole, fraction, &self.hint)?;
        let currency = parse_currency(symbol, &self.hint).and_then(|c| c.currency);
        self.money(amount, currency)
    }

    /// Money in the storefront's currency. A price the page writes in another
    /// currency (a display-currency preference) is not one this storefront
    /// charges, so it is not reported.
    fn money(&self, amount: Amount, written: Option<Currency>) -> Option<Money> {
        let currency = self.marketplace.currency();
        if written.is_some_and(|w| w != currency) {
            return None;
        }
        Money::from_amount(amount, currency)
    }
}

/// Prices next to the price to pay that are something else: strike-through
/// and basis (list) prices, unit prices, and the `a-text-price` style Amazon
/// uses for both, unless the element is itself marked as the price to pay.
fn is_other_price(el: ElementRef<'_>) -> bool {
    if has_class(el, "priceToPay") || has_class(el, "apexPriceToPay") {
        return false;
    }
    is_unit_price(el)
        || dom::self_and_ancestors(el).take(6).any(|a| {
            has_class(a, "a-text-strike")
                || has_class(a, "basisPrice")
                || has_class(a, "a-text-price")
                || a.value().attr("data-a-strike") == Some("true")
        })
}

/// "$6.24 / count", "(€12.50 / kg)".
fn is_unit_price(el: ElementRef<'_>) -> bool {
    dom::self_and_ancestors(el).take(6).any(|a| {
        has_class(a, "pricePerUnit")
            || has_class(a, "unitPrice")
            || a.value()
                .id()
                .is_some_and(|id| id.contains("pricePerUnit") || id.contains("PerUnit"))
    })
}

fn has_class_above(el: ElementRef<'_>, class: &str) -> bool {
    dom::self_and_ancestors(el)
        .take(4)
        .any(|a| has_class(a, class))
}

/// "$12.99 - $24.99": a parent product's range, not a price to pay.
fn is_range(text: &str) -> bool {
    let dash = |c: char| matches!(c, '-' | '–' | '—');
    text.char_indices().filter(|(_, c)| dash(*c)).any(|(i, _)| {
        let (before, after) = text.split_at(i);
        before.chars().any(|c| c.is_ascii_digit()) && after.chars().any(|c| c.is_ascii_digit())
    })
}

/// Who sells the featured offer, as the page names them.
fn seller(dom: &Dom<'_>) -> Option<String> {
    let named = |e: ElementRef<'_>| Some(dom::text(e)).filter(|t| !t.is_empty());
    let seller_link = |e: ElementRef<'_>| {
        dom::descendants(e)
            .filter(|a| a.value().name() == "a")
            .find(|a| {
                a.value()
                    .attr("href")
                    .is_some_and(|h| h.contains("seller=") || h.contains("/sp?"))
            })
            .and_then(named)
    };
    if let Some(s) = dom.featured("sellerProfileTriggerId").and_then(named) {
        return Some(s);
    }
    let odf = dom
        .featured("merchantInfoFeature_feature_div")
        .and_then(|f| {
            dom::descendants(f)
                .find(|e| has_class(*e, "offer-display-feature-text-message"))
                .and_then(named)
        });
    if odf.is_some() {
        return odf;
    }
    if let Some(info) = dom.featured("merchant-info") {
        if let Some(s) = seller_link(info) {
            return Some(s);
        }
        let text = dom::text(info);
        // "Ships from and sold by Amazon.com." / "Verkauf und Versand durch Amazon."
        if let Some(token) = text
            .split(|c: char| c.is_whitespace() || c == ',')
            .find(|w| w.starts_with("Amazon"))
        {
            return Some(token.trim_end_matches('.').to_string()).filter(|t| t.len() > 1);
        }
    }
    if let Some(s) = ["usedbuyBox", "soldByThirdParty", "buybox"]
        .iter()
        .filter_map(|id| dom.featured(id))
        .find_map(seller_link)
    {
        return Some(s);
    }
    // Kindle: "Sold by: <span class="a-color-base">Publisher</span>".
    dom::descendants(dom.featured("buybox")?)
        .filter(|e| has_class(*e, "print-sold-by"))
        .flat_map(|row| dom::descendants(row))
        .find(|e| has_class(*e, "a-color-base"))
        .and_then(named)
}
