//! Amazon links: parse any product URL into a [`ProductRef`]. (Stub: being written.)
