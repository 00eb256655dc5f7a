//! The wire-level error: an AWS error code, its HTTP status and Sender/Receiver type, and a message.

use std::fmt;

/// Every error code iamd answers with. The code knows its HTTP status and whether the
/// client (Sender) or the service (Receiver) is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    AccessDenied,
    DeleteConflict,
    DuplicateCertificate,
    DuplicateSSHPublicKey,
    EntityAlreadyExists,
    EntityTemporarilyUnmodifiable,
    ExpiredToken,
    /// AssumeRoleWithWebIdentity: the token has expired.
    ExpiredTokenException,
    /// AssumeRoleWithWebIdentity: the issuer could not be reached for its keys.
    IdpCommunicationError,
    /// AssumeRoleWithWebIdentity: the issuer's answer was refused.
    IdpRejectedClaim,
    IncompleteSignature,
    /// AssumeRoleWithWebIdentity: the token is not one iamd accepts.
    InvalidIdentityToken,
    InvalidAction,
    InvalidAuthenticationCode,
    InvalidCertificate,
    InvalidClientTokenId,
    InvalidInput,
    InvalidParameterValue,
    InvalidPublicKey,
    InvalidUserType,
    KeyPairMismatch,
    LimitExceeded,
    MalformedCertificate,
    MalformedPolicyDocument,
    MalformedQueryString,
    MissingAuthenticationToken,
    NoSuchEntity,
    NotFound,
    NotImplemented,
    /// The account belongs to no AWS Organization (the centralized root access features).
    OrganizationNotFound,
    /// Session policies and tags too large for a session token.
    PackedPolicyTooLarge,
    PasswordPolicyViolation,
    ReportExpired,
    ReportGenerationLimitExceeded,
    ReportInProgress,
    ReportNotPresent,
    RequestEntityTooLarge,
    RequestTimeout,
    ServiceFailure,
    ServiceUnavailable,
    SignatureDoesNotMatch,
    Throttling,
    UnmodifiableEntity,
    UnrecognizedPublicKeyEncoding,
    UnsupportedMediaType,
    ValidationError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::DeleteConflict => "DeleteConflict",
            ErrorCode::DuplicateCertificate => "DuplicateCertificate",
            ErrorCode::DuplicateSSHPublicKey => "DuplicateSSHPublicKey",
            ErrorCode::EntityAlreadyExists => "EntityAlreadyExists",
            ErrorCode::EntityTemporarilyUnmodifiable => "EntityTemporarilyUnmodifiable",
            ErrorCode::ExpiredToken => "ExpiredToken",
            ErrorCode::ExpiredTokenException => "ExpiredTokenException",
            ErrorCode::IdpCommunicationError => "IDPCommunicationError",
            ErrorCode::IdpRejectedClaim => "IDPRejectedClaim",
            ErrorCode::InvalidIdentityToken => "InvalidIdentityToken",
            ErrorCode::IncompleteSignature => "IncompleteSignature",
            ErrorCode::InvalidAction => "InvalidAction",
            ErrorCode::InvalidAuthenticationCode => "InvalidAuthenticationCode",
            ErrorCode::InvalidCertificate => "InvalidCertificate",
            ErrorCode::InvalidClientTokenId => "InvalidClientTokenId",
            ErrorCode::InvalidInput => "InvalidInput",
            ErrorCode::InvalidParameterValue => "InvalidParameterValue",
            ErrorCode::InvalidPublicKey => "InvalidPublicKey",
            ErrorCode::InvalidUserType => "InvalidUserType",
            ErrorCode::KeyPairMismatch => "KeyPairMismatch",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::MalformedCertificate => "MalformedCertificate",
            ErrorCode::MalformedPolicyDocument => "MalformedPolicyDocument",
            ErrorCode::MalformedQueryString => "MalformedQueryString",
            ErrorCode::MissingAuthenticationToken => "MissingAuthenticationToken",
            ErrorCode::NoSuchEntity => "NoSuchEntity",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::NotImplemented => "NotImplemented",
            ErrorCode::OrganizationNotFound => "OrganizationNotFoundException",
            ErrorCode::PackedPolicyTooLarge => "PackedPolicyTooLarge",
            ErrorCode::PasswordPolicyViolation => "PasswordPolicyViolation",
            ErrorCode::ReportExpired => "ReportExpired",
            ErrorCode::ReportGenerationLimitExceeded => "ReportGenerationLimitExceeded",
            ErrorCode::ReportInProgress => "ReportInProgress",
            ErrorCode::ReportNotPresent => "ReportNotPresent",
            ErrorCode::RequestEntityTooLarge => "RequestEntityTooLarge",
            ErrorCode::RequestTimeout => "RequestTimeout",
            ErrorCode::ServiceFailure => "ServiceFailure",
            ErrorCode::ServiceUnavailable => "ServiceUnavailable",
            ErrorCode::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            ErrorCode::Throttling => "Throttling",
            ErrorCode::UnmodifiableEntity => "UnmodifiableEntity",
            ErrorCode::UnrecognizedPublicKeyEncoding => "UnrecognizedPublicKeyEncoding",
            ErrorCode::UnsupportedMediaType => "UnsupportedMediaType",
            ErrorCode::ValidationError => "ValidationError",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorCode::IncompleteSignature
            | ErrorCode::ExpiredTokenException
            | ErrorCode::IdpCommunicationError
            | ErrorCode::InvalidIdentityToken
            | ErrorCode::DuplicateSSHPublicKey
            | ErrorCode::InvalidCertificate
            | ErrorCode::InvalidPublicKey
            | ErrorCode::KeyPairMismatch
            | ErrorCode::MalformedCertificate
            | ErrorCode::UnrecognizedPublicKeyEncoding
            | ErrorCode::InvalidAction
            | ErrorCode::InvalidInput
            | ErrorCode::InvalidParameterValue
            | ErrorCode::InvalidUserType
            | ErrorCode::MalformedPolicyDocument
            | ErrorCode::OrganizationNotFound
            | ErrorCode::PackedPolicyTooLarge
            | ErrorCode::PasswordPolicyViolation
            | ErrorCode::MalformedQueryString
            | ErrorCode::Throttling
            | ErrorCode::UnmodifiableEntity
            | ErrorCode::ValidationError => 400,
            ErrorCode::AccessDenied
            | ErrorCode::ExpiredToken
            | ErrorCode::IdpRejectedClaim
            | ErrorCode::InvalidAuthenticationCode
            | ErrorCode::InvalidClientTokenId
            | ErrorCode::MissingAuthenticationToken
            | ErrorCode::SignatureDoesNotMatch => 403,
            ErrorCode::NoSuchEntity | ErrorCode::NotFound | ErrorCode::ReportInProgress => 404,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::DeleteConflict
            | ErrorCode::DuplicateCertificate
            | ErrorCode::ReportGenerationLimitExceeded
            | ErrorCode::EntityAlreadyExists
            | ErrorCode::EntityTemporarilyUnmodifiable
            | ErrorCode::LimitExceeded => 409,
            ErrorCode::ReportExpired | ErrorCode::ReportNotPresent => 410,
            ErrorCode::RequestEntityTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ServiceFailure => 500,
            ErrorCode::NotImplemented => 501,
            ErrorCode::ServiceUnavailable => 503,
        }
    }

    /// `Sender` for client mistakes (4xx), `Receiver` for service faults (5xx).
    pub fn fault(self) -> &'static str {
        if self.status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

/// An error as the client sees it, and for a service failure its cause, which the client
/// never sees and the handler logs once, with the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamError {
    pub code: ErrorCode,
    pub message: String,
    pub cause: Option<String>,
}

impl IamError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        IamError {
            code,
            message: message.into(),
            cause: None,
        }
    }

    pub fn no_such_user(name: &str) -> Self {
        Self::new(
            ErrorCode::NoSuchEntity,
            format!("The user with name {name} cannot be found."),
        )
    }

    pub fn no_such_access_key(id: &str) -> Self {
        Self::new(
            ErrorCode::NoSuchEntity,
            format!("The Access Key with id {id} cannot be found."),
        )
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }

    /// A storage (or other internal) failure: generic text to the client, which will
    /// retry; the cause travels with the error to the handler, which logs it once.
    pub fn service_failure(cause: &dyn fmt::Display) -> Self {
        IamError {
            cause: Some(cause.to_string()),
            ..Self::new(
                ErrorCode::ServiceFailure,
                "The request processing has failed because of an unknown error, exception or failure.",
            )
        }
    }
}

impl fmt::Display for IamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for IamError {}
