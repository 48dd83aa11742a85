//! The price-history chart every channel attaches to an alert: a step line
//! of the price over time, the target, and the lowest and highest price,
//! rendered to PNG bytes in memory with an embedded font (no system fonts).
//!
//! Prices stay integer minor units all the way: the y axis is an `i64`
//! axis in minor units (so its ticks land on whole cents or yen), and every
//! label goes through [`Money::display`].

use std::io::Cursor;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, Utc};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::domain::{Currency, Money, NumberStyle};

/// Pixel size: wide enough for a phone screen in landscape, fonts large
/// enough to read when a chat app shrinks it to the screen width.
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 500;

/// The name plotters looks fonts up by; registered once with our TTF.
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

const PRICE_COLOUR: RGBColor = RGBColor(21, 101, 192);
const TARGET_COLOUR: RGBColor = RGBColor(230, 120, 0);
const MIN_COLOUR: RGBColor = RGBColor(46, 125, 50);
const MAX_COLOUR: RGBColor = RGBColor(198, 40, 40);
const TEXT_COLOUR: RGBColor = RGBColor(50, 50, 50);
const GRID_COLOUR: RGBColor = RGBColor(225, 225, 225);
const GAP_COLOUR: RGBColor = RGBColor(238, 238, 238);

/// Prices are clamped to `0..=MAX_DRAWABLE_MINOR` (10^13 major units) for
/// drawing: plotters' integer tick maths overflows near `i64::MAX`.
const MAX_DRAWABLE_MINOR: i64 = 1_000_000_000_000_000;

/// Longest title, in characters, that fits the caption at its font size.
const TITLE_MAX_CHARS: usize = 56;

/// What to draw.
pub struct ChartInput<'a> {
    /// Product title; shortened to fit.
    pub title: &'a str,
    pub currency: Currency,
    pub style: NumberStyle,
    /// `(observed_at, price in minor units or None = not buyable)`, oldest
    /// first. Each price holds until the next point (a step series).
    pub points: &'a [(DateTime<Utc>, Option<i64>)],
    /// The last price holds until now.
    pub now: DateTime<Utc>,
    /// Drawn as a dashed horizontal line.
    pub target_minor: Option<i64>,
    /// `en`, `de`, `fr`, `es` or `it` (a region suffix such as `de-AT` is
    /// ignored); anything else falls back to English.
    pub locale: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the embedded chart font could not be loaded")]
    Font,
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the chart as PNG failed: {0}")]
    Encode(#[from] image::ImageError),
}

/// Renders the chart as a `WIDTH`×`HEIGHT` PNG.
pub fn render_png(input: &ChartInput) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let drawable = |p: i64| p.clamp(0, MAX_DRAWABLE_MINOR);
    let points: Vec<_> = input
        .points
        .iter()
        .map(|(at, p)| (*at, p.map(drawable)))
        .collect();
    let input = &ChartInput {
        points: &points,
        target_minor: input.target_minor.map(drawable),
        ..*input
    };
    let mut rgb = vec![255u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let lang = Lang::from_locale(input.locale);
        match price_range(input) {
            Some(y_range) => draw_chart(&root, input, lang, y_range)?,
            None => draw_empty(&root, input, lang)?,
        }
        root.present().map_err(draw_err)?;
    }
    let img = image::RgbImage::from_raw(WIDTH, HEIGHT, rgb)
        .ok_or_else(|| ChartError::Draw("pixel buffer has the wrong size".into()))?;
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageOutputFormat::Png)?;
    Ok(png.into_inner())
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

fn draw_err(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

type Area<'b> = DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>;

/// Title and a centred "no history" message, no axes.
fn draw_empty(root: &Area, input: &ChartInput, lang: Lang) -> Result<(), ChartError> {
    let title = TextStyle::from((FONT, 32).into_font())
        .color(&TEXT_COLOUR)
        .pos(Pos::new(HPos::Center, VPos::Top));
    root.draw(&Text::new(
        shorten(input.title, TITLE_MAX_CHARS),
        (WIDTH as i32 / 2, 24),
        title,
    ))
    .map_err(draw_err)?;
    let message = TextStyle::from((FONT, 36).into_font())
        .color(&RGBColor(120, 120, 120))
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(
        lang.no_history(),
        (WIDTH as i32 / 2, HEIGHT as i32 / 2),
        message,
    ))
    .map_err(draw_err)
}

fn draw_chart(
    root: &Area,
    input: &ChartInput,
    lang: Lang,
    (y_lo, y_hi): (i64, i64),
) -> Result<(), ChartError> {
    let (start, end) = time_range(input);
    let span_days = (end - start).num_days();
    let money = |v: i64| Money::from_minor(v, input.currency).display(input.style);

    let mut chart = ChartBuilder::on(root)
        .caption(
            shorten(input.title, TITLE_MAX_CHARS),
            (FONT, 32).into_font().color(&TEXT_COLOUR),
        )
        .margin(18)
        .margin_right(36)
        .x_label_area_size(48)
        .y_label_area_size(150)
        .build_cartesian_2d(start..end, y_lo..y_hi)
        .map_err(draw_err)?;

    // At least one day per label keeps plotters on whole days, so no two
    // labels read the same date; a shorter history gets times (UTC).
    let with_time = span_days < 2;
    let x_labels = if with_time {
        4
    } else {
        usize::try_from(span_days.clamp(2, 7)).unwrap_or(7)
    };
    let date_label = |d: &DateTime<Utc>| {
        if with_time {
            format!("{} {}", lang.short_date(d), d.format("%H:%M"))
        } else {
            lang.short_date(d)
        }
    };
    let money_label = |v: &i64| money(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID_COLOUR.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(TEXT_COLOUR.stroke_width(2))
        .x_labels(x_labels)
        .y_labels(10)
        .x_label_formatter(&date_label)
        .y_label_formatter(&money_label)
        .label_style((FONT, 24).into_font().color(&TEXT_COLOUR))
        .draw()
        .map_err(draw_err)?;

    // Not buyable: a light band where the line has its gap.
    for (from, to) in gaps(input.points, end) {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(from, y_lo), (to, y_hi)],
                GAP_COLOUR.filled(),
            )))
            .map_err(draw_err)?;
    }

    if let Some(target) = input.target_minor {
        let y = target;
        chart
            .draw_series(DashedLineSeries::new(
                [(start, y), (end, y)],
                14,
                10,
                TARGET_COLOUR.stroke_width(3),
            ))
            .map_err(draw_err)?;
        let label = format!("{} {}", lang.target(), money(y));
        let style = TextStyle::from((FONT, 24).into_font())
            .color(&TARGET_COLOUR)
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((start, y)) + Text::new(label, (8, -6), style),
            ))
            .map_err(draw_err)?;
    }

    for run in step_runs(input.points, end) {
        chart
            .draw_series(LineSeries::new(run, PRICE_COLOUR.stroke_width(5)))
            .map_err(draw_err)?;
    }

    let extremes = extremes(input.points);
    let marks = match extremes {
        Some((lo, hi)) if lo.1 == hi.1 => vec![(lo, MIN_COLOUR, false)],
        Some((lo, hi)) => vec![(lo, MIN_COLOUR, false), (hi, MAX_COLOUR, true)],
        None => Vec::new(),
    };
    let total = (end - start).num_seconds().max(1) as f64;
    for ((at, price), colour, above) in marks {
        let frac = (at - start).num_seconds() as f64 / total;
        // Keep the label inside the plot near either edge.
        let (h, dx) = if frac > 0.8 {
            (HPos::Right, 0)
        } else if frac < 0.2 {
            (HPos::Left, 4)
        } else {
            (HPos::Center, 0)
        };
        let (v, dy) = if above {
            (VPos::Bottom, -14)
        } else {
            (VPos::Top, 14)
        };
        let style = TextStyle::from((FONT, 26).into_font())
            .color(&colour)
            .pos(Pos::new(h, v));
        let y = price;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((at, y))
                    + Circle::new((0, 0), 9, colour.filled())
                    + Circle::new((0, 0), 9, WHITE.stroke_width(2))
                    + Text::new(money(y), (dx, dy), style),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// The x axis: first point to now (at least an hour, so a single fresh
/// point still draws as a line).
fn time_range(input: &ChartInput) -> (DateTime<Utc>, DateTime<Utc>) {
    let last = input.points.last().map_or(input.now, |p| p.0);
    let end = input.now.max(last);
    let first = input.points.first().map_or(end, |p| p.0);
    let start = first.min(end - Duration::hours(1));
    (start, end)
}

/// The y axis in minor units, padded so the line, the target and the
/// min/max labels clear the edges. `None` when there is no price at all.
fn price_range(input: &ChartInput) -> Option<(i64, i64)> {
    let prices = input.points.iter().filter_map(|p| p.1);
    let mut lo = prices.clone().min()?;
    let mut hi = prices.max()?;
    if let Some(t) = input.target_minor {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    // Saturating: a garbage price must not panic the renderer.
    let one_major = 10i64.saturating_pow(u32::from(input.currency.exponent()));
    let pad = (hi.saturating_sub(lo) / 7)
        .max(hi.saturating_abs() / 20)
        .max(one_major)
        .saturating_mul(3)
        / 2;
    Some((lo.saturating_sub(pad).max(0), hi.saturating_add(pad)))
}

/// Polylines of the step series, split where the price is unknown.
fn step_runs(
    points: &[(DateTime<Utc>, Option<i64>)],
    end: DateTime<Utc>,
) -> Vec<Vec<(DateTime<Utc>, i64)>> {
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for (i, (at, price)) in points.iter().enumerate() {
        let until = points.get(i + 1).map_or(end, |n| n.0);
        match price {
            Some(p) => {
                run.push((*at, *p));
                run.push((until, *p));
            }
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Time spans where the product was not buyable.
fn gaps(
    points: &[(DateTime<Utc>, Option<i64>)],
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.1.is_none())
        .map(|(i, p)| (p.0, points.get(i + 1).map_or(end, |n| n.0)))
        .collect()
}

/// The most recent lowest and highest price with when they were seen.
type Seen = (DateTime<Utc>, i64);
fn extremes(points: &[(DateTime<Utc>, Option<i64>)]) -> Option<(Seen, Seen)> {
    let mut seen = points.iter().filter_map(|(at, p)| p.map(|p| (*at, p)));
    let first = seen.next()?;
    Some(seen.fold((first, first), |(lo, hi), s| {
        (
            if s.1 <= lo.1 { s } else { lo },
            if s.1 >= hi.1 { s } else { hi },
        )
    }))
}

fn shorten(title: &str, max: usize) -> String {
    let title = title.trim();
    if title.chars().count() <= max {
        return title.to_string();
    }
    let cut: String = title.chars().take(max - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The chart's own few words, in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    De,
    Fr,
    Es,
    It,
}

impl Lang {
    fn from_locale(locale: &str) -> Lang {
        let lang = locale.split(['-', '_']).next().unwrap_or("");
        match lang.to_ascii_lowercase().as_str() {
            "de" => Lang::De,
            "fr" => Lang::Fr,
            "es" => Lang::Es,
            "it" => Lang::It,
            _ => Lang::En,
        }
    }

    /// "3 Nov", "3. Nov.", "3 nov.", "3 nov", "3 nov".
    fn short_date(self, d: &DateTime<Utc>) -> String {
        let months: [&str; 12] = match self {
            Lang::En => [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ],
            Lang::De => [
                "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.",
                "Nov.", "Dez.",
            ],
            Lang::Fr => [
                "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                "nov.", "déc.",
            ],
            Lang::Es => [
                "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
            ],
            Lang::It => [
                "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
            ],
        };
        let month = months.get(d.month0() as usize).copied().unwrap_or("");
        match self {
            Lang::De => format!("{}. {month}", d.day()),
            _ => format!("{} {month}", d.day()),
        }
    }

    fn target(self) -> &'static str {
        match self {
            Lang::En => "Target",
            Lang::De => "Ziel",
            Lang::Fr => "Objectif",
            Lang::Es => "Objetivo",
            Lang::It => "Obiettivo",
        }
    }

    fn no_history(self) -> &'static str {
        match self {
            Lang::En => "No price history yet",
            Lang::De => "Noch kein Preisverlauf",
            Lang::Fr => "Pas encore d'historique de prix",
            Lang::Es => "Todavía no hay historial de precios",
            Lang::It => "Ancora nessuno storico dei prezzi",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, d, h, 0, 0).unwrap()
    }

    fn realistic() -> Vec<(DateTime<Utc>, Option<i64>)> {
        vec![
            (day(1, 8), Some(2499)),
            (day(4, 20), Some(2299)),
            (day(8, 6), None),
            (day(10, 12), Some(2699)),
            (day(15, 9), Some(1899)),
            (day(19, 14), Some(2149)),
        ]
    }

    fn input<'a>(points: &'a [(DateTime<Utc>, Option<i64>)], locale: &'a str) -> ChartInput<'a> {
        ChartInput {
            title: "Philips Wasserkocher HD9350/90, 1,7 l, 2200 W, Edelstahl, silber – mit Kalkfilter",
            currency: Currency::EUR,
            style: NumberStyle::CommaDecimal,
            points,
            now: day(24, 10),
            target_minor: Some(1999),
            locale,
        }
    }

    fn decode(png: &[u8]) -> image::RgbImage {
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        let img = image::load_from_memory(png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        img
    }

    /// `CHART_SAMPLE=1 cargo test` writes the charts to /tmp to look at.
    fn sample(png: &[u8], name: &str) {
        if std::env::var_os("CHART_SAMPLE").is_some() {
            std::fs::write(format!("/tmp/{name}.png"), png).unwrap();
        }
    }

    fn count(img: &image::RgbImage, f: impl Fn(&image::Rgb<u8>) -> bool) -> usize {
        img.pixels().filter(|p| f(p)).count()
    }

    fn is(c: RGBColor) -> impl Fn(&image::Rgb<u8>) -> bool {
        move |p| p.0 == [c.0, c.1, c.2]
    }

    #[test]
    fn realistic_series_draws_line_target_and_extremes() {
        let points = realistic();
        let png = render_png(&input(&points, "de")).unwrap();
        let img = decode(&png);
        sample(&png, "chart-sample");
        assert!(
            count(&img, |p| p.0 != [255, 255, 255]) > 10_000,
            "blank chart"
        );
        assert!(count(&img, is(PRICE_COLOUR)) > 2_000, "no price line");
        assert!(count(&img, is(TARGET_COLOUR)) > 500, "no target line");
        assert!(count(&img, is(MIN_COLOUR)) > 100, "no min marker");
        assert!(count(&img, is(MAX_COLOUR)) > 100, "no max marker");
        assert!(count(&img, is(GAP_COLOUR)) > 5_000, "no gap band");
    }

    #[test]
    fn empty_series_renders_a_message() {
        for locale in ["en", "de", "fr", "es", "it", "xx"] {
            let png = render_png(&input(&[], locale)).unwrap();
            sample(&png, &format!("chart-empty-{locale}"));
            let img = decode(&png);
            assert!(count(&img, |p| p.0 != [255, 255, 255]) > 1_000);
            assert_eq!(count(&img, is(PRICE_COLOUR)), 0);
        }
        // Only "not buyable" points: still the message, no line.
        let png = render_png(&input(&[(day(1, 8), None)], "en")).unwrap();
        assert_eq!(count(&decode(&png), is(PRICE_COLOUR)), 0);
    }

    #[test]
    fn single_point_is_a_flat_line_to_now() {
        let points = [(day(24, 9), Some(1299))];
        let mut i = input(&points, "fr");
        i.target_minor = None;
        let png = render_png(&i).unwrap();
        sample(&png, "chart-single");
        let img = decode(&png);
        assert!(count(&img, is(PRICE_COLOUR)) > 2_000, "flat line too short");
        assert_eq!(step_runs(&points, day(24, 10)).len(), 1);
    }

    #[test]
    fn jpy_labels_have_no_decimals() {
        let points = [(day(1, 0), Some(3980)), (day(9, 0), Some(3480))];
        let mut i = input(&points, "en");
        i.currency = Currency::JPY;
        i.style = NumberStyle::DotDecimal;
        i.target_minor = Some(3000);
        let png = render_png(&i).unwrap();
        sample(&png, "chart-jpy");
        decode(&png);
        let (lo, hi) = price_range(&i).unwrap();
        assert!(lo < 3000 && hi > 3980);
        let label = Money::from_minor(3480, Currency::JPY).display(NumberStyle::DotDecimal);
        assert_eq!(label, "¥3,480");
    }

    #[test]
    fn absurd_prices_do_not_panic() {
        let points = [
            (day(1, 0), Some(0)),
            (day(2, 0), Some(i64::MAX)),
            (day(3, 0), Some(-5)),
        ];
        let mut i = input(&points, "en");
        i.target_minor = Some(i64::MIN);
        decode(&render_png(&i).unwrap());
        let later_than_now = [(day(30, 0), Some(100))];
        decode(&render_png(&input(&later_than_now, "en")).unwrap());
    }

    #[test]
    fn step_runs_break_at_unknown_prices() {
        let runs = step_runs(&realistic(), day(24, 10));
        assert_eq!(runs.len(), 2);
        // Horizontal until the next observation, then a vertical step.
        assert_eq!(runs[0][1], (day(4, 20), 2499));
        assert_eq!(runs[0][2], (day(4, 20), 2299));
        assert_eq!(runs[0].last(), Some(&(day(8, 6), 2299)));
        assert_eq!(runs[1].last(), Some(&(day(24, 10), 2149)));
        assert_eq!(
            gaps(&realistic(), day(24, 10)),
            vec![(day(8, 6), day(10, 12))]
        );
        let (lo, hi) = extremes(&realistic()).unwrap();
        assert_eq!((lo.1, hi.1), (1899, 2699));
    }

    #[test]
    fn dates_and_words_follow_the_locale() {
        let d = Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap();
        let got: Vec<String> = ["en", "de-AT", "fr_FR", "es", "it", "pt"]
            .iter()
            .map(|l| Lang::from_locale(l).short_date(&d))
            .collect();
        assert_eq!(
            got,
            ["3 Nov", "3. Nov.", "3 nov.", "3 nov", "3 nov", "3 Nov"]
        );
        assert_eq!(
            Lang::from_locale("it").no_history(),
            "Ancora nessuno storico dei prezzi"
        );
    }

    #[test]
    fn long_titles_are_shortened() {
        assert_eq!(shorten("  Kettle ", 10), "Kettle");
        let s = shorten(&"a".repeat(100), TITLE_MAX_CHARS);
        assert_eq!(s.chars().count(), TITLE_MAX_CHARS);
        assert!(s.ends_with('…'));
    }
}
