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
    /// The tracking core at size, on a throw-away PostgreSQL database.
    Scale(super::bench_scale::ScaleArgs),
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Extract { dir, runs } => extract_bench(&dir, runs.max(1)),
        BenchCommand::Scale(args) => super::bench_scale::run(args).await,
    }
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
