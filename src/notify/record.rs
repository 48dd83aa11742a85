//! The recording notifier: keeps every delivery in memory, or appends it as a
//! JSON line to `DELIVERY_LOG_FILE` (a dry run that sends nothing). Tests use
//! it to see exactly what would have been sent, across processes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;

use super::{Delivery, Notifier, SendError};

/// Scripted failures for tests: the next sends fail like this, in order.
pub type Script = Arc<Mutex<Vec<SendError>>>;

#[derive(Clone, Default)]
pub struct MemoryNotifier {
    pub sent: Arc<Mutex<Vec<Delivery>>>,
    pub failures: Script,
}

impl MemoryNotifier {
    pub fn sent(&self) -> Vec<Delivery> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn fail_next(&self, e: SendError) {
        if let Ok(mut f) = self.failures.lock() {
            f.push(e);
        }
    }
}

#[async_trait::async_trait]
impl Notifier for MemoryNotifier {
    async fn send(&self, d: &Delivery) -> Result<(), SendError> {
        let scripted = self
            .failures
            .lock()
            .ok()
            .and_then(|mut f| (!f.is_empty()).then(|| f.remove(0)));
        if let Some(e) = scripted {
            return Err(e);
        }
        if let Ok(mut s) = self.sent.lock() {
            s.push(d.clone());
        }
        Ok(())
    }
}

/// Writes each delivery as `<dir>/<idempotency key>.json`, created
/// exclusively: like a channel that de-duplicates by key (an email Message-ID,
/// a Discord nonce), a second attempt for the same key has no second effect.
/// Such repeated attempts are counted in `<dir>/repeats.log`.
pub struct FileNotifier {
    dir: PathBuf,
}

impl FileNotifier {
    pub fn new(dir: PathBuf) -> Self {
        FileNotifier { dir }
    }
}

/// Keys are ours (`w:1:pp:2:telegram`); keep file names portable anyway.
fn file_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[async_trait::async_trait]
impl Notifier for FileNotifier {
    async fn send(&self, d: &Delivery) -> Result<(), SendError> {
        let transient = |e: std::io::Error| SendError::Transient {
            reason: format!("delivery log: {e}"),
            retry_after: None,
        };
        let json = serde_json::to_vec_pretty(d).map_err(|e| SendError::Permanent {
            reason: e.to_string(),
        })?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(transient)?;
        let path = self
            .dir
            .join(format!("{}.json", file_name(&d.idempotency_key)));
        match tokio::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)
            .await
        {
            Ok(mut f) => {
                f.write_all(&json).await.map_err(transient)?;
                f.flush().await.map_err(transient)?;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mut log = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.join("repeats.log"))
                    .await
                    .map_err(transient)?;
                log.write_all(format!("{}\n", d.idempotency_key).as_bytes())
                    .await
                    .map_err(transient)?;
                Ok(())
            }
            Err(e) => Err(transient(e)),
        }
    }
}
