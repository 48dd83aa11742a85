//! Pure domain types and rules. Imports no framework crate.

pub mod alert;
pub mod asin;
pub mod marketplace;
pub mod money;
pub mod price;
pub mod target;

pub use asin::{Asin, ProductRef};
pub use marketplace::Marketplace;
pub use money::{Amount, Currency, Money, NumberStyle};
