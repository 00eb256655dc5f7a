//! AWS's policy size quotas ("IAM and AWS STS quotas": "IAM doesn't count
//! white space when calculating the size of a policy against these quotas").
//!
//! Size errors are `LimitExceeded` (HTTP 409), not `MalformedPolicyDocument`.

use crate::error::PolicyError;

/// Aggregate size of all inline policies of one user.
pub const USER_INLINE_AGGREGATE_MAX: usize = 2_048;
/// Aggregate size of all inline policies of one group.
pub const GROUP_INLINE_AGGREGATE_MAX: usize = 5_120;
/// Aggregate size of all inline policies of one role.
pub const ROLE_INLINE_AGGREGATE_MAX: usize = 10_240;
/// Size of one managed policy (each version).
pub const MANAGED_POLICY_MAX: usize = 6_144;
/// Size of one role trust policy (the default quota; AWS can raise it to 4,096).
pub const ROLE_TRUST_POLICY_MAX: usize = 2_048;

/// Which quota a write is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeQuota {
    /// All inline policies of the named user together.
    UserInline,
    /// All inline policies of the named group together.
    GroupInline,
    /// All inline policies of the named role together.
    RoleInline,
    /// One managed policy document.
    Managed,
    /// One role trust policy.
    Trust,
}

impl SizeQuota {
    /// The quota in characters (white space excluded).
    pub const fn max(self) -> usize {
        match self {
            SizeQuota::UserInline => USER_INLINE_AGGREGATE_MAX,
            SizeQuota::GroupInline => GROUP_INLINE_AGGREGATE_MAX,
            SizeQuota::RoleInline => ROLE_INLINE_AGGREGATE_MAX,
            SizeQuota::Managed => MANAGED_POLICY_MAX,
            SizeQuota::Trust => ROLE_TRUST_POLICY_MAX,
        }
    }
}

/// The size AWS charges for a document: its characters, white space not
/// counted.
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// Checks `documents` (for the inline quotas: every inline policy the entity
/// would have after the write, the new one included; otherwise the one
/// document) against `quota`. `entity` is the user, group or role name used
/// in the message; it is ignored for the managed and trust quotas.
///
/// Messages: `Maximum policy size of 2048 bytes exceeded for user {name}`
/// (and `group`/`role`), `Cannot exceed quota for PolicySize: 6144`, all
/// seen in real AWS responses; `Cannot exceed quota for ACLSizePerRole: 2048`
/// for trust policies (recalled, unconfirmed).
pub fn check_size(quota: SizeQuota, entity: &str, documents: &[&str]) -> Result<(), PolicyError> {
    let total: usize = documents.iter().map(|d| policy_size(d)).sum();
    let max = quota.max();
    if total <= max {
        return Ok(());
    }
    Err(PolicyError::LimitExceeded(match quota {
        SizeQuota::UserInline => {
            format!("Maximum policy size of {max} bytes exceeded for user {entity}")
        }
        SizeQuota::GroupInline => {
            format!("Maximum policy size of {max} bytes exceeded for group {entity}")
        }
        SizeQuota::RoleInline => {
            format!("Maximum policy size of {max} bytes exceeded for role {entity}")
        }
        SizeQuota::Managed => format!("Cannot exceed quota for PolicySize: {max}"),
        SizeQuota::Trust => format!("Cannot exceed quota for ACLSizePerRole: {max}"),
    }))
}
