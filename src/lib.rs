//! pricewatch: an Amazon price tracker that lives in chat.

pub mod amazon;
pub mod domain;

#[cfg(test)]
pub(crate) mod test_support;
