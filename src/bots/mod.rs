//! The chat bots. `core` decides what to say for every platform; the
//! platform modules translate updates into use-case calls and views into
//! messages.

pub mod core;
pub mod dialogue;
pub mod discord;
pub mod telegram;
