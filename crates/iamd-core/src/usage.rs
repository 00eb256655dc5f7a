//! Last-used tracking without a disk write per request: uses are kept in memory, newest
//! per access key and per role, and flushed to the store in batches by a background task
//! (see the server).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::model::{KeyUsage, RoleUsage};

/// One use to record once a request's signature has verified: of a long-term access key
/// (`GetAccessKeyLastUsed`; a session made from it counts as its use), or of a role by one
/// of its sessions (GetRole's `RoleLastUsed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Usage {
    Key(KeyUsage),
    Role(RoleUsage),
}

#[derive(Debug, Default)]
pub struct UsageRecorder {
    pending: Mutex<Pending>,
}

#[derive(Debug, Default)]
struct Pending {
    keys: HashMap<String, KeyUsage>,
    roles: HashMap<String, RoleUsage>,
}

/// Keeps the newer of two uses of one thing.
fn keep_newest<T>(pending: &mut HashMap<String, T>, id: &str, usage: T, when: impl Fn(&T) -> i128) {
    match pending.get_mut(id) {
        Some(existing) if when(existing) > when(&usage) => {}
        Some(existing) => *existing = usage,
        None => {
            pending.insert(id.to_owned(), usage);
        }
    }
}

impl UsageRecorder {
    pub fn record(&self, usage: Usage) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        match usage {
            Usage::Key(u) => {
                let id = u.access_key_id.clone();
                keep_newest(&mut pending.keys, &id, u, |u| u.when.unix_timestamp_nanos());
            }
            Usage::Role(u) => {
                let id = u.role_id.clone();
                keep_newest(&mut pending.roles, &id, u, |u| {
                    u.when.unix_timestamp_nanos()
                });
            }
        }
    }

    /// The not yet flushed use of one key, so that reads on this node see it at once.
    pub fn pending(&self, access_key_id: &str) -> Option<KeyUsage> {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.keys.get(access_key_id).cloned()
    }

    /// The not yet flushed use of one role.
    pub fn pending_role(&self, role_id: &str) -> Option<RoleUsage> {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.roles.get(role_id).cloned()
    }

    /// A copy of everything pending, for a flush. The uses stay pending until the flush
    /// has written them (`written`), so that a read on this node meanwhile still sees them.
    fn snapshot(&self) -> (Vec<KeyUsage>, Vec<RoleUsage>) {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        (
            pending.keys.values().cloned().collect(),
            pending.roles.values().cloned().collect(),
        )
    }

    /// Forgets the key uses a flush wrote, unless a newer one was recorded meanwhile.
    fn keys_written(&self, keys: &[KeyUsage]) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for usage in keys {
            if pending.keys.get(&usage.access_key_id) == Some(usage) {
                pending.keys.remove(&usage.access_key_id);
            }
        }
    }

    /// Forgets the role uses a flush wrote, unless a newer one was recorded meanwhile.
    fn roles_written(&self, roles: &[RoleUsage]) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for usage in roles {
            if pending.roles.get(&usage.role_id) == Some(usage) {
                pending.roles.remove(&usage.role_id);
            }
        }
    }
}

impl crate::service::Iam {
    /// Writes the key and role uses recorded since the last flush; they stay visible to
    /// this node's reads until written. On a storage failure what was not written is kept
    /// for the next one, and the failure returned for the caller to log.
    pub async fn flush_usage(&self) -> Result<(), crate::store::StoreError> {
        let (keys, roles) = self.usage.snapshot();
        if !keys.is_empty() {
            self.store.record_key_usage(&keys).await?;
            self.usage.keys_written(&keys);
        }
        if !roles.is_empty() {
            self.store.record_role_usage(&roles).await?;
            self.usage.roles_written(&roles);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secs: i64) -> Usage {
        Usage::Key(KeyUsage {
            access_key_id: "AKIAEXAMPLE".into(),
            when: time::OffsetDateTime::from_unix_timestamp(secs).unwrap(),
            service: "iam".into(),
            region: format!("r{secs}"),
        })
    }

    fn role(secs: i64) -> Usage {
        Usage::Role(RoleUsage {
            role_id: "AROAEXAMPLE".into(),
            when: time::OffsetDateTime::from_unix_timestamp(secs).unwrap(),
            region: format!("r{secs}"),
        })
    }

    #[test]
    fn the_newest_use_of_each_key_and_role_is_kept() {
        let recorder = UsageRecorder::default();
        for u in [key(10), key(5), role(7), role(9), role(8)] {
            recorder.record(u);
        }
        assert_eq!(recorder.pending("AKIAEXAMPLE").unwrap().region, "r10");
        assert_eq!(recorder.pending_role("AROAEXAMPLE").unwrap().region, "r9");
        let (keys, roles) = recorder.snapshot();
        assert_eq!((keys.len(), roles.len()), (1, 1));
        // Still pending while the flush writes them: reads on this node see them.
        assert_eq!(recorder.pending_role("AROAEXAMPLE").unwrap().region, "r9");
        // A newer use recorded meanwhile outlives the flush of the older one.
        recorder.record(role(20));
        recorder.keys_written(&keys);
        recorder.roles_written(&roles);
        assert!(
            recorder.pending("AKIAEXAMPLE").is_none(),
            "written, forgotten"
        );
        assert_eq!(recorder.pending_role("AROAEXAMPLE").unwrap().region, "r20");
    }
}
