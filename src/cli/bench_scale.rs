//! `pricewatch bench scale`: the tracking core at size. Creates a throw-away
//! PostgreSQL database (never touches DATABASE_URL), seeds it with SQL, and
//! prints: sweep time with everything due, fan-out time for one product with
//! many watchers, bytes per price point, checks per second for one worker
//! process against a local gzip fake Amazon, and idle RSS of `pricewatch run`.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait};

use crate::app::{App, Options};
use crate::config::Config;
use crate::domain::alert::{Observation, Offer, Stock};
use crate::jobs::check_product::fan_out;
use crate::jobs::sweep::sweep_once;
use crate::store::entities::products;

#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    /// PostgreSQL server on which to create (and drop) the benchmark database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub postgres: String,
    /// Redis server for the queues, the cache and the rate limit (keys are
    /// removed afterwards).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis: String,
    /// Products to seed.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(i64).range(1..))]
    pub products: i64,
    /// Watches to seed, spread over the products.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(i64).range(1..))]
    pub watches: i64,
    /// Watchers of the one product whose drop is fanned out.
    #[arg(long, default_value_t = 10_000)]
    pub fanout: i64,
    /// Checks per throughput run.
    #[arg(long, default_value_t = 2_000)]
    pub checks: i64,
    /// A saved product page the fake Amazon serves (gzip-compressed).
    #[arg(long, default_value = "../shared/fixtures/amazon/de-B01LZ79682.html")]
    pub page: PathBuf,
    /// Keep the benchmark database afterwards.
    #[arg(long)]
    pub keep: bool,
}

fn line(what: &str, value: String) {
    println!("{what:<58} {value}");
    let _ = std::io::stdout().flush();
}

fn per_10k(d: Duration, n: i64) -> String {
    let n = n.max(1) as f64;
    format!(
        "{:.2} s total, {:.3} s per 10,000",
        d.as_secs_f64(),
        d.as_secs_f64() * 10_000.0 / n
    )
}

/// Reads `VmHWM` / `VmRSS` (kB) from /proc for a process.
fn proc_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub async fn run(args: ScaleArgs) -> anyhow::Result<()> {
    crate::amazon::fetch::install_crypto_provider();
    let name = format!("pw_bench_{}", Utc::now().timestamp());
    let admin = Database::connect(&args.postgres)
        .await
        .context("while connecting to --postgres")?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let base = args
        .postgres
        .rsplit_once('/')
        .map_or(args.postgres.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    println!(
        "benchmark database {name}; {} products, {} watches",
        args.products, args.watches
    );
    let result = run_in(&args, &url).await;
    if !args.keep {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
    result
}

async fn run_in(args: &ScaleArgs, url: &str) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    Migrator::up(&db, None).await?;
    let t = Instant::now();
    seed(&db, args.products, args.watches).await?;
    line(
        "seeding (SQL generate_series)",
        format!("{:.1} s", t.elapsed().as_secs_f64()),
    );

    // A fake Amazon: every product URL gets the same real page, gzip-compressed,
    // at 11,99 instead of 12,99 so each check records a point and evaluates watches.
    let html = std::fs::read_to_string(&args.page)
        .with_context(|| format!("while reading {}", args.page.display()))?
        .replace("12,99", "11,99")
        .replace("12.99", "11.99");
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(html.as_bytes())?;
        Arc::new(e.finish()?)
    };
    line(
        "page served",
        format!("{} KiB, {} KiB gzip", html.len() / 1024, gz.len() / 1024),
    );
    let fake = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fake_addr = fake.local_addr()?;
    let router = axum::Router::new().route(
        "/fetch",
        axum::routing::get(move || {
            let gz = gz.clone();
            async move {
                (
                    [
                        (axum::http::header::CONTENT_TYPE, "text/html;charset=UTF-8"),
                        (axum::http::header::CONTENT_ENCODING, "gzip"),
                    ],
                    gz.as_slice().to_vec(),
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(fake, router).await });

    let prefix = format!("pwbench{}:", Utc::now().timestamp());
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("DATABASE_URL".into(), url.into());
    env.insert("REDIS_URL".into(), args.redis.clone());
    env.insert("REDIS_KEY_PREFIX".into(), prefix.clone());
    env.insert(
        "FETCH_URL_TEMPLATE".into(),
        format!("http://{fake_addr}/fetch?url={{url}}"),
    );
    env.insert("AMAZON_MAX_RPS".into(), "1000".into());
    let deliveries = std::env::temp_dir().join(format!("{prefix}deliveries").replace(':', "_"));
    env.insert("DELIVERY_LOG_DIR".into(), deliveries.display().to_string());
    let config = Config::from_map(&env).map_err(anyhow::Error::msg)?;
    let app = App::build(config, Options::default()).await?;

    // 1. The sweep, everything due.
    let t = Instant::now();
    let n = sweep_once(&app, Utc::now()).await?;
    line(
        &format!("sweep: {n} due products enqueued"),
        per_10k(t.elapsed(), n as i64),
    );
    clear_redis(&args.redis, &prefix).await;

    // 2. Fan-out: one product with `fanout` watchers drops in price.
    let product_id = args.products + 1;
    db.execute_unprepared(&format!(
        "INSERT INTO products (id, marketplace, asin, currency, last_price_minor, availability, condition, \
         last_checked_at, next_check_at, failure_count, created_at) VALUES ({product_id}, 'amazon.de', 'B0FANOUT00', \
         'EUR', 1299, 'in_stock', 'new', now(), now() + interval '1 hour', 0, now()); \
         INSERT INTO watches (user_id, product_id, destination_id, target_kind, reference_minor, state, back_in_stock, \
         allow_used, created_at, updated_at) SELECT g, {product_id}, g, 'any_drop', 1299, 'armed', true, false, now(), now() \
         FROM generate_series(1, {}) g; \
         INSERT INTO price_points (product_id, observed_at, price_minor, availability, condition) \
         VALUES ({product_id}, now(), 1099, 'in_stock', 'new'); ANALYZE;",
        args.fanout.min(args.watches / 10)
    ))
    .await?;
    let point_id = last_id(&db, "price_points").await?;
    let product = products::Entity::find_by_id(product_id)
        .one(&db)
        .await?
        .context("fan-out product")?;
    let now = Utc::now();
    let previous = Observation {
        price_minor: Some(1299),
        stock: Stock::InStock,
        offer: Some(Offer::New),
        at: now - chrono::Duration::hours(1),
    };
    let current = Observation {
        price_minor: Some(1099),
        stock: Stock::InStock,
        offer: Some(Offer::New),
        at: now,
    };
    let t = Instant::now();
    let alerts = fan_out(&app, &product, point_id, &previous, &current).await?;
    line(
        &format!("fan-out: {alerts} alerts for one product's watchers"),
        per_10k(t.elapsed(), alerts as i64),
    );
    clear_redis(&args.redis, &prefix).await;

    // 3. Bytes per price point.
    // Spread over the first (up to) 1,000 products, which exist whatever --products says.
    let spread = args.products.min(1000);
    db.execute_unprepared(&format!(
        "INSERT INTO price_points (product_id, observed_at, price_minor, availability, condition) \
         SELECT ((g - 1) % {spread}) + 1, now() - (g || ' minutes')::interval, 1000 + g % 500, 'in_stock', 'new' \
         FROM generate_series(1, 200000) g",
    ))
    .await?;
    db.execute_unprepared("VACUUM ANALYZE price_points").await?;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT pg_total_relation_size('price_points')::bigint AS total, \
             pg_relation_size('price_points')::bigint AS heap, count(*)::bigint AS n FROM price_points",
        ))
        .await?
        .context("size query")?;
    let (total, heap, n): (i64, i64, i64) = (
        row.try_get("", "total")?,
        row.try_get("", "heap")?,
        row.try_get("", "n")?,
    );
    line(
        "bytes per price point (table + indexes / table only)",
        format!("{} / {}", total / n.max(1), heap / n.max(1)),
    );

    // 4. Checks per second for one worker process: the common case (price
    // unchanged) and the busy one (every check a drop that alerts 10 watchers,
    // whose deliveries the same worker makes).
    for (changed, label) in [(false, "unchanged"), (true, "drop + 10 alerts")] {
        for concurrency in [8, 32] {
            let (rate, hwm) =
                checks_per_second(&app, &db, &env, args.checks, concurrency, changed).await?;
            line(
                &format!("checks/s, one worker, {label}, concurrency {concurrency}"),
                format!("{rate:.0} checks/s, peak RSS {} MB", hwm / 1024),
            );
            clear_redis(&args.redis, &prefix).await;
        }
    }
    let _ = std::fs::remove_dir_all(&deliveries);

    // 5. `pricewatch run`, idle, embedded default.
    let (rss, hwm) = idle_run_rss().await?;
    line(
        "pricewatch run idle (embedded), RSS / peak",
        format!("{} MB / {} MB", rss / 1024, hwm / 1024),
    );
    Ok(())
}

async fn seed(db: &DatabaseConnection, products: i64, watches: i64) -> anyhow::Result<()> {
    let users = (watches / 10).max(1);
    // User k has 10 watches on 10 different products: (k + j * 7919) mod P.
    db.execute_unprepared(&format!(
        "INSERT INTO users (platform, platform_user_id, locale, alerts_today, created_at) \
         SELECT 'telegram', g::text, 'en', 0, now() FROM generate_series(1, {users}) g; \
         INSERT INTO destinations (kind, address, owner_user_id, created_at) \
         SELECT 'telegram_chat', g::text, g, now() FROM generate_series(1, {users}) g; \
         INSERT INTO products (marketplace, asin, currency, last_price_minor, availability, condition, \
         last_checked_at, next_check_at, failure_count, created_at) \
         SELECT 'amazon.de', 'B' || lpad(g::text, 9, '0'), 'EUR', 1299, 'in_stock', 'new', \
         now() - interval '2 hours', now() - interval '1 minute', 0, now() FROM generate_series(1, {products}) g; \
         INSERT INTO watches (user_id, product_id, destination_id, target_kind, reference_minor, state, \
         back_in_stock, allow_used, created_at, updated_at) \
         SELECT (k % {users}) + 1, ((k % {users}) + (k / {users}) * 7919) % {products} + 1, (k % {users}) + 1, \
         'any_drop', 1299, 'armed', true, false, now(), now() FROM generate_series(0, {watches} - 1) k; \
         SELECT setval(pg_get_serial_sequence('products', 'id'), {products} + 10); \
         ANALYZE;"
    ))
    .await?;
    Ok(())
}

async fn last_id(db: &DatabaseConnection, table: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT max(id)::bigint AS id FROM {table}"),
        ))
        .await?
        .context("max id")?;
    Ok(row.try_get("", "id")?)
}

async fn clear_redis(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    for chunk in keys.chunks(500) {
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(chunk).query_async(&mut conn).await;
    }
}

async fn checks_per_second(
    app: &App,
    db: &DatabaseConnection,
    env: &HashMap<String, String>,
    checks: i64,
    concurrency: usize,
    changed: bool,
) -> anyhow::Result<(f64, u64)> {
    // The page shows 11,99: a product at 12,99 drops, one at 11,99 is unchanged.
    let before = if changed { 1299 } else { 1199 };
    db.execute_unprepared(&format!(
        "UPDATE products SET last_price_minor = {before}, next_check_at = now() + interval '1 hour', \
         check_lease_until = NULL, last_checked_at = now() - interval '2 hours' WHERE id <= {checks}; \
         UPDATE watches SET state = 'armed', last_alert_price_minor = NULL; \
         UPDATE users SET alerts_today = 0; DELETE FROM notifications;"
    ))
    .await?;
    let exe = std::env::current_exe()?;
    let mut child = tokio::process::Command::new(exe)
        .arg("worker")
        .envs(env)
        .env("PRICE_QUEUE_CONCURRENCY", concurrency.to_string())
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("worker pid")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    let key = Utc::now().timestamp_millis();
    let jobs = (1..=checks)
        .map(|id| (id, format!("bench:{id}:{key}"), Duration::ZERO))
        .collect();
    app.queues.push_checks(jobs).await?;
    let mut hwm = 0;
    loop {
        hwm = hwm.max(proc_kb(pid, "VmHWM:").unwrap_or(0));
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT count(*)::bigint AS n FROM products WHERE id <= {checks} \
                     AND last_checked_at > now() - interval '1 hour'"
                ),
            ))
            .await?
            .context("progress")?;
        let done: i64 = row.try_get("", "n")?;
        if done >= checks {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "only {done} of {checks} checks in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    hwm = hwm.max(proc_kb(pid, "VmHWM:").unwrap_or(0));
    let _ = child.start_kill();
    let _ = child.wait().await;
    Ok((checks as f64 / secs, hwm))
}

async fn idle_run_rss() -> anyhow::Result<(u64, u64)> {
    let dir = std::env::temp_dir().join(format!("pricewatch-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("run")
        .current_dir(&dir)
        .env_clear()
        .env("PORT", port.to_string())
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("run pid")?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss = proc_kb(pid, "VmRSS:").unwrap_or(0);
    let hwm = proc_kb(pid, "VmHWM:").unwrap_or(0);
    let _ = child.start_kill();
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok((rss, hwm))
}
