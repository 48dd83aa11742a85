//! Currency symbols and codes as shops write them, and the ISO currency each
//! names. Some symbols name several currencies (`$`, `¥`, `kr`); those are
//! settled by the caller's hint, so `$` on amazon.ca is CAD.

use crate::domain::money::Currency;

/// What a written symbol says about the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Names {
    /// Exactly this ISO currency.
    Iso(&'static str),
    /// A bare `$`: USD unless the hint is another dollar.
    Dollar,
    /// `¥`/`￥`: JPY unless the hint is CNY.
    Yen,
    /// `kr`: one of the Nordic crowns, known only from the hint.
    Crown,
    /// `Rs`/`₨`: one of the rupees, known only from the hint.
    Rupee,
    /// `¢`: hundredths of a dollar ("12.5¢/count" is $0.125).
    Cents,
    /// A currency sign that names no single ISO currency (`₤`, `CFA`, toman).
    Unknown,
}

/// Symbols and abbreviations, matched longest first. Codes that are plain
/// ISO 4217 (`EUR`, `AED`) are recognised from [`ISO_CODES`] instead.
const SYMBOLS: &[(&str, Names)] = &[
    // Dollars with a country prefix; they must win over a bare `$`.
    ("US$", Names::Iso("USD")),
    ("CA$", Names::Iso("CAD")),
    ("CAD$", Names::Iso("CAD")),
    ("CAN$", Names::Iso("CAD")),
    ("CDN$", Names::Iso("CAD")),
    ("C$", Names::Iso("CAD")),
    ("AU$", Names::Iso("AUD")),
    ("AUD$", Names::Iso("AUD")),
    ("A$", Names::Iso("AUD")),
    ("NZ$", Names::Iso("NZD")),
    ("NZD$", Names::Iso("NZD")),
    ("HK$", Names::Iso("HKD")),
    ("HKD$", Names::Iso("HKD")),
    ("S$", Names::Iso("SGD")),
    ("SG$", Names::Iso("SGD")),
    ("SGD$", Names::Iso("SGD")),
    ("MX$", Names::Iso("MXN")),
    ("NT$", Names::Iso("TWD")),
    ("R$", Names::Iso("BRL")),
    ("AR$", Names::Iso("ARS")),
    ("CL$", Names::Iso("CLP")),
    ("CO$", Names::Iso("COP")),
    ("RD$", Names::Iso("DOP")),
    ("J$", Names::Iso("JMD")),
    ("TT$", Names::Iso("TTD")),
    ("BZ$", Names::Iso("BZD")),
    ("Bds$", Names::Iso("BBD")),
    ("CUC$", Names::Iso("CUC")),
    ("MOP$", Names::Iso("MOP")),
    ("N$", Names::Iso("NAD")),
    ("T$", Names::Iso("TOP")),
    ("WS$", Names::Iso("WST")),
    ("BN$", Names::Iso("BND")),
    ("GY$", Names::Iso("GYD")),
    ("G$", Names::Iso("GYD")),
    ("Z$", Names::Iso("ZWL")),
    ("$U", Names::Iso("UYU")),
    ("$b", Names::Iso("BOB")),
    ("$", Names::Dollar),
    ("¢", Names::Cents),
    // Signs.
    ("€", Names::Iso("EUR")),
    ("£", Names::Iso("GBP")),
    ("￡", Names::Iso("GBP")),
    ("E£", Names::Iso("EGP")),
    ("LB£", Names::Iso("LBP")),
    ("SY£", Names::Iso("SYP")),
    ("CN¥", Names::Iso("CNY")),
    ("¥", Names::Yen),
    ("￥", Names::Yen),
    ("円", Names::Iso("JPY")),
    ("yen", Names::Iso("JPY")),
    ("元", Names::Iso("CNY")),
    ("人民币", Names::Iso("CNY")),
    ("RMB", Names::Iso("CNY")),
    ("₹", Names::Iso("INR")),
    ("₨", Names::Rupee),
    ("Rs.", Names::Rupee),
    ("Rs", Names::Rupee),
    ("₽", Names::Iso("RUB")),
    ("₴", Names::Iso("UAH")),
    ("₪", Names::Iso("ILS")),
    ("₩", Names::Iso("KRW")),
    ("원", Names::Iso("KRW")),
    ("₫", Names::Iso("VND")),
    ("đ", Names::Iso("VND")),
    ("฿", Names::Iso("THB")),
    ("₺", Names::Iso("TRY")),
    ("TL", Names::Iso("TRY")),
    ("₱", Names::Iso("PHP")),
    ("₦", Names::Iso("NGN")),
    ("₸", Names::Iso("KZT")),
    ("₼", Names::Iso("AZN")),
    ("₾", Names::Iso("GEL")),
    ("֏", Names::Iso("AMD")),
    ("₭", Names::Iso("LAK")),
    ("₮", Names::Iso("MNT")),
    ("₡", Names::Iso("CRC")),
    ("₲", Names::Iso("PYG")),
    ("៛", Names::Iso("KHR")),
    ("৳", Names::Iso("BDT")),
    ("GH₵", Names::Iso("GHS")),
    ("₵", Names::Iso("GHS")),
    ("؋", Names::Iso("AFN")),
    ("₤", Names::Unknown),
    ("₶", Names::Unknown),
    ("₿", Names::Unknown),
    ("﷼", Names::Unknown),
    // Abbreviations and words.
    ("euro", Names::Iso("EUR")),
    ("Euro", Names::Iso("EUR")),
    ("eur", Names::Iso("EUR")),
    ("Eur", Names::Iso("EUR")),
    ("zł", Names::Iso("PLN")),
    ("Zł", Names::Iso("PLN")),
    ("zl", Names::Iso("PLN")),
    ("pln", Names::Iso("PLN")),
    ("Kč", Names::Iso("CZK")),
    ("Ft", Names::Iso("HUF")),
    ("lei", Names::Iso("RON")),
    ("Lei", Names::Iso("RON")),
    ("LEI", Names::Iso("RON")),
    ("лв.", Names::Iso("BGN")),
    ("лв", Names::Iso("BGN")),
    ("руб.", Names::Iso("RUB")),
    ("руб", Names::Iso("RUB")),
    ("рублей", Names::Iso("RUB")),
    ("рубля", Names::Iso("RUB")),
    ("р.", Names::Iso("RUB")),
    ("р", Names::Iso("RUB")),
    ("Р", Names::Iso("RUB")),
    ("грн.", Names::Iso("UAH")),
    ("грн", Names::Iso("UAH")),
    ("дин.", Names::Iso("RSD")),
    ("динар", Names::Iso("RSD")),
    ("Dinara", Names::Iso("RSD")),
    ("ден", Names::Iso("MKD")),
    ("Fr.", Names::Iso("CHF")),
    ("SFr.", Names::Iso("CHF")),
    ("chf", Names::Iso("CHF")),
    ("KD", Names::Iso("KWD")),
    ("RM", Names::Iso("MYR")),
    ("Rp", Names::Iso("IDR")),
    ("kn", Names::Iso("HRK")),
    ("Br", Names::Iso("BYN")),
    ("KM", Names::Iso("BAM")),
    ("Lek", Names::Iso("ALL")),
    ("د.إ", Names::Iso("AED")),
    ("ر.س", Names::Iso("SAR")),
    ("KSh", Names::Iso("KES")),
    ("KShs", Names::Iso("KES")),
    ("TSh", Names::Iso("TZS")),
    ("USh", Names::Iso("UGX")),
    ("FBu", Names::Iso("BIF")),
    ("Fdj", Names::Iso("DJF")),
    ("Nfk", Names::Iso("ERN")),
    ("Nu.", Names::Iso("BTN")),
    ("B/.", Names::Iso("PAB")),
    ("S/.", Names::Iso("PEN")),
    ("BD", Names::Iso("BHD")),
    ("LD", Names::Iso("LYD")),
    ("DT", Names::Iso("TND")),
    ("MK", Names::Iso("MWK")),
    ("Rf", Names::Iso("MVR")),
    ("UM", Names::Iso("MRU")),
    ("Db", Names::Iso("STN")),
    ("VT", Names::Iso("VUV")),
    ("ZK", Names::Iso("ZMW")),
    ("FG", Names::Iso("GNF")),
    ("Bs", Names::Unknown),
    ("CFA", Names::Unknown),
    ("FCFA", Names::Unknown),
    ("ƒ", Names::Unknown),
    ("₣", Names::Unknown),
    ("kr.", Names::Crown),
    ("kr", Names::Crown),
    ("Kr.", Names::Crown),
    ("Kr", Names::Crown),
    ("تومان", Names::Unknown),
    ("ريال", Names::Unknown),
    ("ریال", Names::Unknown),
    ("درهم", Names::Unknown),
    ("جنيه", Names::Unknown),
];

/// ISO 4217 codes (current, plus a few pre-euro ones still seen in listings).
pub(super) const ISO_CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "ATS", "AUD", "AWG", "AZN", "BAM", "BBD",
    "BDT", "BEF", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN",
    "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DEM",
    "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ESP", "ETB", "EUR", "FIM", "FJD", "FKP", "FRF",
    "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GRD", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG",
    "HUF", "IDR", "IEP", "ILS", "INR", "IQD", "IRR", "ISK", "ITL", "JMD", "JOD", "JPY", "KES",
    "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MYR", "MZN", "NAD", "NGN", "NIO", "NLG", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PTE", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU",
    "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL",
];

/// Codes that are also ordinary words in capitals ("ALL", "TOP") and short
/// abbreviations that are often something else ("DT", "KM", "р"): they count
/// as a currency only right beside a number, and less than a symbol.
const WORDLIKE: &[&str] = &[
    "ALL", "BOB", "CUP", "GEL", "MAD", "MOP", "PEN", "SOS", "TOP", "BD", "Br", "Bs", "DT", "Db",
    "FG", "KD", "KM", "LD", "MK", "RM", "Rf", "TL", "UM", "VT", "ZK", "kn", "р", "Р",
];

const DOLLARS: &[&str] = &[
    "USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "ARS", "CLP", "COP",
];
const CROWNS: &[&str] = &["SEK", "NOK", "DKK", "ISK"];
const RUPEES: &[&str] = &["INR", "PKR", "LKR", "NPR", "MUR", "SCR"];

/// A currency symbol or code found in the text.
#[derive(Debug, Clone)]
pub(super) struct Mention {
    /// Char indices, `end` exclusive.
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub names: Names,
    /// Often not a currency at all ("TOP", "KM"); see [`WORDLIKE`].
    pub wordlike: bool,
}

impl Mention {
    /// Names exactly one currency without help from the hint.
    pub fn is_specific(&self) -> bool {
        matches!(self.names, Names::Iso(_)) && !self.wordlike
    }

    /// Whether the amount is written in hundredths of the currency (`¢`).
    pub fn is_cents(&self) -> bool {
        self.names == Names::Cents
    }

    /// The ISO currency, using the hint for symbols several currencies share.
    pub fn currency(&self, hint: Option<Currency>) -> Option<Currency> {
        let hinted = |set: &[&str]| hint.filter(|c| set.contains(&c.code()));
        match self.names {
            Names::Iso(code) => Currency::parse(code),
            Names::Dollar | Names::Cents => hinted(DOLLARS).or(Some(Currency::USD)),
            Names::Yen => hinted(&["CNY"]).or(Some(Currency::JPY)),
            Names::Crown => hinted(CROWNS),
            Names::Rupee => hinted(RUPEES),
            Names::Unknown => None,
        }
    }
}

/// Every currency mention in `chars`, left to right, longest match first.
pub(super) fn find_mentions(chars: &[char]) -> Vec<Mention> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match mention_at(chars, i) {
            Some(m) => {
                i = m.end;
                found.push(m);
            }
            None => i += 1,
        }
    }
    found
}

fn mention_at(chars: &[char], i: usize) -> Option<Mention> {
    let mut best: Option<(usize, Names)> = None;
    for &(symbol, names) in SYMBOLS {
        let len = symbol.chars().count();
        let matches =
            chars.len() >= i + len && symbol.chars().zip(&chars[i..]).all(|(a, &b)| a == b);
        if matches && best.is_none_or(|(l, _)| len > l) && bounded(chars, i, i + len) {
            best = Some((len, names));
        }
    }
    let iso = chars
        .get(i..i + 3)
        .filter(|c| c.iter().all(char::is_ascii_uppercase))
        .map(|c| c.iter().collect::<String>())
        .and_then(|code| ISO_CODES.binary_search(&code.as_str()).ok())
        .map(|k| ISO_CODES[k]);
    if let Some(iso) = iso
        && best.is_none_or(|(l, _)| l < 3)
        && bounded(chars, i, i + 3)
    {
        return Some(Mention {
            start: i,
            end: i + 3,
            text: iso.to_string(),
            names: Names::Iso(iso),
            wordlike: WORDLIKE.contains(&iso),
        });
    }
    let (len, names) = best?;
    let text: String = chars[i..i + len].iter().collect();
    Some(Mention {
        start: i,
        end: i + len,
        wordlike: WORDLIKE.contains(&text.as_str()),
        text,
        names,
    })
}

/// A symbol that starts or ends with a letter must not be part of a longer
/// word: "kr" is a currency, the "kr" in "Krone" or "Skrill" is not.
fn bounded(chars: &[char], start: usize, end: usize) -> bool {
    let letter = |k: Option<usize>| {
        k.and_then(|k| chars.get(k))
            .is_some_and(|c| c.is_alphabetic())
    };
    let glued_before = chars[start].is_alphabetic() && letter(start.checked_sub(1));
    let glued_after = chars[end - 1].is_alphabetic() && letter(Some(end));
    !glued_before && !glued_after
}
