//! Pages Amazon serves instead of a product: robot checks, the 503 and 404
//! "dogs" pages, and tiny "server busy" / JavaScript challenge pages.
//!
//! A robot check is recognised by its form (`/errors/validateCaptcha`) in
//! any language. The rest is only asked of pages that are not a product, so
//! a product page that merely mentions these words (a referrer URL in its
//! JSON) is never mistaken for one.

use super::dom::{self, Dom};
use super::{ErrorPage, Page, words};

/// Below this size a page without product markup is a challenge or "busy"
/// page (Amazon's are a few KiB; a real detail page is hundreds of KiB).
const SMALL_PAGE: usize = 128 * 1024;

/// A robot-check form or the captcha input, whatever the language.
pub(super) fn is_captcha_form(dom: &Dom<'_>) -> bool {
    dom.has_id("captchacharacters")
        || dom.forms.iter().any(|f| {
            f.value()
                .attr("action")
                .is_some_and(|a| a.to_ascii_lowercase().contains("validatecaptcha"))
        })
}

/// What a page that is not a product is.
pub(super) fn classify(html: &str, dom: &Dom<'_>) -> Page {
    let small = html.len() < SMALL_PAGE;
    let lower = html.to_lowercase();
    let title = dom
        .title
        .map(|t| dom::text(t).to_lowercase())
        .unwrap_or_default();

    if small && words::any(&lower, words::CAPTCHA) {
        return Page::Captcha;
    }
    // The status code in the title and the error page's own link refs
    // (`ref=cs_503_link`, image `500_503`) are language-independent.
    if title.starts_with("503")
        || title.starts_with("500")
        || lower.contains("cs_503")
        || lower.contains("500_503")
    {
        return Page::Error(ErrorPage::ServiceUnavailable);
    }
    if title.starts_with("404") || lower.contains("cs_404") {
        return Page::Error(ErrorPage::NotFound);
    }
    if small || lower.contains("dogsofamazon") {
        if words::any(&title, words::NOT_FOUND) || words::any(&lower, words::NOT_FOUND) {
            return Page::Error(ErrorPage::NotFound);
        }
        if lower.contains("dogsofamazon") || words::any(&lower, words::SERVICE_UNAVAILABLE) {
            return Page::Error(ErrorPage::ServiceUnavailable);
        }
    }
    if small {
        return Page::Error(ErrorPage::Busy);
    }
    Page::Error(ErrorPage::Unrecognised)
}
