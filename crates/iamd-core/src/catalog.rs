//! AWS managed policies: the catalog shipped with iamd (`data/aws-managed-policies.jsonl`,
//! imported from moto's copy of AWS's policies by `scripts/refresh-aws-policies`; see
//! `data/README.md`), parsed once, on first use, into a list in lower-cased-name order
//! and an index by ARN. The catalog is static: the Store keeps only which holders of an
//! account have which AWS managed policy attached or as their boundary, by ARN.
//!
//! Only each policy's default version is in the data, so that is the one version an AWS
//! managed policy has here. AWS's policy ids are not in the data either: each gets a
//! stable one derived from its ARN (`policy_id`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use iamd_policy::{CompiledPolicy, Policy, PolicyKind};

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::{ManagedPolicy, PolicyVersion, UserPolicies};

/// What every AWS managed policy's ARN starts with.
pub const ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";
/// The account part of their ARNs (`ManagedPolicy::account_id` of one).
pub const AWS_ACCOUNT: &str = "aws";

const DATA: &str = include_str!("../data/aws-managed-policies.jsonl");

/// One AWS managed policy as the catalog holds it.
#[derive(Debug)]
pub struct AwsPolicy {
    pub name: String,
    /// The name as listings sort it.
    pub name_lower: String,
    pub path: String,
    pub arn: String,
    pub policy_id: String,
    pub default_version_id: String,
    pub create_date: OffsetDateTime,
    pub update_date: OffsetDateTime,
    /// The default version's document, compact JSON.
    pub document: String,
    /// The document compiled, on first use (`None`: iamd's parser refuses it).
    compiled: OnceLock<Option<Arc<CompiledPolicy>>>,
}

impl AwsPolicy {
    /// The policy as `GetPolicy` and `ListPolicies` show it to an account in which it is
    /// attached `attachments` times and bounds `boundaries` users and roles.
    pub fn managed(&self, attachments: u32, boundaries: u32) -> ManagedPolicy {
        ManagedPolicy {
            account_id: AWS_ACCOUNT.to_owned(),
            policy_id: self.policy_id.clone(),
            policy_name: self.name.clone(),
            path: self.path.clone(),
            description: None,
            default_version_id: self.default_version_id.clone(),
            attachment_count: attachments,
            permissions_boundary_usage_count: boundaries,
            create_date: self.create_date,
            update_date: self.update_date,
            tags: Vec::new(),
        }
    }

    /// The default version compiled, once; a document iamd's parser refuses is logged
    /// (once) and grants nothing (`None`).
    pub fn compiled(&self) -> Option<&Arc<CompiledPolicy>> {
        self.compiled
            .get_or_init(
                || match Policy::parse_as(&self.document, PolicyKind::Managed) {
                    Ok(p) => Some(Arc::new(p.compile())),
                    Err(e) => {
                        tracing::error!(policy = %self.arn, %e,
                            "an AWS managed policy of the catalog does not parse; it grants nothing");
                        None
                    }
                },
            )
            .as_ref()
    }

    /// Whether iamd's parser reads the document (see `compiled`).
    pub fn parses(&self) -> bool {
        self.compiled().is_some()
    }

    /// Its one version, the default.
    pub fn version(&self) -> PolicyVersion {
        PolicyVersion {
            version_id: self.default_version_id.clone(),
            document: self.document.clone(),
            is_default: true,
            create_date: self.update_date,
        }
    }
}

pub struct Catalog {
    /// In lower-cased-name order (names are distinct ignoring case).
    pub policies: Vec<AwsPolicy>,
    by_arn: HashMap<String, usize>,
}

impl Catalog {
    pub fn get(&self, arn: &str) -> Option<&AwsPolicy> {
        self.by_arn.get(arn).map(|&i| &self.policies[i])
    }

    /// The policies whose lower-cased name comes after `after` (all with `None`).
    pub fn after(&self, after: Option<&str>) -> &[AwsPolicy] {
        match after {
            None => &self.policies,
            Some(after) => {
                let start = self
                    .policies
                    .partition_point(|p| p.name_lower.as_str() <= after);
                &self.policies[start..]
            }
        }
    }
}

/// The catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| parse(DATA).expect("the AWS managed policy catalog shipped with iamd"))
}

/// The AWS managed policy `arn` names, if it names one (exactly: ARNs are case-sensitive).
pub fn get(arn: &str) -> Option<&'static AwsPolicy> {
    catalog().get(arn)
}

/// `stored` with its AWS managed policies (attached, and the boundary) resolved from the
/// catalog into `managed` and `boundary`, as customer managed ones are: (ARN, default
/// version id, document), all in lower-cased-name order as ListAttached…Policies lists
/// them (a customer managed policy first on a tie). An ARN the
/// catalog lacks (a catalog refresh dropped it) is left out, and a boundary the catalog
/// lacks allows nothing (an empty document, which does not parse).
pub fn resolve(mut stored: UserPolicies) -> UserPolicies {
    for arn in std::mem::take(&mut stored.aws_managed) {
        if let Some(p) = get(&arn) {
            stored
                .managed
                .push((arn, p.default_version_id.clone(), p.document.clone()));
        }
    }
    // Stable: customer managed policies come first, and stay first on a tie.
    stored.managed.sort_by_cached_key(|(arn, _, _)| {
        arn.rsplit('/').next().unwrap_or_default().to_lowercase()
    });
    if let Some(arn) = stored.aws_boundary.take() {
        stored.boundary = Some(match get(&arn) {
            Some(p) => (arn, p.default_version_id.clone(), p.document.clone()),
            None => (arn, String::new(), String::new()),
        });
    }
    stored
}

/// Whether `arn` is in the AWS managed policies' namespace (whether or not it exists).
pub fn is_aws_arn(arn: &str) -> bool {
    arn.starts_with(ARN_PREFIX)
}

/// A stable id for the policy with this ARN: `ANPA` and 17 base32 characters of the
/// ARN's SHA-256 (AWS's own ids are not in the data).
pub fn policy_id(arn: &str) -> String {
    const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(arn.as_bytes());
    let bits = digest
        .iter()
        .fold(0u128, |acc, b| acc << 8 | u128::from(*b));
    let mut id = String::from("ANPA");
    for i in 0..17 {
        id.push(BASE32[((bits >> (i * 5)) & 31) as usize] as char);
    }
    id
}

#[derive(serde::Deserialize)]
struct Line {
    name: String,
    path: String,
    default_version_id: String,
    create_date: String,
    update_date: String,
    document: String,
}

fn parse(data: &str) -> Result<Catalog, String> {
    let mut policies = Vec::new();
    for (n, line) in data.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let bad = |e: String| format!("line {}: {e}", n + 1);
        let l: Line = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let date = |s: &str| OffsetDateTime::parse(s, &Rfc3339).map_err(|e| bad(e.to_string()));
        let arn = format!("arn:aws:iam::aws:policy{}{}", l.path, l.name);
        policies.push(AwsPolicy {
            policy_id: policy_id(&arn),
            arn,
            create_date: date(&l.create_date)?,
            update_date: date(&l.update_date)?,
            name_lower: l.name.to_lowercase(),
            name: l.name,
            path: l.path,
            default_version_id: l.default_version_id,
            document: l.document,
            compiled: OnceLock::new(),
        });
    }
    policies.sort_by(|a, b| a.name_lower.cmp(&b.name_lower));
    let by_arn = policies
        .iter()
        .enumerate()
        .map(|(i, p)| (p.arn.clone(), i))
        .collect();
    Ok(Catalog { policies, by_arn })
}

/// The catalog's documents that iamd's parser refuses (data/README.md lists them too).
#[cfg(test)]
const UNPARSED: [&str; 3] = [
    "AWSCloudWatchOmniServiceRolePolicy",
    "AWSObservabilityAdminTelemetryEnablementServiceRolePolicy",
    "SageMakerStudioProjectRoleMachineLearningPolicy",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses_and_has_well_known_policies() {
        let c = catalog();
        assert_eq!(c.policies.len(), 1582);
        for arn in [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
        ] {
            let p = get(arn).unwrap_or_else(|| panic!("{arn} is in the catalog"));
            assert_eq!(p.arn, arn);
            assert!(p.default_version_id.starts_with('v'));
            assert!(p.create_date <= p.update_date);
        }
        let admin = get("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert!(admin.document.contains(r#""Action":"*""#));
        assert_eq!(admin.managed(0, 0).arn(), admin.arn);
        // ARNs are exact.
        assert!(get("arn:aws:iam::aws:policy/readonlyaccess").is_none());
        assert!(get("arn:aws:iam::aws:policy/service-role/ReadOnlyAccess").is_none());
        // Names are distinct ignoring case, and sorted that way.
        assert!(c
            .policies
            .windows(2)
            .all(|w| w[0].name_lower < w[1].name_lower));
        assert!(c.after(Some("readonlyaccess"))[0].name_lower.as_str() > "readonlyaccess");
        assert_eq!(
            c.after(Some("readonlyaccess")).len() + 1,
            c.after(Some("readonlyaccer")).len()
        );
        assert_eq!(c.after(None).len(), c.policies.len());
    }

    #[test]
    fn resolving_puts_aws_policies_among_the_customer_ones_by_name() {
        let stored = UserPolicies {
            managed: vec![
                (
                    "arn:aws:iam::123456789012:policy/Alpha".into(),
                    "v1".into(),
                    "{}".into(),
                ),
                (
                    "arn:aws:iam::123456789012:policy/team/Zulu".into(),
                    "v2".into(),
                    "{}".into(),
                ),
            ],
            aws_managed: vec![
                "arn:aws:iam::aws:policy/NoLongerInTheCatalog".into(),
                "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess".into(),
            ],
            aws_boundary: Some("arn:aws:iam::aws:policy/IAMReadOnlyAccess".into()),
            ..UserPolicies::default()
        };
        let resolved = resolve(stored);
        let arns: Vec<&str> = resolved
            .managed
            .iter()
            .map(|(a, _, _)| a.as_str())
            .collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::123456789012:policy/Alpha",
                "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
                "arn:aws:iam::123456789012:policy/team/Zulu",
            ]
        );
        let view = get("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").unwrap();
        assert_eq!(resolved.managed[1].2, view.document);
        let boundary = resolved.boundary.unwrap();
        assert_eq!(boundary.0, "arn:aws:iam::aws:policy/IAMReadOnlyAccess");
        assert!(!boundary.2.is_empty());
        assert!(resolved.aws_managed.is_empty() && resolved.aws_boundary.is_none());
    }

    #[test]
    fn policy_ids_are_stable_and_aws_shaped() {
        let id = policy_id("arn:aws:iam::aws:policy/ReadOnlyAccess");
        assert_eq!(id, policy_id("arn:aws:iam::aws:policy/ReadOnlyAccess"));
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("ANPA"));
        assert!(id[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        let ids: std::collections::HashSet<&str> = catalog()
            .policies
            .iter()
            .map(|p| p.policy_id.as_str())
            .collect();
        assert_eq!(ids.len(), catalog().policies.len(), "ids are distinct");
    }

    /// Every document of the catalog but the ones `data/README.md` lists is one iamd's
    /// parser reads as a managed policy, so each grants what it says; those three (AWS
    /// service roles' policies whose resources iamd's validator refuses) grant nothing.
    #[test]
    fn every_document_parses_but_the_listed_ones() {
        let failing: Vec<&str> = catalog()
            .policies
            .iter()
            .filter(|p| !p.parses())
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(failing, UNPARSED, "update data/README.md too");
        for p in &catalog().policies {
            assert_eq!(p.parses(), p.compiled().is_some());
        }
    }
}
