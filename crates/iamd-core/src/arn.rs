//! ARNs that the domain takes apart.

/// A managed policy's ARN, split: `arn:aws:iam::{account}:policy{path}{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyArn {
    pub account_id: String,
    pub path: String,
    pub name: String,
}

impl PolicyArn {
    pub fn parse(arn: &str) -> Option<PolicyArn> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account, resource) = rest.split_once(':')?;
        let path_and_name = resource.strip_prefix("policy")?;
        if !path_and_name.starts_with('/') {
            return None;
        }
        let split = path_and_name.rfind('/')?;
        let (path, name) = (&path_and_name[..=split], &path_and_name[split + 1..]);
        if name.is_empty() {
            return None;
        }
        Some(PolicyArn {
            account_id: account.to_owned(),
            path: path.to_owned(),
            name: name.to_owned(),
        })
    }
}
