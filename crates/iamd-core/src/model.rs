//! The stored entities: accounts, users and access keys.

use time::OffsetDateTime;

use crate::secret::SealedSecret;

pub type AccountId = String;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: AccountId,
    pub create_date: OffsetDateTime,
}

/// At most this many access keys per user (and for root): AWS's `AccessKeysPerUser` quota.
pub const ACCESS_KEYS_PER_USER: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub account_id: AccountId,
    pub user_id: String,
    pub user_name: String,
    pub path: String,
    pub create_date: OffsetDateTime,
    pub tags: Vec<Tag>,
}

impl User {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account_id, self.path, self.user_name
        )
    }
}

/// Who an access key belongs to: the account's root identity or one of its users.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    Root,
    User { user_id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Active" => Some(KeyStatus::Active),
            "Inactive" => Some(KeyStatus::Inactive),
            _ => None,
        }
    }
}

/// An access key's metadata. The secret travels separately (`NewAccessKey`, `Credential`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub account_id: AccountId,
    pub owner: KeyOwner,
    /// The owner's current name (None for root).
    pub user_name: Option<String>,
    pub status: KeyStatus,
    pub create_date: OffsetDateTime,
}

/// A key about to be stored.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub account_id: AccountId,
    pub owner: KeyOwner,
    pub secret: SealedSecret,
    pub create_date: OffsetDateTime,
}

/// What authentication needs to know about a key id.
#[derive(Debug, Clone)]
pub struct Credential {
    pub key: AccessKey,
    pub secret: SealedSecret,
    /// The owning user, when the key is a user's.
    pub user: Option<User>,
}

/// The last recorded use of a long-term key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsage {
    pub access_key_id: String,
    pub when: OffsetDateTime,
    pub service: String,
    pub region: String,
}
