//! `queue_jobs`: the job queue of the embedded (single-process, SQLite) mode.
//! Scaled mode keeps its queues in Redis.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum QueueJobs {
    Table,
    Id,
    /// `check_product` | `deliver`
    Queue,
    /// De-duplicates while the job is queued or running (NULL: no key).
    Key,
    /// The job as JSON.
    Payload,
    RunAt,
    /// A worker that claimed the job owns it until then.
    LockedUntil,
    Attempts,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(QueueJobs::Table)
                .if_not_exists()
                .col(big_pk_auto(QueueJobs::Id))
                .col(string_len(QueueJobs::Queue, 32))
                .col(string_len_null(QueueJobs::Key, 128))
                .col(text(QueueJobs::Payload))
                .col(timestamp_with_time_zone(QueueJobs::RunAt))
                .col(timestamp_with_time_zone_null(QueueJobs::LockedUntil))
                .col(integer(QueueJobs::Attempts).default(0))
                .col(timestamp_with_time_zone(QueueJobs::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_queue_jobs_queue_key")
                .table(QueueJobs::Table)
                .col(QueueJobs::Queue)
                .col(QueueJobs::Key)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_queue_jobs_queue_run_at")
                .table(QueueJobs::Table)
                .col(QueueJobs::Queue)
                .col(QueueJobs::RunAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(QueueJobs::Table).to_owned())
            .await
    }
}
