//! sea-orm entities, one per table (the schema lives in `migrations/`).

pub mod destinations;
pub mod feeds;
pub mod notifications;
pub mod price_points;
pub mod products;
pub mod queue_jobs;
pub mod users;
pub mod watches;
// Issue #6: email alerts.
pub mod email_verifications;
