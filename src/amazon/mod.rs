//! Everything that knows Amazon: links, fetching pages, and reading them.

pub mod extract;
pub mod fetch;
pub mod url;
