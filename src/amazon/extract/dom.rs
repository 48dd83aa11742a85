//! The parsed page, indexed once, and the questions every reader asks of an
//! element: its visible text, and whether it belongs to what a shopper sees
//! as *this* product's featured offer (not a hidden block, a format swatch,
//! another seller's offer, a carousel, or an accordion row that is not the
//! selected one).

use std::collections::HashMap;

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use super::meter;
use super::parse::TooComplex;

/// The deepest element nesting a page may have (real pages: under 50;
/// Chromium's parser stops nesting at 512).
pub(super) const MAX_DEPTH: usize = 256;

/// The most elements a page may have (real pages: under 7,000 as parsed).
pub(super) const MAX_ELEMENTS: usize = 100_000;

/// The most text read out of one element.
pub(super) const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Element names whose text a shopper never sees.
const INVISIBLE: &[&str] = &["script", "style", "noscript", "template"];

/// Every id a reader looks up. The index keeps only these, and
/// [`super::trim`] cuts a page only where none of them follows the cut, so a
/// lookup of an id missing here would silently find nothing (debug builds
/// assert).
pub(super) const CONSULTED_IDS: &[&str] = &[
    // robot check
    "captchacharacters",
    // identity
    "dp",
    "ASIN",
    "ftSelectAsin",
    "ddmSelectAsin",
    "productTitle", // see TITLE_IDS
    "ebooksProductTitle",
    "ebooksTitle",
    "btAsinTitle",
    "title",
    "landingImage",
    "imgBlkFront",
    "ebooksImgBlkFront",
    "main-image",
    "imgTagWrapperId",
    // buy box
    "buybox",
    "add-to-cart-button",
    "buy-now-button",
    "one-click-button",
    "add-to-cart-button-ubb",
    "add-to-cart-button-ubb-mobile",
    "submit.add-to-cart",
    "submit.buy-now",
    "submit.add-to-cart-ubb",
    "mobile-buy-now-button",
    "unqualifiedBuyBox",
    "buybox-see-all-buying-choices",
    "buybox-see-all-buying-choices-announce",
    "outOfStock",
    "availability",
    "usedItemConditionInfoLink",
    // prices
    "price_inside_buybox",
    "newBuyBoxPrice",
    "priceblock_dealprice",
    "priceblock_saleprice",
    "priceblock_ourprice",
    "kindle-price",
    "corePrice_feature_div",
    "corePriceDisplay_desktop_feature_div",
    "corePrice_desktop",
    "corePrice_mobile_feature_div",
    "price",
    "newPitchPriceWrapper_feature_div",
    "ebooksPrice_feature_div",
    // seller
    "sellerProfileTriggerId",
    "merchantInfoFeature_feature_div",
    "merchant-info",
    "usedbuyBox",
    "soldByThirdParty",
];

/// Where the title is shown, best first. Newer pages repeat `productTitle`
/// on a hidden feedback-form `<input>`, which is not what a shopper reads.
pub(super) const TITLE_IDS: &[&str] = &[
    "productTitle",
    "ebooksProductTitle",
    "ebooksTitle",
    "btAsinTitle",
    "title",
];

pub(super) fn can_show_title(tag: &str) -> bool {
    !matches!(tag, "input" | "title" | "meta")
}

/// Forms that buy the featured offer; ASIN inputs count only inside them.
pub(super) const BUY_FORMS: &[&str] = &["addToCart", "buyOneClick"];

/// Whether a reader can look at an element with this tag and id.
pub(super) fn is_consulted(tag: &str, id: &str) -> bool {
    if TITLE_IDS.contains(&id) && !can_show_title(tag) {
        return false;
    }
    CONSULTED_IDS.contains(&id) || BUY_FORMS.contains(&id)
}

/// Tags a reader consults by what they say rather than by id: an element
/// with one of these names whose tag mentions one of the phrases (compared
/// in lower case). Part of the registry [`super::trim`] checks.
pub(super) const CONSULTED_TAGS: &[(&str, &[&str])] = &[
    ("link", &["canonical"]),
    ("meta", &["og:url", "og:image"]),
    ("form", &["validatecaptcha"]),
    ("img", &[ERROR_IMAGES]),
];

/// Where Amazon's error pages keep their (localised) images.
pub(super) const ERROR_IMAGES: &str = "/error/";

/// Classes the index collects page-wide.
pub(super) const INDEXED_CLASSES: &[&str] = &[
    "priceToPay",
    "apexPriceToPay",
    "offer-price",
    "kindle-price",
];

/// `input` names that carry an ASIN in a [`BUY_FORMS`] form.
pub(super) const ASIN_INPUTS: &[&str] = &["ASIN", "a", "asin", "ASIN.0"];

/// One parsed page with the lookups the readers need, built in one pass over
/// the tree so that no reader re-walks the whole document per selector.
pub(super) struct Dom<'a> {
    by_id: HashMap<&'a str, Vec<ElementRef<'a>>>,
    /// `.priceToPay` and `.apexPriceToPay`, in document order.
    pub price_to_pay: Vec<ElementRef<'a>>,
    /// `.offer-price` (the buy-box accordion headers of 2017-2024 layouts).
    pub offer_price: Vec<ElementRef<'a>>,
    /// `.kindle-price` rows.
    pub kindle_price: Vec<ElementRef<'a>>,
    /// Purchase-form inputs that name an ASIN, by input name.
    asin_inputs: Vec<(&'a str, ElementRef<'a>)>,
    pub forms: Vec<ElementRef<'a>>,
    pub links: Vec<ElementRef<'a>>,
    pub metas: Vec<ElementRef<'a>>,
    pub images: Vec<ElementRef<'a>>,
    pub title: Option<ElementRef<'a>>,
    pub body: Option<ElementRef<'a>>,
    /// How many elements the page has.
    pub elements: usize,
}

impl<'a> Dom<'a> {
    /// Indexes a parsed page, or refuses it when it is deeper than
    /// [`MAX_DEPTH`] or has more than [`MAX_ELEMENTS`] elements: every reader
    /// walks ancestors and subtrees, so these two bound what reading costs.
    pub fn new(doc: &'a Html) -> Result<Dom<'a>, TooComplex> {
        let mut dom = Dom {
            by_id: HashMap::new(),
            price_to_pay: Vec::new(),
            offer_price: Vec::new(),
            kindle_price: Vec::new(),
            asin_inputs: Vec::new(),
            forms: Vec::new(),
            links: Vec::new(),
            metas: Vec::new(),
            images: Vec::new(),
            title: None,
            body: None,
            elements: 0,
        };
        let shape = shape(doc.root_element());
        dom.elements = shape.elements;
        if shape.depth > MAX_DEPTH {
            return Err(TooComplex("its elements are nested too deeply"));
        }
        if shape.elements > MAX_ELEMENTS {
            return Err(TooComplex("it has too many elements"));
        }
        for el in doc.root_element().descendent_elements() {
            dom.index(el);
        }
        Ok(dom)
    }

    fn index(&mut self, el: ElementRef<'a>) {
        let e = el.value();
        let mut name_attr = None;
        // Reading the raw attributes once is much cheaper than `Element::attr`
        // per name, and `Element::classes` would intern every class string.
        for (name, value) in e.attrs() {
            match name {
                "id" if CONSULTED_IDS.contains(&value) => {
                    self.by_id.entry(value).or_default().push(el);
                }
                "class" => {
                    // Keep in step with INDEXED_CLASSES (the trimmer's guard).
                    for class in value.split_ascii_whitespace() {
                        let list = match class {
                            "priceToPay" | "apexPriceToPay" => &mut self.price_to_pay,
                            "offer-price" => &mut self.offer_price,
                            "kindle-price" => &mut self.kindle_price,
                            _ => continue,
                        };
                        if list.last() != Some(&el) {
                            list.push(el);
                        }
                    }
                }
                "name" => name_attr = Some(value),
                _ => {}
            }
        }
        match e.name() {
            "input" => {
                if let Some(n) = name_attr.filter(|n| ASIN_INPUTS.contains(n)) {
                    self.asin_inputs.push((n, el));
                }
            }
            "form" => self.forms.push(el),
            "link" => self.links.push(el),
            "meta" => self.metas.push(el),
            "img" => self.images.push(el),
            "title" if self.title.is_none() => self.title = Some(el),
            "body" if self.body.is_none() => self.body = Some(el),
            _ => {}
        }
    }

    /// Every element with this id, in document order (Amazon repeats ids).
    pub fn ids(&self, id: &str) -> &[ElementRef<'a>] {
        debug_assert!(CONSULTED_IDS.contains(&id), "{id} is not in CONSULTED_IDS");
        self.by_id.get(id).map_or(&[], Vec::as_slice)
    }

    pub fn has_id(&self, id: &str) -> bool {
        !self.ids(id).is_empty()
    }

    /// The first element with this id that passes [`in_featured_context`].
    pub fn featured(&self, id: &str) -> Option<ElementRef<'a>> {
        self.ids(id)
            .iter()
            .copied()
            .find(|e| in_featured_context(*e))
    }

    /// Purchase-form inputs with this name, in document order.
    pub fn asin_inputs(&self, name: &str) -> Vec<ElementRef<'a>> {
        self.asin_inputs
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, e)| *e)
            .collect()
    }

    /// `content` of `<meta property=… >` or `<meta name=…>`.
    pub fn meta(&self, key: &str) -> Option<&'a str> {
        debug_assert!(
            is_registered_tag("meta", key),
            "meta {key} is not in CONSULTED_TAGS"
        );
        self.metas.iter().find_map(|m| {
            let e = m.value();
            let named = e.attr("property") == Some(key) || e.attr("name") == Some(key);
            named.then(|| e.attr("content")).flatten()
        })
    }

    /// `href` of the first `<link rel=…>` with this relation.
    pub fn link(&self, rel: &str) -> Option<&'a str> {
        debug_assert!(
            is_registered_tag("link", rel),
            "link {rel} is not in CONSULTED_TAGS"
        );
        self.links.iter().find_map(|l| {
            let e = l.value();
            let rels = e.attr("rel")?;
            rels.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(rel))
                .then(|| e.attr("href"))
                .flatten()
        })
    }
}

fn is_registered_tag(tag: &str, phrase: &str) -> bool {
    CONSULTED_TAGS
        .iter()
        .any(|(t, phrases)| *t == tag && phrases.contains(&phrase))
}

/// The text a shopper sees in `el`: scripts and styles left out, runs of
/// whitespace (including no-break spaces) collapsed to one space, trimmed.
/// At most [`MAX_TEXT_BYTES`] of it are read (a walk, not a recursion).
pub(super) fn text(el: ElementRef<'_>) -> String {
    let mut raw = String::new();
    // While inside an invisible element: that element, until it closes.
    let mut hidden = None;
    for edge in el.traverse() {
        if !meter::visit() {
            break;
        }
        match edge {
            Edge::Open(node) if hidden.is_none() && node.id() != el.id() => match node.value() {
                Node::Text(t) => {
                    let room = MAX_TEXT_BYTES.saturating_sub(raw.len());
                    raw.push_str(&t[..t.floor_char_boundary(room)]);
                    if raw.len() >= MAX_TEXT_BYTES {
                        break;
                    }
                }
                Node::Element(e) if INVISIBLE.contains(&e.name()) => hidden = Some(node.id()),
                _ => {}
            },
            Edge::Close(node) if hidden == Some(node.id()) => hidden = None,
            _ => {}
        }
    }
    collapse(&raw)
}

/// How deep and how big a tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    /// Elements on the longest path from `root` down, `root` included.
    pub depth: usize,
    pub elements: usize,
}

/// Measures the tree under `root` in one walk (no recursion).
pub(super) fn shape(root: ElementRef<'_>) -> Shape {
    let (mut depth, mut deepest, mut elements) = (0usize, 0usize, 0usize);
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) if node.value().is_element() => {
                depth += 1;
                elements += 1;
                deepest = deepest.max(depth);
            }
            Edge::Close(node) if node.value().is_element() => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Shape {
        depth: deepest,
        elements,
    }
}

/// Collapses whitespace and drops the invisible direction and joiner marks
/// Amazon sprinkles into text (`‌`, `‎`).
pub(super) fn collapse(s: &str) -> String {
    let cleaned = s.replace(
        [
            '\u{200b}', '\u{200c}', '\u{200d}', '\u{200e}', '\u{200f}', '\u{feff}',
        ],
        "",
    );
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn has_class(el: ElementRef<'_>, class: &str) -> bool {
    el.value()
        .attr("class")
        .is_some_and(|c| c.split_ascii_whitespace().any(|x| x == class))
}

/// `el` and its ancestor elements, nearest first (counted by the meter).
pub(super) fn self_and_ancestors<'a>(el: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> {
    std::iter::once(el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .take_while(|_| meter::visit())
}

/// `el` and its descendant elements in document order (counted by the
/// meter). Every reader walks down through this.
pub(super) fn descendants<'a>(el: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> {
    el.descendent_elements().take_while(|_| meter::visit())
}

/// True when `el` is part of what a shopper sees as this product's featured
/// offer area: not hidden, and not inside a block that shows something else
/// (other formats, other sellers, subscriptions, coupons, other products),
/// nor inside an accordion row or offer section that is not the selected one.
///
/// Decided from ids and classes only, so it holds in every UI language.
pub(super) fn in_featured_context(el: ElementRef<'_>) -> bool {
    let mut below: Option<ElementRef<'_>> = None;
    for node in self_and_ancestors(el) {
        let e = node.value();
        if e.id().is_some_and(is_elsewhere_id) {
            return false;
        }
        if let Some(classes) = e.attr("class") {
            let mut classes = classes.split_ascii_whitespace();
            if classes.any(is_elsewhere_class) {
                return false;
            }
            if has_class(node, "rbbSection") && has_class(node, "unselected") {
                return false;
            }
            if let Some(row) = below
                && has_class(node, "a-accordion")
                && featured_row(node) != Some(row)
            {
                return false;
            }
        }
        if e.attr("style").is_some_and(hides) {
            return false;
        }
        below = Some(node);
    }
    true
}

/// Whether an inline style hides the element.
fn hides(style: &str) -> bool {
    let compact: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// The row of a buy-box accordion that is the featured offer: the active one,
/// unless that is a subscription or membership row (Subscribe & Save, Kindle
/// Unlimited), whose price is not what a one-time buyer pays.
pub(super) fn featured_row<'a>(accordion: ElementRef<'a>) -> Option<ElementRef<'a>> {
    let rows: Vec<ElementRef<'a>> = accordion
        .child_elements()
        .take_while(|_| meter::visit())
        .collect();
    let buys = |r: &ElementRef<'_>| !r.value().id().is_some_and(is_membership_row);
    rows.iter()
        .find(|r| has_class(**r, "a-accordion-active"))
        .filter(|r| buys(r))
        .or_else(|| rows.iter().find(|r| buys(r)))
        .copied()
}

fn is_membership_row(id: &str) -> bool {
    let id = id.to_ascii_lowercase();
    [
        "sns",
        "subscri",
        "kindleunlimited",
        "kurow",
        "borrow",
        "membership",
    ]
    .iter()
    .any(|k| id.contains(k))
}

/// Ids of blocks that show something other than this product's featured
/// offer. Prefixes unless noted; Amazon's ids are stable across languages.
fn is_elsewhere_id(id: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "tmm",                     // format swatches (Kindle / Paperback / Audiobook)
        "twister",                 // variation swatches and the hidden subtotal
        "mediaMatrix",             // mobile format picker
        "MediaMatrix",             //
        "formats",                 //
        "olp",                     // "Other sellers" / "New (3) from $18.93"
        "mbc",                     // "More buying choices"
        "moreBuyingChoices",       //
        "aod",                     // all-offers display
        "all-offers-display",      //
        "dynamic-aod",             //
        "sns",                     // Subscribe & Save
        "coupon",                  //
        "vpc",                     // voucher / coupon badge
        "promoPriceBlockMessage",  //
        "applicablePromotionList", //
        "quantityPricingTable",    // bulk tiers
        "tradeIn",                 //
        "businessPricing",         //
        "b2b",                     //
        "pickUp",                  // in-store pickup offer
        "pickup",                  //
        "sims",                    // carousels of other products
        "sp_detail",               //
        "HLCX",                    // comparison table
        "similarities",            //
        "ape_",                    // ads
        "amsDetail",               //
        "dp-ads",                  //
        "rhf",                     // recently viewed
        "CardInstance",            //
        "anonCarousel",            //
        "desktop-dp-sims",         //
        "simpleBundle",            //
        "bundle",                  //
        "fbt",                     // frequently bought together
        "wishlist",                //
        "atwl",                    //
        "a-popover",               // popover content, not on the page until opened
        "abb",                     // add-on checkboxes (protection plans, accessories)
        "warranty",
        "vas",
        "attach",
        "addOn",
    ];
    const INFIXES: &[&str] = &[
        "Sns", "_sns", "Coupon", "Swatch", "swatch", "Carousel", "carousel",
    ];
    PREFIXES.iter().any(|p| id.starts_with(p)) || INFIXES.iter().any(|p| id.contains(p))
}

/// Classes of blocks that are hidden or show another offer or product (a
/// price range, "from" teasers, carousels).
fn is_elsewhere_class(class: &str) -> bool {
    matches!(
        class,
        "aok-hidden"
            | "a-hidden"
            | "a-popover-preload"
            | "a-checkbox"
            | "swatchElement"
            | "a-carousel"
            | "a-carousel-card"
            | "a-price-range"
            | "olp-link"
            | "olp-from"
            | "sims-fbt"
            | "p13n-sc-price"
    )
}
