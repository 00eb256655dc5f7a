//! SAML 2.0 identity providers (Create/Get/List/Update/DeleteSAMLProvider and their tags):
//! the IdP's metadata document, checked when uploaded, and kept as uploaded.
//!
//! AssumeRoleWithSAML is not served (`api::saml_not_implemented`): a provider is kept so
//! that roles can name it in their trust policies (`Principal: {"Federated": <its ARN>}`)
//! and tools that manage providers (Terraform's `aws_iam_saml_provider`) work, but no
//! assertion is ever trusted. So iamd keeps no private keys to decrypt assertions with
//! (`AddPrivateKey` is refused) and no IAM Identity Center settings.

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use x509_cert::der::Decode;

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{
    SamlProvider, SamlProviderChange, Tag, SAML_PROVIDERS_PER_ACCOUNT, TAGS_PER_ENTITY,
};
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::StoreError;

const METADATA_NS: &[u8] = b"urn:oasis:names:tc:SAML:2.0:metadata";
const DSIG_NS: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";
/// Elements nested deeper than this are refused (real metadata nests about 6 deep).
const MAX_DEPTH: usize = 64;
/// A provider whose metadata names no `validUntil` is valid for this long from its upload
/// (UNCONFIRMED: what AWS shows for such metadata; ARCHITECTURE.md).
const DEFAULT_VALIDITY_YEARS: i64 = 100;

pub fn provider_arn(account_id: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:saml-provider/{name}")
}

/// When a provider with this metadata, uploaded at `now`, stops being valid.
fn valid_until(metadata: &Metadata, now: OffsetDateTime) -> OffsetDateTime {
    metadata
        .valid_until
        .unwrap_or(now + Duration::days(365 * DEFAULT_VALIDITY_YEARS))
}

fn invalid_metadata() -> IamError {
    // UNCONFIRMED text (ARCHITECTURE.md).
    IamError::new(ErrorCode::InvalidInput, "Could not parse metadata")
}

fn no_such_provider(arn: &str) -> IamError {
    // UNCONFIRMED text (ARCHITECTURE.md).
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("Manifest not found for arn {arn}"),
    )
}

fn change_error(e: StoreError, arn: &str) -> IamError {
    match e {
        StoreError::NoSuchSamlProvider => no_such_provider(arn),
        StoreError::TagQuotaExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!("The number of tags has reached the maximum limit of {TAGS_PER_ENTITY}."),
        ),
        e => store_failure(e),
    }
}

fn not_served(what: &str) -> IamError {
    IamError::new(
        ErrorCode::NotImplemented,
        format!("iamd does not serve {what} for SAML providers: it verifies no SAML assertion (AssumeRoleWithSAML is not implemented)."),
    )
}

/// What the metadata says that iamd uses: when it stops being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub valid_until: Option<OffsetDateTime>,
    /// The signing certificates of its IdP descriptors (each parsed as X.509).
    pub signing_certificates: usize,
}

/// Checks an IdP metadata document: an `md:EntityDescriptor` holding an
/// `md:IDPSSODescriptor` with at least one signing `md:KeyDescriptor` whose
/// `ds:X509Certificate` is an X.509 certificate. No DTD is accepted (so no entity is ever
/// expanded), elements nest at most `MAX_DEPTH` deep, and the model bounds the size.
pub fn check_metadata(document: &str) -> Result<Metadata, IamError> {
    parse_metadata(document).ok_or_else(invalid_metadata)
}

fn parse_metadata(document: &str) -> Option<Metadata> {
    let mut reader = NsReader::from_str(document);
    // Where the reader is: the local names of the open elements, and whether each is in
    // the namespace the path needs.
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut valid_until = None;
    let mut idp_descriptors = 0usize;
    let mut signing_certificates = 0usize;
    // Inside a signing KeyDescriptor of an IDPSSODescriptor / inside its X509Certificate.
    let mut signing_key = false;
    let mut certificate: Option<String> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let in_ns = |want: &[u8]| matches!(ns, ResolveResult::Bound(Namespace(n)) if n == want);
        match event {
            Event::DocType(_) => return None,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let local = e.local_name().as_ref().to_vec();
                let empty = matches!(event, Event::Empty(_));
                if open.is_empty() {
                    if local != b"EntityDescriptor" || !in_ns(METADATA_NS) {
                        return None;
                    }
                    for a in e.attributes() {
                        let a = a.ok()?;
                        if a.key.local_name().as_ref() == b"validUntil" {
                            let text = a.unescape_value().ok()?;
                            valid_until = Some(OffsetDateTime::parse(text.trim(), &Rfc3339).ok()?);
                        }
                    }
                } else if local == b"IDPSSODescriptor" && in_ns(METADATA_NS) && open.len() == 1 {
                    idp_descriptors += 1;
                } else if local == b"KeyDescriptor"
                    && in_ns(METADATA_NS)
                    && open.last().map(Vec::as_slice) == Some(b"IDPSSODescriptor".as_slice())
                {
                    let mut usage = None;
                    for a in e.attributes() {
                        let a = a.ok()?;
                        if a.key.local_name().as_ref() == b"use" {
                            usage = Some(a.unescape_value().ok()?.into_owned());
                        }
                    }
                    signing_key = !empty && usage.as_deref() != Some("encryption");
                } else if local == b"X509Certificate" && in_ns(DSIG_NS) && signing_key && !empty {
                    certificate = Some(String::new());
                }
                if !empty {
                    if open.len() >= MAX_DEPTH {
                        return None;
                    }
                    open.push(local);
                }
            }
            Event::Text(t) => {
                if let Some(c) = certificate.as_mut() {
                    c.push_str(&t.unescape().ok()?);
                }
            }
            Event::End(e) => {
                let local = e.local_name().as_ref().to_vec();
                if open.pop()? != local {
                    return None;
                }
                if local == b"X509Certificate" {
                    if let Some(text) = certificate.take() {
                        certificate_der(&text)?;
                        signing_certificates += 1;
                    }
                } else if local == b"KeyDescriptor" {
                    signing_key = false;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (open.is_empty() && idp_descriptors > 0 && signing_certificates > 0).then_some(Metadata {
        valid_until,
        signing_certificates,
    })
}

/// The certificate a `ds:X509Certificate` holds: base64 (with any whitespace) of DER.
fn certificate_der(text: &str) -> Option<x509_cert::Certificate> {
    use base64::Engine as _;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    x509_cert::Certificate::from_der(&der).ok()
}

/// What CreateSAMLProvider takes.
#[derive(Debug, Clone, Default)]
pub struct NewSamlProvider {
    pub name: String,
    pub metadata: String,
    pub tags: Vec<Tag>,
    pub assertion_encryption_mode: Option<String>,
    /// AddPrivateKey, ContextProvider or IdentityCenterInstanceArn was given.
    pub private_key_or_identity_center: bool,
}

/// What UpdateSAMLProvider takes.
#[derive(Debug, Clone, Default)]
pub struct SamlProviderUpdate {
    pub metadata: Option<String>,
    pub assertion_encryption_mode: Option<String>,
    /// A private key or Identity Center setting was given (added or removed).
    pub private_key_or_identity_center: bool,
}

impl Iam {
    /// The provider name an ARN names, after authorizing the operation on it.
    async fn saml_provider_for(&self, ctx: &RequestContext, arn: &str) -> Result<String, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::arn(arn))
            .await?;
        let account = ctx.principal.account_id();
        let prefix = format!("arn:aws:iam::{account}:saml-provider/");
        match arn.strip_prefix(&prefix) {
            Some(name) if !name.is_empty() => Ok(name.to_owned()),
            _ => Err(no_such_provider(arn)),
        }
    }

    pub async fn create_saml_provider(
        &self,
        ctx: &RequestContext,
        input: NewSamlProvider,
    ) -> Result<String, IamError> {
        let ctx = &ctx.tagging(&input.tags);
        let account = ctx.principal.account_id().to_owned();
        let arn = provider_arn(&account, &input.name);
        self.authorize(ctx, ctx.action(), &Resource::arn(&arn))
            .await?;
        if input.private_key_or_identity_center {
            return Err(not_served("private keys or IAM Identity Center settings"));
        }
        let metadata = check_metadata(&input.metadata)?;
        let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
        let provider = SamlProvider {
            account_id: account,
            name: input.name.clone(),
            uuid: ids::saml_provider_uuid(),
            metadata: input.metadata,
            valid_until: valid_until(&metadata, now),
            assertion_encryption_mode: input.assertion_encryption_mode,
            tags: input.tags,
            create_date: now,
        };
        self.store
            .create_saml_provider(&provider, SAML_PROVIDERS_PER_ACCOUNT)
            .await
            .map_err(|e| match e {
                // UNCONFIRMED text (ARCHITECTURE.md).
                StoreError::AlreadyExists => IamError::new(
                    ErrorCode::EntityAlreadyExists,
                    format!("SAMLProvider {} already exists.", input.name),
                ),
                StoreError::SamlProviderQuotaExceeded => IamError::new(
                    ErrorCode::LimitExceeded,
                    format!(
                        "Cannot exceed quota for SAMLProvidersPerAccount: {SAML_PROVIDERS_PER_ACCOUNT}"
                    ),
                ),
                e => store_failure(e),
            })?;
        Ok(arn)
    }

    pub async fn get_saml_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<SamlProvider, IamError> {
        let name = self.saml_provider_for(ctx, arn).await?;
        self.store
            .get_saml_provider(ctx.principal.account_id(), &name)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| no_such_provider(arn))
    }

    /// ListSAMLProviders: every provider of the account, in name order.
    pub async fn list_saml_providers(
        &self,
        ctx: &RequestContext,
    ) -> Result<Vec<SamlProvider>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::arn("*"))
            .await?;
        self.store
            .list_saml_providers(ctx.principal.account_id())
            .await
            .map_err(store_failure)
    }

    pub async fn delete_saml_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<(), IamError> {
        let name = self.saml_provider_for(ctx, arn).await?;
        self.store
            .delete_saml_provider(ctx.principal.account_id(), &name)
            .await
            .map_err(|e| change_error(e, arn))
    }

    pub async fn update_saml_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
        update: SamlProviderUpdate,
    ) -> Result<SamlProvider, IamError> {
        let name = self.saml_provider_for(ctx, arn).await?;
        if update.private_key_or_identity_center {
            return Err(not_served("private keys or IAM Identity Center settings"));
        }
        let metadata = match update.metadata {
            Some(document) => {
                let checked = check_metadata(&document)?;
                let now = ctx.now.replace_nanosecond(0).unwrap_or(ctx.now);
                Some((document, valid_until(&checked, now)))
            }
            None => None,
        };
        let change = SamlProviderChange::Update {
            metadata,
            assertion_encryption_mode: update.assertion_encryption_mode,
        };
        self.store
            .change_saml_provider(ctx.principal.account_id(), &name, &change)
            .await
            .map_err(|e| change_error(e, arn))
    }

    /// Tag/UntagSAMLProvider.
    pub async fn tag_saml_provider(
        &self,
        ctx: &RequestContext,
        arn: &str,
        change: SamlProviderChange,
    ) -> Result<SamlProvider, IamError> {
        let tagged = match &change {
            SamlProviderChange::Tag { tags, .. } => ctx.tagging(tags),
            SamlProviderChange::Untag(keys) => ctx.untagging(keys),
            SamlProviderChange::Update { .. } => ctx.clone(),
        };
        let name = self.saml_provider_for(&tagged, arn).await?;
        self.store
            .change_saml_provider(tagged.principal.account_id(), &name, &change)
            .await
            .map_err(|e| change_error(e, arn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate_base64() -> String {
        use base64::Engine as _;
        let cert = rcgen::generate_simple_self_signed(vec!["idp.example.com".into()]).unwrap();
        base64::engine::general_purpose::STANDARD.encode(cert.cert.der())
    }

    fn metadata(root_attrs: &str, key_use: &str, cert: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com" {root_attrs}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor {key_use}>
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
        <ds:X509Certificate>
{cert}
        </ds:X509Certificate>
      </ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
        )
    }

    #[test]
    fn good_metadata_is_accepted_with_its_validity() {
        let cert = certificate_base64();
        let m = check_metadata(&metadata("", r#"use="signing""#, &cert)).unwrap();
        assert_eq!(m.signing_certificates, 1);
        assert_eq!(m.valid_until, None);
        let m =
            check_metadata(&metadata(r#"validUntil="2030-01-02T03:04:05Z""#, "", &cert)).unwrap();
        assert_eq!(
            m.valid_until,
            Some(OffsetDateTime::parse("2030-01-02T03:04:05Z", &Rfc3339).unwrap())
        );
    }

    #[test]
    fn bad_metadata_is_refused() {
        let cert = certificate_base64();
        let refused = |doc: &str| {
            let e = check_metadata(doc).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{doc}");
        };
        // Only an encryption key; a certificate that is not one; not base64.
        refused(&metadata("", r#"use="encryption""#, &cert));
        refused(&metadata("", "", "AAAA"));
        refused(&metadata("", "", "not base64!"));
        // A bad date; not XML; the wrong root or namespace; a DTD.
        refused(&metadata(r#"validUntil="tomorrow""#, "", &cert));
        refused("just text");
        refused(&metadata("", "", &cert).replace("urn:oasis:names:tc:SAML:2.0:metadata", "urn:x"));
        refused(&format!(
            "<!DOCTYPE x [<!ENTITY a \"b\">]>{}",
            metadata("", "", &cert).replace(r#"<?xml version="1.0"?>"#, "")
        ));
        // Unbalanced, and too deep.
        refused(&metadata("", "", &cert).replace("</md:EntityDescriptor>", ""));
        let deep = format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{}{}</md:EntityDescriptor>",
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        refused(&deep);
    }
}
