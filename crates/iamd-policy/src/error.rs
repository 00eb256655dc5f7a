//! The crate's error type and the AWS message texts it carries.
//!
//! Where a text is marked *confirmed* it was seen verbatim in a real AWS
//! response quoted in a public issue or test suite recorded against AWS;
//! *chosen* texts are ours, written in AWS's style where no source was found.

/// Why a policy document was refused on write.
///
/// The wire layer maps [`PolicyError::Malformed`] to
/// `MalformedPolicyDocument` (HTTP 400) and [`PolicyError::LimitExceeded`] to
/// `LimitExceeded` (HTTP 409); [`PolicyError::code`] names the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The document is not a valid policy; the message is AWS's text.
    #[error("{0}")]
    Malformed(String),
    /// The document (or the aggregate of an entity's inline documents) is
    /// over an AWS size quota; the message is AWS's text.
    #[error("{0}")]
    LimitExceeded(String),
}

impl PolicyError {
    /// The AWS error code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::Malformed(_) => "MalformedPolicyDocument",
            PolicyError::LimitExceeded(_) => "LimitExceeded",
        }
    }

    /// The AWS error message.
    pub fn message(&self) -> &str {
        match self {
            PolicyError::Malformed(m) | PolicyError::LimitExceeded(m) => m,
        }
    }

    pub(crate) fn malformed(msg: impl Into<String>) -> Self {
        PolicyError::Malformed(msg.into())
    }
}

/// The fixed `MalformedPolicyDocument` messages.
///
/// Confirmed (seen in real AWS responses): [`SYNTAX`] (CreatePolicy with a
/// document of `null`), [`INVALID_JSON`] (CreateRole with unparsable JSON),
/// [`LEGACY_PARSING`] (an `Effect` of `"allow"`), [`VERSION_REQUIRED`]
/// (CreatePolicy without `Version`), [`NO_PRINCIPAL`], [`MUST_CONTAIN_ACTIONS`],
/// [`MUST_CONTAIN_RESOURCES`], [`PROHIBITED_RESOURCE`], the IAM region message
/// in [`iam_region`]. Recorded against AWS by the moto/LocalStack test
/// suites: [`DUPLICATE_SID`], [`ACTION_VENDOR`], [`ACTION_ONE_COLON`],
/// [`vendor_not_valid`], [`resource_not_arn`], [`RESOURCE_VENDOR`],
/// [`iam_resource_path`], [`partition_not_valid`].
///
/// Chosen (no AWS source found): [`MISSING_PRINCIPAL`] (the text S3 uses for
/// bucket policies), [`SID_NOT_ALPHANUMERIC`] (recalled from IAM, unconfirmed).
pub mod messages {
    /// Any structural error: not JSON (identity policies), unknown element,
    /// wrong type, missing `Effect`/`Statement`, unknown condition operator.
    pub const SYNTAX: &str = "Syntax errors in policy.";
    /// Unparsable JSON in a role trust policy (CreateRole /
    /// UpdateAssumeRolePolicy).
    pub const INVALID_JSON: &str = "This policy contains invalid Json";
    /// `Effect` not exactly `Allow`/`Deny`, an invalid date in a `Date*`
    /// condition, or a resource that the legacy grammar cannot read.
    pub const LEGACY_PARSING: &str = "The policy failed legacy parsing";
    /// A managed policy without `"Version": "2012-10-17"`.
    pub const VERSION_REQUIRED: &str = "Policy document must be version 2012-10-17 or greater.";
    /// `Principal`/`NotPrincipal` in an identity-based policy.
    pub const NO_PRINCIPAL: &str = "Policy document should not specify a principal.";
    /// No `Principal`/`NotPrincipal` in a trust policy statement.
    pub const MISSING_PRINCIPAL: &str = "Missing required field Principal";
    /// `Resource`/`NotResource` in a trust policy statement.
    pub const PROHIBITED_RESOURCE: &str = "Has prohibited field Resource";
    /// Two statements with the same non-empty `Sid`.
    pub const DUPLICATE_SID: &str = "Statement IDs (SID) in a single policy must be unique.";
    /// A `Sid` with characters other than `[0-9A-Za-z]`.
    pub const SID_NOT_ALPHANUMERIC: &str = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    /// No (or an empty) `Action`/`NotAction`.
    pub const MUST_CONTAIN_ACTIONS: &str = "Policy statement must contain actions.";
    /// No (or an empty) `Resource`/`NotResource` in an identity policy.
    pub const MUST_CONTAIN_RESOURCES: &str = "Policy statement must contain resources.";
    /// An action without a `service:` prefix.
    pub const ACTION_VENDOR: &str =
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    /// An action with more than one colon.
    pub const ACTION_ONE_COLON: &str = "Actions/Condition can contain only one colon.";
    /// A trust policy naming an action other than STS's role actions.
    pub const TRUST_ACTIONS: &str = "AssumeRole policy may only specify STS AssumeRole actions.";
    /// A resource ARN whose service is empty or has a wildcard.
    pub const RESOURCE_VENDOR: &str =
        "Resource vendor must be fully qualified and cannot contain regexes.";

    /// The resource-type prefixes an IAM resource path may start with.
    pub const IAM_RESOURCE_TYPES: &[&str] = &[
        "user/",
        "federated-user/",
        "role/",
        "group/",
        "instance-profile/",
        "mfa/",
        "server-certificate/",
        "policy/",
        "sms-mfa/",
        "saml-provider/",
        "oidc-provider/",
        "report/",
        "access-report/",
    ];

    /// An action whose service prefix has characters outside `[A-Za-z0-9-.]`.
    pub fn vendor_not_valid(vendor: &str) -> String {
        format!("Vendor {vendor} is not valid")
    }

    /// A resource that is neither `*` nor an ARN.
    pub fn resource_not_arn(resource: &str) -> String {
        format!("Resource {resource} must be in ARN format or \"*\".")
    }

    /// An IAM resource ARN with a region.
    pub fn iam_region(resource: &str) -> String {
        format!("IAM resource {resource} cannot contain region information.")
    }

    /// An IAM resource whose path does not start with a known resource type.
    pub fn iam_resource_path() -> String {
        format!(
            "IAM resource path must either be \"*\", root, or start with {}.",
            IAM_RESOURCE_TYPES.join(", ")
        )
    }

    /// An ARN with an unknown partition; `rest` are the segments after it.
    pub fn partition_not_valid(partition: &str, rest: [&str; 4]) -> String {
        format!(
            "Partition \"{partition}\" is not valid for resource \"arn:{partition}:{}:{}:{}:{}\".",
            rest[0], rest[1], rest[2], rest[3]
        )
    }
}
