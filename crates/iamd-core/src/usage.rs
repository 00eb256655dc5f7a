//! Last-used tracking without a disk write per request: uses are kept in memory, newest
//! per key, and flushed to the store in batches by a background task (see the server).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::model::KeyUsage;

#[derive(Debug, Default)]
pub struct UsageRecorder {
    pending: Mutex<HashMap<String, KeyUsage>>,
}

impl UsageRecorder {
    pub fn record(&self, usage: KeyUsage) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match pending.get_mut(&usage.access_key_id) {
            Some(existing) if existing.when > usage.when => {}
            Some(existing) => *existing = usage,
            None => {
                pending.insert(usage.access_key_id.clone(), usage);
            }
        }
    }

    /// The not yet flushed use of one key, so that reads on this node see it at once.
    pub fn pending(&self, access_key_id: &str) -> Option<KeyUsage> {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.get(access_key_id).cloned()
    }

    /// Takes everything pending, for a flush.
    pub fn drain(&self) -> Vec<KeyUsage> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.drain().map(|(_, u)| u).collect()
    }

    /// Puts back a batch whose flush failed; newer uses recorded since then win.
    pub fn requeue(&self, batch: Vec<KeyUsage>) {
        for usage in batch {
            self.record(usage);
        }
    }
}

impl crate::service::Iam {
    /// Writes the key uses recorded since the last flush; on a storage failure they are
    /// kept for the next one, and the failure returned for the caller to log.
    pub async fn flush_usage(&self) -> Result<(), crate::store::StoreError> {
        let batch = self.usage.drain();
        if batch.is_empty() {
            return Ok(());
        }
        self.store.record_key_usage(&batch).await.inspect_err(|_| {
            self.usage.requeue(batch);
        })
    }
}
