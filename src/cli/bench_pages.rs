//! `pricewatch bench pages`: what the page reader costs at its worst, on the
//! real corpus and on generated hostile pages (deep nesting, thousands of
//! spans inside the price, stray end tags), and what its limits refuse.
//!
//! The generated pages come from [`extract::hostile`], so the tests read the
//! very pages the benchmark times.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::amazon::extract::{self, ErrorPage, ExtractHint, Page, hostile};

fn outcome(page: &Page) -> &'static str {
    match page {
        Page::Product(p) if p.price.is_some() => "product with a price",
        Page::Product(_) => "product, no price",
        Page::Captcha => "captcha",
        Page::Error(ErrorPage::TooComplex) => "refused (too complex)",
        Page::Error(_) => "error page",
    }
}

/// The slowest of `runs` reads, in milliseconds, and what the page read as.
fn worst_read(html: &str, runs: usize) -> (f64, Page) {
    let hint = ExtractHint::default();
    let mut worst = 0.0f64;
    let mut page = Page::Captcha;
    for _ in 0..runs {
        let t = Instant::now();
        page = std::hint::black_box(extract::extract(std::hint::black_box(html), &hint));
        worst = worst.max(t.elapsed().as_secs_f64() * 1000.0);
    }
    (worst, page)
}

/// The default corpus folders: `$PRICEWATCH_FIXTURES/amazon` and
/// `/amazon-more` (fixtures default `../shared/fixtures`).
fn default_dirs() -> Vec<PathBuf> {
    let base = std::env::var_os("PRICEWATCH_FIXTURES")
        .map_or_else(|| PathBuf::from("../shared/fixtures"), PathBuf::from);
    ["amazon", "amazon-more"]
        .iter()
        .map(|d| base.join(d))
        .filter(|d| d.is_dir())
        .collect()
}

fn html_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html" || x == "htm"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn run(dirs: &[PathBuf], runs: usize) -> anyhow::Result<()> {
    let dirs = if dirs.is_empty() {
        default_dirs()
    } else {
        dirs.to_vec()
    };
    let build = if cfg!(debug_assertions) {
        "debug build of pricewatch; html5ever optimised"
    } else {
        "release build"
    };
    println!("worst of {runs} reads per page ({build})\n");
    let mut worst: Option<(f64, String)> = None;
    let (mut pages, mut max_depth, mut max_elements, mut max_ratio) = (0, 0, 0, 0.0f64);
    let mut max_visits = 0.0f64;
    for dir in &dirs {
        for f in html_files(dir)? {
            let html = String::from_utf8_lossy(&std::fs::read(&f)?).into_owned();
            let (ms, _) = worst_read(&html, runs);
            let cost = extract::page_cost(&html);
            pages += 1;
            max_depth = max_depth.max(cost.depth.unwrap_or(0));
            max_elements = max_elements.max(cost.elements.unwrap_or(0));
            if let Some(w) = cost.build_work {
                max_ratio = max_ratio.max(w as f64 / cost.parsed_bytes.max(1) as f64);
            }
            if let (Some(v), Some(e)) = (cost.read_visits, cost.elements) {
                max_visits = max_visits.max(v as f64 / e.max(1) as f64);
            }
            let name = f
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            if worst.as_ref().is_none_or(|(w, _)| ms > *w) {
                worst = Some((ms, name));
            }
        }
    }
    match &worst {
        Some((ms, name)) => println!(
            "corpus: {pages} pages; worst {ms:.1} ms ({name}); deepest nesting {max_depth}, \
             most elements {max_elements}, at most {max_ratio:.1} tree-building steps per byte \
             and {max_visits:.1} elements visited per element"
        ),
        None => println!("corpus: no pages found (give folders of saved .html pages)"),
    }
    println!(
        "\n{:<38} {:>9} {:>10}  read as",
        "generated page", "KiB", "worst ms"
    );
    for (name, html) in hostile::pages() {
        let (ms, page) = worst_read(&html, runs);
        println!(
            "{name:<38} {:>9} {ms:>10.1}  {}",
            html.len() / 1024,
            outcome(&page)
        );
    }
    Ok(())
}
