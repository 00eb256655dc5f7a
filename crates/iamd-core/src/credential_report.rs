//! The credential report: GenerateCredentialReport and GetCredentialReport. The report is
//! the CSV AWS documents ("Getting credential reports for your AWS account"): one row for
//! the account's root user (`<root_account>`), then one per IAM user in name order, with
//! each user's password, MFA, access keys (the two oldest, by creation) and signing
//! certificates, read from the store when the report is generated.
//!
//! Generation is synchronous and cheap, so a report is never in progress: the first
//! GenerateCredentialReport (or the first after the report is four hours old, AWS's
//! interval) makes one and answers `STARTED`; the next ones within four hours answer
//! `COMPLETE` and keep the report, as AWS does. GetCredentialReport answers
//! ReportNotPresent before any report, and ReportExpired once the report is older than
//! four hours. Reports are kept in memory, one per account, on the node that generated
//! them (a restart or another node starts without one).

use std::collections::HashMap;
use std::sync::Mutex;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::model::{AccessKey, KeyOwner, KeyStatus, PublicCredentialKind, User};
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::After;

/// How long a report is kept, and how often one is made (AWS's four hours).
pub const REPORT_LIFETIME: Duration = Duration::hours(4);

/// The report's columns, in AWS's order.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

const NA: &str = "N/A";

/// One generated report.
#[derive(Debug, Clone)]
pub struct Report {
    pub generated: OffsetDateTime,
    pub content: Vec<u8>,
}

/// The reports of each account, kept by the node that generated them.
#[derive(Debug, Default)]
pub struct Reports(Mutex<HashMap<String, Report>>);

impl Reports {
    fn get(&self, account_id: &str) -> Option<Report> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(account_id).cloned()
    }

    fn put(&self, account_id: &str, report: Report) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(account_id.to_owned(), report);
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// GenerateCredentialReport's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generated {
    /// A new report was made (`STARTED`, with AWS's description).
    Started(&'static str),
    /// The report made less than four hours ago stands (`COMPLETE`).
    Complete,
}

/// A time as the report writes it: ISO 8601 with `+00:00`, to the second.
fn when(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339)
        .map(|s| s.replace('Z', "+00:00"))
        .unwrap_or_else(|_| NA.to_owned())
}

fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// A CSV field: quoted when it holds a comma, a quote or a line break (names and ARNs
/// never do; this keeps the file well formed regardless).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The report's CSV for `account_id`, read from `store` now: what GetCredentialReport
/// answers, for tools that work on a store without serving it (`iamd admin
/// credential-report`; no key use is pending there).
pub async fn credential_report_csv(
    store: &dyn crate::store::Store,
    account_id: &str,
) -> Result<String, IamError> {
    Builder { store, usage: None }.csv(account_id).await
}

/// Builds the report from a store and, on a serving node, its unflushed key uses.
struct Builder<'a> {
    store: &'a dyn crate::store::Store,
    usage: Option<&'a crate::usage::UsageRecorder>,
}

impl Builder<'_> {
    /// The last use of a key: the store's, or a newer one not yet flushed.
    async fn key_last_used(
        &self,
        key_id: &str,
    ) -> Result<Option<crate::model::KeyUsage>, IamError> {
        let stored = self
            .store
            .get_access_key_last_used(key_id)
            .await
            .map_err(store_failure)?
            .and_then(|(_, used)| used);
        Ok(match (stored, self.usage.and_then(|u| u.pending(key_id))) {
            (Some(s), Some(p)) => Some(if p.when >= s.when { p } else { s }),
            (s, p) => s.or(p),
        })
    }

    /// The access key and signing certificate columns of one owner.
    async fn key_columns(
        &self,
        keys: &[AccessKey],
        certs: &[crate::model::PublicCredential],
        row: &mut Vec<String>,
    ) -> Result<(), IamError> {
        let mut keys = keys.to_vec();
        keys.sort_by_key(|k| k.create_date);
        for i in 0..2 {
            match keys.get(i) {
                Some(key) => {
                    row.push(flag(key.status == KeyStatus::Active).to_owned());
                    row.push(when(key.create_date));
                    match self.key_last_used(&key.access_key_id).await? {
                        Some(used) => {
                            row.push(when(used.when));
                            row.push(if used.region.is_empty() {
                                NA.to_owned()
                            } else {
                                used.region
                            });
                            row.push(used.service);
                        }
                        None => row.extend([NA, NA, NA].map(str::to_owned)),
                    }
                }
                None => row.extend(["false", NA, NA, NA, NA].map(str::to_owned)),
            }
        }
        for i in 0..2 {
            match certs.get(i) {
                Some(cert) => {
                    row.push(flag(cert.status == KeyStatus::Active).to_owned());
                    row.push(when(cert.upload_date));
                }
                None => row.extend(["false", NA].map(str::to_owned)),
            }
        }
        Ok(())
    }

    async fn csv(&self, account_id: &str) -> Result<String, IamError> {
        let account = self
            .store
            .get_account(account_id)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| IamError::service_failure(&"the caller's account is not stored"))?;
        let policy = self
            .store
            .get_password_policy(account_id)
            .await
            .map_err(store_failure)?;
        let max_age = policy
            .and_then(|p| p.max_password_age)
            .filter(|days| *days > 0);

        let mut rows: Vec<Vec<String>> = Vec::new();
        // The root user: no password or MFA device in iamd; its access keys.
        let root_keys = self
            .store
            .list_access_keys(
                account_id,
                &KeyOwner::Root,
                &After::Start,
                crate::store::ALL_KEYS,
            )
            .await
            .map_err(store_failure)?;
        let mut row = vec![
            "<root_account>".to_owned(),
            format!("arn:aws:iam::{account_id}:root"),
            when(account.create_date),
            "not_supported".to_owned(),
            "no_information".to_owned(),
            "not_supported".to_owned(),
            "not_supported".to_owned(),
            "false".to_owned(),
        ];
        self.key_columns(&root_keys, &[], &mut row).await?;
        rows.push(row);

        let mut users: Vec<User> = Vec::new();
        let mut after = After::Start;
        loop {
            let page = self
                .store
                .list_users(account_id, "/", &after, 1000)
                .await
                .map_err(store_failure)?;
            let Some(last) = page.last() else { break };
            after = After::UserName(last.user_name.to_lowercase());
            let full = page.len() == 1000;
            users.extend(page);
            if !full {
                break;
            }
        }
        let ids: Vec<String> = users.iter().map(|u| u.user_id.clone()).collect();
        let password_uses: HashMap<String, OffsetDateTime> = self
            .store
            .get_password_uses(&ids)
            .await
            .map_err(store_failure)?
            .into_iter()
            .collect();
        let mut certs_by_user: HashMap<String, Vec<crate::model::PublicCredential>> =
            HashMap::new();
        for cert in self
            .store
            .list_public_credentials(account_id, None, PublicCredentialKind::SigningCertificate)
            .await
            .map_err(store_failure)?
        {
            certs_by_user
                .entry(cert.user_name.to_lowercase())
                .or_default()
                .push(cert);
        }
        for user in &users {
            let profile = self
                .store
                .get_login_profile(account_id, &user.user_name)
                .await
                .map_err(store_failure)?;
            let mfa = self
                .store
                .list_user_mfa_devices(account_id, &user.user_name, None, 1)
                .await
                .map_err(store_failure)?;
            let keys = self
                .store
                .list_access_keys(
                    account_id,
                    &user.owner(),
                    &After::Start,
                    crate::store::ALL_KEYS,
                )
                .await
                .map_err(store_failure)?;
            let last_used = password_uses.get(&user.user_id).copied();
            let mut row = vec![user.user_name.clone(), user.arn(), when(user.create_date)];
            match &profile {
                Some(p) => {
                    row.push("true".to_owned());
                    row.push(last_used.map_or_else(|| "no_information".to_owned(), when));
                    row.push(when(p.password_set));
                    row.push(max_age.map_or_else(
                        || NA.to_owned(),
                        |days| when(p.password_set + Duration::days(i64::from(days))),
                    ));
                }
                None => {
                    row.push("false".to_owned());
                    // A user who once had a password keeps its last use, as GetUser shows.
                    row.push(last_used.map_or_else(|| NA.to_owned(), when));
                    row.push(NA.to_owned());
                    row.push(NA.to_owned());
                }
            }
            row.push(flag(!mfa.is_empty()).to_owned());
            let certs = certs_by_user
                .remove(&user.user_name.to_lowercase())
                .unwrap_or_default();
            self.key_columns(&keys, &certs, &mut row).await?;
            rows.push(row);
        }

        let mut csv = COLUMNS.join(",");
        for row in rows {
            csv.push('\n');
            csv.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        }
        Ok(csv)
    }
}

impl Iam {
    /// The emulator mode's reset: the store emptied (`Store::reset`) and the credential
    /// reports this node keeps forgotten, so none describes users that are gone.
    pub async fn reset(&self) -> Result<(), crate::store::StoreError> {
        self.store().reset().await?;
        self.reports.clear();
        Ok(())
    }

    /// The report's CSV, read from the store now (with the key uses not yet flushed).
    pub async fn credential_report_csv(&self, account_id: &str) -> Result<String, IamError> {
        Builder {
            store: self.store.as_ref(),
            usage: Some(&self.usage),
        }
        .csv(account_id)
        .await
    }

    /// GenerateCredentialReport.
    pub async fn generate_credential_report(
        &self,
        ctx: &RequestContext,
    ) -> Result<Generated, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let account_id = ctx.principal.account_id();
        let existing = self.reports.get(account_id);
        if existing
            .as_ref()
            .is_some_and(|r| ctx.now - r.generated < REPORT_LIFETIME)
        {
            return Ok(Generated::Complete);
        }
        let content = self.credential_report_csv(account_id).await?.into_bytes();
        self.reports.put(
            account_id,
            Report {
                generated: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
                content,
            },
        );
        Ok(Generated::Started(
            "No report exists. Starting a new report generation task",
        ))
    }

    /// GetCredentialReport.
    pub async fn get_credential_report(&self, ctx: &RequestContext) -> Result<Report, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let report = self
            .reports
            .get(ctx.principal.account_id())
            .ok_or_else(|| IamError::new(ErrorCode::ReportNotPresent, ""))?;
        if ctx.now - report.generated >= REPORT_LIFETIME {
            return Err(IamError::new(
                ErrorCode::ReportExpired,
                "The credential report has expired. To generate a new credential report, use \
                 GenerateCredentialReport.",
            ));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_fields_are_written_as_aws_writes_them() {
        let t = OffsetDateTime::from_unix_timestamp(1_434_568_310).unwrap();
        assert_eq!(when(t), "2015-06-17T19:11:50+00:00");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("plain"), "plain");
        assert_eq!(COLUMNS.len(), 22);
    }
}
