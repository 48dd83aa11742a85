//! `pricewatch check`: read one product, live or from a saved page, and print
//! it as a person reads it (or as one JSON object).

use std::path::PathBuf;

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::amazon::extract::{self, Availability, Condition, ExtractHint, ProductSnapshot};
use crate::amazon::fetch::{self, BlockReason, FetchError, Fetcher};
use crate::amazon::url::{self, Link, ShortLinkResolver};
use crate::config::Config;
use crate::domain::{Marketplace, Money, ProductRef};

/// Exit codes, as the README documents them.
pub mod exit {
    pub const PRODUCT: u8 = 0;
    pub const OTHER: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const BLOCKED: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// An Amazon product link (any form, short links included). With
    /// --file, it names the page's storefront and ASIN.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// The product link, as a flag (the same as giving it without one).
    #[arg(long = "url", value_name = "URL", conflicts_with = "url")]
    pub url_flag: Option<String>,
    /// Read a saved page instead of fetching (at most the size a fetch
    /// accepts).
    #[arg(long, value_name = "PAGE.html")]
    pub file: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The one JSON object `check --json` prints. Field order is part of the contract.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CheckJson {
    pub page: &'static str,
    pub marketplace: Option<String>,
    pub asin: Option<String>,
    pub title: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub list_price: Option<String>,
    pub availability: Option<Availability>,
    pub condition: Option<Condition>,
    pub seller: Option<String>,
}

impl CheckJson {
    fn non_product(
        page: &'static str,
        marketplace: Option<Marketplace>,
        product: Option<ProductRef>,
    ) -> Self {
        CheckJson {
            page,
            marketplace: marketplace.map(|m| m.name()),
            asin: product.map(|p| p.asin.to_string()),
            title: None,
            price: None,
            currency: None,
            list_price: None,
            availability: None,
            condition: None,
            seller: None,
        }
    }

    fn product(p: &ProductSnapshot) -> Self {
        CheckJson {
            page: "product",
            marketplace: Some(p.marketplace.name()),
            asin: Some(p.asin.to_string()),
            title: Some(p.title.clone()),
            price: p.price.map(|m| m.to_decimal_string()),
            currency: Some(
                p.price
                    .map_or_else(|| p.marketplace.currency(), |m| m.currency())
                    .code()
                    .to_string(),
            ),
            list_price: p.list_price.map(|m| m.to_decimal_string()),
            availability: Some(p.availability),
            condition: p.condition,
            seller: p.seller.clone(),
        }
    }
}

/// What a check produced, before printing.
enum Outcome {
    Product(ProductSnapshot),
    Blocked(
        &'static str,
        Option<Marketplace>,
        Option<ProductRef>,
        String,
    ),
    NotFound(Option<Marketplace>, Option<ProductRef>),
    Unreadable(Option<Marketplace>, Option<ProductRef>),
    /// Transient trouble (timeout, 5xx): try again.
    Failed(Option<Marketplace>, Option<ProductRef>, String),
}

/// Runs the command; returns the process exit code.
pub async fn run(args: CheckArgs, config: &Config) -> u8 {
    let url = args.url.or(args.url_flag);
    let outcome = match (&args.file, &url) {
        (Some(file), url) => from_file(file, url.as_deref(), config.fetch.max_body_bytes).await,
        (None, Some(url)) => live(url, config).await,
        (None, None) => Err(
            "Give an Amazon product link, or --file PAGE.html to read a saved page.".to_string(),
        ),
    };
    match outcome {
        Err(msg) => {
            eprintln!("{msg}");
            exit::BAD_INPUT
        }
        Ok(o) => print(&o, args.json),
    }
}

async fn from_file(
    file: &std::path::Path,
    url: Option<&str>,
    max_bytes: usize,
) -> Result<Outcome, String> {
    let product = match url {
        None => None,
        Some(u) => match url::parse(u) {
            Ok(Link::Product(p)) => Some(p),
            Ok(Link::ShortLink(_)) => {
                return Err(
                    "With --file, give the full product link (short links need the network)."
                        .into(),
                );
            }
            Err(e) => return Err(e.to_string()),
        },
    };
    let bytes = read_capped(file, max_bytes).await?;
    let html = String::from_utf8_lossy(&bytes).into_owned();
    let hint = ExtractHint {
        marketplace: product.map(|p| p.marketplace),
        asin: product.map(|p| p.asin),
    };
    // A saved page is judged exactly as a fetched one, and read the same
    // way: off the async runtime, within the same time bound.
    let len = html.len();
    let named_by_link = product.is_some();
    let path = file.to_path_buf();
    let read = move || {
        let page = extract::extract(&html, &hint);
        saved_page_fits(&path, &html, &page, product)?;
        let result = fetch::classify(page, len);
        let named = match &result {
            Err(_) if !named_by_link => extract::page_marketplace(&html),
            _ => None,
        };
        Ok::<_, String>((result, named))
    };
    let (result, named) = fetch::off_runtime(fetch::READ_TIME_LIMIT, read)
        .await
        .unwrap_or(Ok((Err(FetchError::Unreadable), None)))?;
    let market = match &result {
        Ok(_) => None,
        Err(_) => product.map(|p| p.marketplace).or(named),
    };
    Ok(outcome(result, market, product))
}

/// Reads a saved page, refusing one larger than a fetch accepts (without
/// reading more than that, so `/dev/zero` is refused too).
async fn read_capped(file: &std::path::Path, max_bytes: usize) -> Result<Vec<u8>, String> {
    use tokio::io::AsyncReadExt;
    let cannot = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.kind().to_string(),
        };
        format!("Cannot read {}: {why}.", file.display())
    };
    let opened = tokio::fs::File::open(file).await.map_err(cannot)?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    opened
        .take(limit)
        .read_to_end(&mut bytes)
        .await
        .map_err(cannot)?;
    if bytes.len() > max_bytes {
        return Err(format!(
            "Cannot read {}: it is larger than {} MiB, the most a fetch accepts.",
            file.display(),
            max_bytes / (1024 * 1024)
        ));
    }
    Ok(bytes)
}

/// A file that is no Amazon page at all, or the page of another product than
/// the link names, is bad input: say so rather than guess.
fn saved_page_fits(
    file: &std::path::Path,
    html: &str,
    page: &extract::Page,
    link: Option<ProductRef>,
) -> Result<(), String> {
    let head = html.get(..html.len().min(4096)).unwrap_or(html);
    let is_html = head.to_ascii_lowercase().contains("<html");
    let unknown = matches!(page, extract::Page::Error(extract::ErrorPage::Unrecognised))
        && extract::page_marketplace(html).is_none();
    if !is_html || unknown {
        return Err(format!("{} is not an Amazon product page.", file.display()));
    }
    match page {
        extract::Page::Product(_) => {
            let Some(link) = link else { return Ok(()) };
            // What the page itself names, without the link's hint.
            let own = extract::extract(html, &ExtractHint::default());
            match own {
                extract::Page::Product(p) if p.asin != link.asin => Err(format!(
                    "{} shows product {}, but the link names {}: they are different products.",
                    file.display(),
                    p.asin,
                    link.asin
                )),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

async fn live(input: &str, config: &Config) -> Result<Outcome, String> {
    let product = match url::parse(input).map_err(|e| e.to_string())? {
        Link::Product(p) => p,
        Link::ShortLink(_) => {
            let proxy = config
                .fetch
                .proxy_url
                .as_ref()
                .map(|s| s.expose_secret().to_string());
            let resolver = ShortLinkResolver::new(proxy.as_deref()).map_err(|e| e.to_string())?;
            resolver.resolve(input).await.map_err(|e| e.to_string())?
        }
    };
    let fetcher = Fetcher::new(&config.fetch).map_err(|e| e.to_string())?;
    let result = fetcher.check(&product).await;
    Ok(outcome(result, Some(product.marketplace), Some(product)))
}

/// What a read produced, by what the user is told and the exit code.
fn outcome(
    result: Result<ProductSnapshot, FetchError>,
    m: Option<Marketplace>,
    p: Option<ProductRef>,
) -> Outcome {
    match result {
        Ok(snapshot) => Outcome::Product(snapshot),
        Err(FetchError::Blocked(r @ BlockReason::Captcha)) => {
            Outcome::Blocked("captcha", m, p, r.to_string())
        }
        Err(FetchError::Blocked(r)) => Outcome::Blocked("error", m, p, r.to_string()),
        Err(FetchError::NotFound) => Outcome::NotFound(m, p),
        Err(FetchError::Unreadable) => Outcome::Unreadable(m, p),
        Err(e @ (FetchError::Transient(_) | FetchError::Setup(_))) => {
            Outcome::Failed(m, p, e.to_string())
        }
    }
}

fn print(outcome: &Outcome, json: bool) -> u8 {
    let (doc, code) = match outcome {
        Outcome::Product(p) => (CheckJson::product(p), exit::PRODUCT),
        Outcome::Blocked(kind, m, p, _) => (CheckJson::non_product(kind, *m, *p), exit::BLOCKED),
        Outcome::NotFound(m, p) => (CheckJson::non_product("error", *m, *p), exit::NOT_FOUND),
        Outcome::Unreadable(m, p) | Outcome::Failed(m, p, _) => {
            (CheckJson::non_product("error", *m, *p), exit::OTHER)
        }
    };
    if json {
        match serde_json::to_string(&doc) {
            Ok(s) => println!("{s}"),
            Err(_) => return exit::OTHER,
        }
        return code;
    }
    match outcome {
        Outcome::Product(p) => println!("{}", human(p)),
        Outcome::Blocked(_, _, _, why) => {
            eprintln!("Amazon showed {why} instead of the product. Try again later.");
        }
        Outcome::NotFound(..) => eprintln!("Amazon says this product does not exist."),
        Outcome::Unreadable(..) => {
            eprintln!("That page is neither an Amazon product nor a known Amazon error page.");
        }
        Outcome::Failed(_, _, why) => eprintln!("Could not check the product: {why}."),
    }
    code
}

/// The product as a person reads it.
pub fn human(p: &ProductSnapshot) -> String {
    let style = p.marketplace.number_style();
    let money = |m: Option<Money>| m.map_or_else(|| "—".to_string(), |m| m.display(style));
    let availability = match p.availability {
        Availability::InStock => "in stock",
        Availability::OutOfStock => "out of stock",
        Availability::Unavailable => "currently unavailable",
        Availability::OnlyOtherSellers => "only from other sellers (no featured offer)",
    };
    let condition = match p.condition {
        Some(Condition::New) => "new",
        Some(Condition::Used) => "used",
        None => "—",
    };
    let mut out = format!(
        "{}\n  Price:         {}\n  List price:    {}\n  Availability:  {}\n  Condition:     {}\n",
        p.title,
        money(p.price),
        money(p.list_price),
        availability,
        condition
    );
    if let Some(seller) = &p.seller {
        out.push_str(&format!("  Sold by:       {seller}\n"));
    }
    let product = ProductRef {
        marketplace: p.marketplace,
        asin: p.asin,
    };
    out.push_str(&format!("  {}", product.canonical_url()));
    out
}
