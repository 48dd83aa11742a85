//! `pricewatch bench …`: benchmarks that print numbers (never timed tests).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::amazon::extract::{self, ExtractHint};

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Median milliseconds to read one page, over every .html file in DIR.
    Extract {
        /// A folder of saved Amazon pages (e.g. ../shared/fixtures/amazon).
        dir: PathBuf,
        /// Timed runs per page; the page's figure is their median.
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// The page reader at its worst: the slowest page of the corpus, and
    /// generated hostile pages (deep nesting, 50,000 spans in the price).
    Pages {
        /// Folders of saved pages (default: $PRICEWATCH_FIXTURES/amazon and
        /// amazon-more).
        dirs: Vec<PathBuf>,
        /// Reads per page; the page's figure is the slowest.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// The tracking core at size, on a throw-away PostgreSQL database.
    Scale(super::bench_scale::ScaleArgs),
    /// What each chat message costs to compose: alert texts for Telegram
    /// (HTML) and Discord (embed JSON) in every language, and the chart PNG.
    Render {
        /// Messages composed per kind (at least 1).
        #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..))]
        n: u32,
    },
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Extract { dir, runs } => extract_bench(&dir, runs.max(1)),
        BenchCommand::Pages { dirs, runs } => super::bench_pages::run(&dirs, runs.max(1)),
        BenchCommand::Scale(args) => super::bench_scale::run(args).await,
        BenchCommand::Render { n } => {
            render_bench(n as usize);
            Ok(())
        }
    }
}

fn render_bench(n: usize) {
    use crate::bots::{core, discord, telegram};
    use crate::notify::AlertPayload;
    let payload = |i: usize| {
        AlertPayload {
        watch_id: Some(i as i64 + 1),
        product_id: 7,
        marketplace: "amazon.de".into(),
        asin: "B01LZ79682".into(),
        title: "Auto-Rückenlehnenschutz <Salcar> & Auto Organizer (15% Rabatt für zweiten gekauften Artikel) Multifunktionale Stuhl Zurück Aufbewahrungstasche".into(),
        image_url: Some("https://m.media-amazon.com/images/I/71LjQzU2waL.jpg".into()),
        currency: "EUR".into(),
        old_price_minor: Some(1299),
        new_price_minor: Some(999 - (i % 100) as i64),
        target_minor: Some(1169),
        lowest_90d: i.is_multiple_of(2),
        locale: crate::i18n::LOCALES[i % 5].into(),
        items: Vec::new(),
    }
    };
    let now = chrono::Utc::now();
    let time = |name: &str, f: &mut dyn FnMut(usize) -> usize| {
        let t = Instant::now();
        let mut bytes = 0;
        for i in 0..n {
            bytes += std::hint::black_box(f(i));
        }
        let per = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!(
            "{name:<34} {per:>8.1} µs/message  {:>8.0} messages/s  ({} bytes avg)",
            1e6 / per,
            bytes / n
        );
    };
    let noun = if n == 1 { "message" } else { "messages" };
    println!("{n} {noun} per kind, five languages in turn");
    time("telegram alert (HTML caption)", &mut |i| {
        let p = payload(i);
        let v = core::alert(&p.locale, "price_drop", &p, Some("tag-21"));
        telegram::render::html(&v, telegram::render::CAPTION_MAX).len()
            + telegram::render::keyboard(&v.buttons).map_or(0, |k| k.inline_keyboard.len())
    });
    time("discord alert (embed JSON)", &mut |i| {
        let p = payload(i);
        let v = core::alert(&p.locale, "price_drop", &p, Some("tag-21"));
        discord::render::message(&v, "506759329068613643", None)
            .to_string()
            .len()
    });
    let points: Vec<(chrono::DateTime<chrono::Utc>, Option<i64>)> = (0..90)
        .map(|d| {
            (
                now - chrono::Duration::days(90 - d),
                Some(1299 - d % 7 * 50),
            )
        })
        .collect();
    let charts = (n / 100).max(10);
    let t = Instant::now();
    let mut size = 0;
    for i in 0..charts {
        let input = crate::notify::chart::ChartInput {
            title: "Auto-Rückenlehnenschutz Salcar Auto Organizer",
            currency: crate::domain::Currency::EUR,
            style: crate::i18n::number_style(crate::i18n::LOCALES[i % 5]),
            points: &points,
            now,
            target_minor: Some(1169),
            locale: crate::i18n::LOCALES[i % 5],
        };
        size += crate::notify::chart::render_png(&input).map_or(0, |p| p.len());
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0 / charts as f64;
    println!(
        "{:<34} {ms:>8.2} ms/chart    ({charts} charts, {} KiB avg PNG, 90 daily points)",
        "chart PNG (1000×500)",
        size / charts / 1024
    );
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn extract_bench(dir: &Path, runs: usize) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html" || x == "htm"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no .html files in {}", dir.display());
    let hint = ExtractHint::default();
    let mut per_page = Vec::new();
    let mut total_bytes = 0usize;
    println!("{:<45} {:>9} {:>10}", "page", "KiB", "median ms");
    for f in &files {
        let html = String::from_utf8_lossy(&std::fs::read(f)?).into_owned();
        total_bytes += html.len();
        // One untimed run warms caches and lazy statics.
        std::hint::black_box(extract::extract(&html, &hint));
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            std::hint::black_box(extract::extract(std::hint::black_box(&html), &hint));
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let m = median(&mut times);
        let name = f
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        println!("{name:<45} {:>9} {m:>10.2}", html.len() / 1024);
        per_page.push(m);
    }
    let n = per_page.len();
    let sum: f64 = per_page.iter().sum();
    let mut sorted = per_page.clone();
    let med = median(&mut sorted);
    let p90 = sorted[((n as f64 * 0.9).ceil() as usize).clamp(1, n) - 1];
    let max = sorted[n - 1];
    println!(
        "\n{n} pages, {:.1} MiB, {runs} runs each ({} build)",
        total_bytes as f64 / 1_048_576.0,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "median {med:.2} ms/page   p90 {p90:.2} ms   max {max:.2} ms   mean {:.2} ms",
        sum / n as f64
    );
    println!(
        "throughput {:.1} MiB/s",
        total_bytes as f64 / 1_048_576.0 / (sum / 1000.0)
    );
    Ok(())
}
