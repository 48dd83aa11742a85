use super::*;

fn amount(s: &str) -> Amount {
    Amount::from_decimal_str(s).unwrap()
}

fn hint(decimal: Option<char>, currency: Option<&str>) -> PriceHint {
    PriceHint {
        decimal_separator: decimal,
        currency: currency.map(|c| Currency::parse(c).unwrap()),
    }
}

/// (text, decimal hint, currency hint, amount, currency as written, ISO currency)
type Case = (
    &'static str,
    Option<char>,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

const AMAZON_AND_USER_FORMATS: &[Case] = &[
    ("$1,234.56", None, None, "1234.56", Some("$"), Some("USD")),
    (
        "$1,234.56",
        Some(','),
        None,
        "1234.56",
        Some("$"),
        Some("USD"),
    ),
    ("1.234,56 €", None, None, "1234.56", Some("€"), Some("EUR")),
    (
        "1.234,56 €",
        Some('.'),
        None,
        "1234.56",
        Some("€"),
        Some("EUR"),
    ),
    ("EUR 12,99", None, None, "12.99", Some("EUR"), Some("EUR")),
    ("CDN$ 5.77", None, None, "5.77", Some("CDN$"), Some("CAD")),
    (
        "R$ 1.479,90",
        Some(','),
        None,
        "1479.90",
        Some("R$"),
        Some("BRL"),
    ),
    ("￥1,234", None, None, "1234", Some("￥"), Some("JPY")),
    (
        "¥1,234",
        Some('.'),
        Some("JPY"),
        "1234",
        Some("¥"),
        Some("JPY"),
    ),
    ("¥1,234", None, Some("CNY"), "1234", Some("¥"), Some("CNY")),
    ("₹2,37,097.00", None, None, "237097", Some("₹"), Some("INR")),
    ("1 770,00 €", None, None, "1770", Some("€"), Some("EUR")),
    (
        "1\u{a0}770,00\u{a0}€",
        None,
        None,
        "1770",
        Some("€"),
        Some("EUR"),
    ),
    (
        "1\u{202f}770,00\u{a0}€",
        Some(','),
        None,
        "1770",
        Some("€"),
        Some("EUR"),
    ),
    ("AED 26.00", None, None, "26", Some("AED"), Some("AED")),
    ("19,99", None, None, "19.99", None, None),
    ("19,99", Some('.'), None, "19.99", None, None),
    ("19.99", None, None, "19.99", None, None),
    ("19.99", Some(','), None, "19.99", None, None),
    ("£6.62", None, None, "6.62", Some("£"), Some("GBP")),
    ("EUR 219,00", None, None, "219", Some("EUR"), Some("EUR")),
    ("29,99 €", None, None, "29.99", Some("€"), Some("EUR")),
    ("$6.24 / count", None, None, "6.24", Some("$"), Some("USD")),
    (
        "$6.24 ($0.52 / count)",
        None,
        None,
        "6.24",
        Some("$"),
        Some("USD"),
    ),
    ("1,234", Some(','), None, "1.234", None, None),
    ("1,234", None, None, "1234", None, None),
    ("1,234", Some('.'), None, "1234", None, None),
    ("1.234", Some(','), None, "1234", None, None),
    ("1,234", Some(','), Some("JPY"), "1234", None, None),
    ("TRY 1.299,00", None, None, "1299", Some("TRY"), Some("TRY")),
    ("SAR 26.00", None, None, "26", Some("SAR"), Some("SAR")),
    ("2.345 ¥", None, None, "2345", Some("¥"), Some("JPY")),
    (
        "$1,234.56",
        None,
        Some("CAD"),
        "1234.56",
        Some("$"),
        Some("CAD"),
    ),
    ("$12.99", None, Some("EUR"), "12.99", Some("$"), Some("USD")),
    ("C$ 12.99", None, None, "12.99", Some("C$"), Some("CAD")),
    ("CA$12.99", None, None, "12.99", Some("CA$"), Some("CAD")),
    ("A$12.99", None, None, "12.99", Some("A$"), Some("AUD")),
    ("AU$ 12.99", None, None, "12.99", Some("AU$"), Some("AUD")),
    ("US$12.99", None, None, "12.99", Some("US$"), Some("USD")),
    ("MX$1,299.00", None, None, "1299", Some("MX$"), Some("MXN")),
    ("1 299,00 zł", None, None, "1299", Some("zł"), Some("PLN")),
    (
        "1 299,00 kr",
        None,
        Some("SEK"),
        "1299",
        Some("kr"),
        Some("SEK"),
    ),
    ("1 299,00 kr", None, None, "1299", Some("kr"), None),
    ("3,500円", None, None, "3500", Some("円"), Some("JPY")),
    (
        "CHF 1'049.95",
        None,
        None,
        "1049.95",
        Some("CHF"),
        Some("CHF"),
    ),
    ("KWD 12.500", None, None, "12.5", Some("KWD"), Some("KWD")),
    ("12.500", None, Some("KWD"), "12.5", None, None),
    (
        "Price: $15.95/mo",
        None,
        None,
        "15.95",
        Some("$"),
        Some("USD"),
    ),
    ("From 26 to 50 €", None, None, "26", Some("€"), Some("EUR")),
    (
        "$10.99 - $20.99",
        None,
        None,
        "10.99",
        Some("$"),
        Some("USD"),
    ),
    (
        "3 Ausgaben für nur 14,85 EUR",
        None,
        None,
        "14.85",
        Some("EUR"),
        Some("EUR"),
    ),
    ("- $44.99", None, None, "44.99", Some("$"), Some("USD")),
    ("1.899,-", None, None, "1899", None, None),
    ("$119. 95", None, None, "119.95", Some("$"), Some("USD")),
    ("35€99", None, None, "35.99", Some("€"), Some("EUR")),
    ("$.75", None, None, "0.75", Some("$"), Some("USD")),
    ("Free!", None, None, "0", None, None),
    ("１，２３４円", None, None, "1234", Some("円"), Some("JPY")),
];

#[test]
fn amazon_and_user_formats() {
    for &(text, decimal, currency, want, want_text, want_iso) in AMAZON_AND_USER_FORMATS {
        let got = parse_price(text, &hint(decimal, currency))
            .unwrap_or_else(|| panic!("{text:?} (hint {decimal:?}/{currency:?}): no price"));
        assert_eq!(
            got.amount,
            amount(want),
            "{text:?} (hint {decimal:?}/{currency:?})"
        );
        assert_eq!(
            got.currency_text.as_deref(),
            want_text,
            "{text:?} currency text"
        );
        assert_eq!(
            got.currency.map(|c| c.code().to_string()).as_deref(),
            want_iso,
            "{text:?} ISO"
        );
    }
}

#[test]
fn the_price_is_picked_among_other_numbers() {
    let cases = [
        ("Qty: 1 $24.99", "24.99"),
        ("Buy Now - 2 Litre Was $120.00 Now $60.00", "60"),
        ("Was: $124.95 Now: $0.00", "124.95"),
        ("From 26 to 50 €", "26"),
        ("10-20 €", "10"),
        ("50 - $2.00 100 - $2.75", "2"),
        ("Pack of 12, 16.9 fl oz $5.99", "5.99"),
        ("4.5 out of 5 stars 1,234 ratings $19.99", "19.99"),
        ("AED 8000 (USD 2179)", "8000"),
        ("399 167.00 руб 420 176.16 руб", "399167"),
        ("$ 281.40 $ 265.70", "281.40"),
        ("Код товара: 884", "884"),
        ("12.5¢/count", "0.125"),
        ("$..75,333", "75333"),
        ("99 € 79 €", "99"),
    ];
    for (text, want) in cases {
        let got = parse_price(text, &PriceHint::default()).map(|p| p.amount);
        assert_eq!(got, Some(amount(want)), "{text:?}");
    }
}

#[test]
fn hints_break_ties_but_never_override_the_text() {
    let cases = [
        ("1250€ 60", Some('€'), "1250.60"),
        ("140,000€33", Some('€'), "140000.33"),
        ("$..75,333", Some('.'), "0.75333"),
        ("$..75,333", Some(','), "75.333"),
        ("140.000", Some('.'), "140"),
        ("140.000", Some(','), "140000"),
        ("1.234,56", Some('.'), "1234.56"),
        ("1,5", Some('.'), "1.5"),
    ];
    for (text, decimal, want) in cases {
        let got = parse_price(text, &hint(decimal, None)).map(|p| p.amount);
        assert_eq!(got, Some(amount(want)), "{text:?} with {decimal:?}");
    }
}

#[test]
fn currency_codes_next_to_symbols_win() {
    let read = |t: &str| parse_price(t, &PriceHint::default()).and_then(|p| p.currency);
    assert_eq!(read("NZD $100.70"), Currency::parse("NZD"));
    assert_eq!(read("$1,190.00 AUD"), Currency::parse("AUD"));
    assert_eq!(read("SGD4.90 $"), Currency::parse("SGD"));
    assert_eq!(read("TOP 10 deals from $5"), Some(Currency::USD));
}

#[test]
fn text_without_a_price_is_none() {
    for text in [
        "",
        "Currently unavailable.",
        "See price in cart",
        "40% OFF",
        "-15%",
        "FREE delivery",
        "Free Shipping on Orders $49+.",
        "15.08.2017",
        "2004-07-01",
        "25-09",
        "July, 2004",
        "Arrives July 15, 2024",
        "16.00 ft",
        "5 out of 5 stars",
        "Qty: 2",
        "Цена: уточняйте (мин. заказ: 1 )",
        "€",
    ] {
        assert_eq!(parse_price(text, &PriceHint::default()), None, "{text:?}");
    }
}

#[test]
fn split_prices_join_whole_and_fraction() {
    let none = PriceHint::default();
    let cases = [
        ("1,234.", "56", "1234.56"),
        ("1.234,", "56", "1234.56"),
        ("1 234", "56", "1234.56"),
        ("1\u{a0}234,", "56", "1234.56"),
        ("1\u{202f}234,", "56", "1234.56"),
        ("1'234.", "56", "1234.56"),
        ("19.", "99", "19.99"),
        ("644.", "00", "644"),
        ("1,234", "", "1234"),
        ("12,345", "", "12345"),
        ("$1,234.", "56", "1234.56"),
        ("2,37,097.", "00", "237097"),
    ];
    for (whole, fraction, want) in cases {
        assert_eq!(
            parse_split_price(whole, fraction, &none),
            Some(amount(want)),
            "{whole:?} + {fraction:?}"
        );
    }
    assert_eq!(parse_split_price("", "56", &none), None);
    assert_eq!(parse_split_price("12a3", "56", &none), None);
    assert_eq!(parse_split_price("12", "5x", &none), None);
}

#[test]
fn currency_symbols_on_their_own() {
    let cad = hint(None, Some("CAD"));
    let read = |t: &str, h: &PriceHint| parse_currency(t, h).and_then(|c| c.currency);
    assert_eq!(read("$", &cad), Some(Currency::CAD));
    assert_eq!(read("$", &PriceHint::default()), Some(Currency::USD));
    assert_eq!(read("€", &cad), Some(Currency::EUR));
    assert_eq!(read("kr", &PriceHint::default()), None);
    assert_eq!(read("TL", &PriceHint::default()), Currency::parse("TRY"));
    assert_eq!(read("R$", &PriceHint::default()), Currency::parse("BRL"));
    assert_eq!(read("zł", &PriceHint::default()), Currency::parse("PLN"));
    assert_eq!(read("￥", &PriceHint::default()), Some(Currency::JPY));
    assert_eq!(parse_currency("Skrill", &PriceHint::default()), None);
}

#[test]
fn iso_codes_are_sorted_for_binary_search() {
    assert!(currency::ISO_CODES.windows(2).all(|w| w[0] < w[1]));
}

/// The price strings from scrapinghub/price-parser's test suite, which that
/// library reads 1,172 of right.
#[test]
fn price_string_corpus() {
    let Some(dir) = crate::test_support::fixtures_dir() else {
        return;
    };
    let path = dir.join("price-strings.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut right = 0;
    let mut wrong = Vec::new();
    for r in &records {
        let input = r["input"].as_str().unwrap_or("");
        let want = r["amount"].as_str().map(amount);
        let decimal_separator = r["decimal_separator_hint"]
            .as_str()
            .and_then(|s| s.chars().next());
        let currency = r["currency_hint"]
            .as_str()
            .and_then(|h| parse_currency(h, &PriceHint::default()))
            .and_then(|c| c.currency);
        let hint = PriceHint {
            decimal_separator,
            currency,
        };
        let got = parse_price(input, &hint).map(|p| p.amount);
        if got == want {
            right += 1;
        } else {
            wrong.push(format!(
                "{input:?} (hint {decimal_separator:?}): got {}, want {}",
                got.map_or("None".into(), |a| a.to_string()),
                want.map_or("None".into(), |a| a.to_string()),
            ));
        }
    }
    println!("price strings: {right}/{} amounts right", records.len());
    for w in wrong.iter().take(40) {
        eprintln!("  {w}");
    }
    // The floor is 1,100; we hold today's 1,179 (less the margin of
    // the 12 records no parser can satisfy) so a regression shows at once.
    assert!(
        right >= 1175,
        "only {right}/{} price strings right",
        records.len()
    );
}
