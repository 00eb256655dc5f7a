//! Server certificates: UploadServerCertificate, GetServerCertificate,
//! ListServerCertificates, UpdateServerCertificate, DeleteServerCertificate (and their
//! tags, in `tag`). A server certificate is an X.509 certificate, its chain and its private
//! key, kept for services that terminate TLS. The certificate must parse, the chain (if
//! given) must be certificates that each issued the one before (by name), and the private
//! key must be the certificate's: its public half, derived with `ring` (PKCS #8 RSA, ECDSA
//! P-256/P-384 and Ed25519 keys, or PKCS #1 RSA), must equal the certificate's
//! SubjectPublicKeyInfo key bits. The private key is sealed with the master key and never
//! returned. Each operation authorizes its action on
//! `arn:aws:iam::ACCOUNT:server-certificate{path}{name}`.

use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair as _};
use x509_cert::der::{DecodePem, Encode};
use x509_cert::Certificate;

use crate::authz::Resource;
use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{ServerCertificate, Tag, SERVER_CERTIFICATES_PER_ACCOUNT};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::Page;
use crate::secret::SecretKey;
use crate::service::{store_failure, Iam, RequestContext};
use crate::store::StoreError;

pub fn no_such_server_certificate(name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Server Certificate with name {name} cannot be found."),
    )
}

fn malformed(message: &str) -> IamError {
    IamError::new(ErrorCode::MalformedCertificate, message)
}

/// What a store error of an operation on the certificate `name` (or the name it would
/// take, `taken`) means.
fn server_certificate_error(e: StoreError, name: &str, taken: &str) -> IamError {
    match e {
        StoreError::NoSuchServerCertificate => no_such_server_certificate(name),
        StoreError::AlreadyExists => IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!("The Server Certificate with name {taken} already exists."),
        ),
        StoreError::ServerCertificateQuotaExceeded => IamError::new(
            ErrorCode::LimitExceeded,
            format!(
                "Cannot exceed quota for ServerCertificatesPerAccount: \
                 {SERVER_CERTIFICATES_PER_ACCOUNT}"
            ),
        ),
        other => store_failure(other),
    }
}

pub fn server_certificate_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:server-certificate{path}{name}")
}

/// The certificates of a PEM text, in order.
fn pem_certificates(text: &str) -> Option<Vec<Certificate>> {
    let certs = Certificate::load_pem_chain(text.trim().as_bytes()).ok()?;
    (!certs.is_empty()).then_some(certs)
}

/// The public key bits of the private key in `pem`: `None` if it is no key `ring` reads.
fn public_key_of(pem: &str) -> Option<Vec<u8>> {
    let (label, der) = x509_cert::der::pem::decode_vec(pem.trim().as_bytes()).ok()?;
    match label {
        "RSA PRIVATE KEY" => signature::RsaKeyPair::from_der(&der)
            .ok()
            .map(|k| k.public_key().as_ref().to_vec()),
        "PRIVATE KEY" => {
            if let Ok(k) = signature::RsaKeyPair::from_pkcs8(&der) {
                return Some(k.public_key().as_ref().to_vec());
            }
            let rng = SystemRandom::new();
            for alg in [
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            ] {
                if let Ok(k) = signature::EcdsaKeyPair::from_pkcs8(alg, &der, &rng) {
                    return Some(k.public_key().as_ref().to_vec());
                }
            }
            signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
                .ok()
                .map(|k| k.public_key().as_ref().to_vec())
        }
        _ => None,
    }
}

/// Checks an upload: the certificate parses, the chain parses and each of its certificates
/// issued the one before, the private key is the certificate's. Returns the certificate's
/// expiry.
pub fn check_upload(
    body: &str,
    private_key: &str,
    chain: Option<&str>,
) -> Result<time::OffsetDateTime, IamError> {
    let cert = Certificate::from_pem(body.trim().as_bytes()).map_err(|_| {
        malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    if let Some(chain) = chain {
        let chain = pem_certificates(chain).ok_or_else(|| {
            malformed(
                "Unable to parse certificate chain. Please ensure the certificate chain is in \
                 PEM format.",
            )
        })?;
        let mut child = &cert;
        for (index, issuer) in chain.iter().enumerate() {
            if child.tbs_certificate.issuer != issuer.tbs_certificate.subject {
                return Err(malformed(&format!(
                    "Unable to validate certificate chain. The certificate chain must start \
                     with the immediate signing certificate, followed by any intermediaries in \
                     order. The index within the chain of the invalid certificate is: {index}"
                )));
            }
            child = issuer;
        }
    }
    let public = public_key_of(private_key)
        .ok_or_else(|| malformed("Unable to parse the private key. Please ensure it is an unencrypted PEM private key (PKCS #8, or PKCS #1 for RSA)."))?;
    let certified = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    if public != certified {
        return Err(IamError::new(
            ErrorCode::KeyPairMismatch,
            "The public key certificate and the private key do not match.",
        ));
    }
    // The DER round trip guards against a certificate x509-cert reads but cannot write.
    cert.to_der().map_err(|_| {
        malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    Ok(time::OffsetDateTime::from(
        cert.tbs_certificate.validity.not_after.to_system_time(),
    ))
}

#[derive(Debug, Clone)]
pub struct UploadServerCertificateInput {
    pub name: String,
    pub path: Option<String>,
    pub body: String,
    pub private_key: SecretKey,
    pub chain: Option<String>,
    pub tags: Vec<Tag>,
}

impl Iam {
    /// Looks a certificate up after authorizing the operation's action on it.
    pub(crate) async fn server_certificate_for(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<ServerCertificate, IamError> {
        let account_id = ctx.principal.account_id();
        let found = self
            .store
            .get_server_certificate(account_id, name)
            .await
            .map_err(store_failure)?;
        let resource = match &found {
            Some(c) => {
                Resource::arn(server_certificate_arn(account_id, &c.path, &c.name)).tags(&c.tags)
            }
            None => Resource::arn(server_certificate_arn(account_id, "/", name)),
        };
        self.authorize(ctx, ctx.action(), &resource).await?;
        found.ok_or_else(|| no_such_server_certificate(name))
    }

    /// UploadServerCertificate.
    pub async fn upload_server_certificate(
        &self,
        ctx: &RequestContext,
        input: UploadServerCertificateInput,
    ) -> Result<ServerCertificate, IamError> {
        let ctx = &ctx.tagging(&input.tags);
        let account_id = ctx.principal.account_id();
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        self.authorize(
            ctx,
            ctx.action(),
            &Resource::arn(server_certificate_arn(account_id, &path, &input.name)),
        )
        .await?;
        let expiration = check_upload(
            &input.body,
            input.private_key.expose(),
            input.chain.as_deref(),
        )?;
        let certificate = ServerCertificate {
            account_id: account_id.to_owned(),
            server_certificate_id: ids::server_certificate_id(account_id),
            name: input.name,
            path,
            // Kept without surrounding whitespace, as AWS returns them (Terraform's
            // provider compares the trimmed text with what it reads back).
            body: input.body.trim().to_owned(),
            chain: input.chain.map(|c| c.trim().to_owned()),
            private_key: input.private_key.seal(&self.keyring),
            upload_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
            expiration,
            tags: input.tags,
        };
        self.store
            .create_server_certificate(&certificate, SERVER_CERTIFICATES_PER_ACCOUNT)
            .await
            .map_err(|e| server_certificate_error(e, &certificate.name, &certificate.name))?;
        Ok(certificate)
    }

    /// GetServerCertificate (the private key stays sealed in the store: callers drop it).
    pub async fn get_server_certificate(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<ServerCertificate, IamError> {
        self.server_certificate_for(ctx, name).await
    }

    /// ListServerCertificates: the account's, under `path_prefix`, by name, paged.
    pub async fn list_server_certificates(
        &self,
        ctx: &RequestContext,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<ServerCertificate>, IamError> {
        self.authorize(ctx, ctx.action(), &Resource::any()).await?;
        let prefix = path_prefix.unwrap_or("/");
        let all = self
            .store
            .list_server_certificates(ctx.principal.account_id(), prefix)
            .await
            .map_err(store_failure)?;
        let listing = Listing {
            operation: "ListServerCertificates",
            scope: prefix,
            sorted_by: SortKey::Offset,
        };
        let (items, marker) = pagination::offset_page(&listing, marker, all, max_items)?;
        Ok(Page { items, marker })
    }

    /// UpdateServerCertificate: a new name and/or path. Authorized on the certificate and,
    /// when renamed or moved, on what it becomes.
    pub async fn update_server_certificate(
        &self,
        ctx: &RequestContext,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<(), IamError> {
        let current = self.server_certificate_for(ctx, name).await?;
        let account_id = ctx.principal.account_id();
        if new_name.is_some() || new_path.is_some() {
            let arn = server_certificate_arn(
                account_id,
                new_path.unwrap_or(&current.path),
                new_name.unwrap_or(&current.name),
            );
            self.authorize(ctx, ctx.action(), &Resource::arn(arn))
                .await?;
        }
        self.store
            .update_server_certificate(account_id, &current.name, new_name, new_path)
            .await
            .map_err(|e| server_certificate_error(e, name, new_name.unwrap_or(name)))
    }

    /// DeleteServerCertificate.
    pub async fn delete_server_certificate(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<(), IamError> {
        let current = self.server_certificate_for(ctx, name).await?;
        self.store
            .delete_server_certificate(ctx.principal.account_id(), &current.name)
            .await
            .map_err(|e| server_certificate_error(e, name, name))
    }
}
