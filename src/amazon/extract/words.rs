//! The few decisions that markup alone cannot make, as phrases in every
//! storefront language (en, de, fr, es, it, nl, pl, sv, pt, tr, ja). All
//! lower case; callers lower-case the text they match.

/// "Temporarily out of stock": the offer exists but cannot ship now.
pub(super) const OUT_OF_STOCK: &[&str] = &[
    "out of stock",
    "nicht auf lager",
    "nicht vorrätig",
    "rupture de stock",
    "sin stock",
    "agotado",
    "temporaneamente non disponibile",
    "esaurito",
    "niet op voorraad",
    "brak w magazynie",
    "chwilowo niedostępny",
    "tillfälligt slut",
    "slut i lager",
    "fora de estoque",
    "esgotado",
    "stokta yok",
    "在庫切れ",
];

/// Robot-check pages that carry no captcha form (script-driven variants).
pub(super) const CAPTCHA: &[&str] = &[
    "robot check",
    "enter the characters you see below",
    "type the characters you see in this image",
    "geben sie die zeichen unten ein",
    "saisissez les caractères",
    "introduce los caracteres",
    "inserisci i caratteri",
    "voer de tekens",
    "wpisz znaki",
    "ange tecknen",
    "digite os caracteres",
    "karakterleri girin",
    "表示されている文字を入力してください",
    "captcha.awswaf.com",
];

/// The 404 page ("Page Not Found", the old "Looking for something?").
pub(super) const NOT_FOUND: &[&str] = &[
    "page not found",
    "document not found",
    "looking for something?",
    "couldn't find that page",
    "seite wurde nicht gefunden",
    "seite nicht gefunden",
    "page introuvable",
    "página no encontrada",
    "pagina non trovata",
    "pagina niet gevonden",
    "nie znaleziono strony",
    "sidan kunde inte hittas",
    "página não encontrada",
    "sayfa bulunamadı",
    "ページが見つかりません",
];

/// The 500/503 page ("Sorry! Something went wrong").
pub(super) const SERVICE_UNAVAILABLE: &[&str] = &[
    "service unavailable",
    "something went wrong",
    "internal server error",
];

/// True when `text` (already lower-cased) contains one of `phrases`.
pub(super) fn any(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| text.contains(p))
}
