//! The public material users upload: SSH public keys (UploadSSHPublicKey, Get…, List…,
//! Update…, DeleteSSHPublicKey) and X.509 signing certificates (UploadSigningCertificate,
//! List…, Update…, DeleteSigningCertificate). Nothing here is secret. Keys and certificates
//! are parsed and checked on upload, kept as uploaded, and identified by a fingerprint of
//! the key or certificate itself (not its text), so that the same key in another encoding
//! is a duplicate.
//!
//! SSH keys are RSA, as AWS takes them: `ssh-rsa` (OpenSSH's one-line format) or PEM (a
//! `PUBLIC KEY` SubjectPublicKeyInfo, or a PKCS #1 `RSA PUBLIC KEY`), of at least 2048 bits.
//! The fingerprint AWS shows is the MD5 of the key's SSH wire encoding, as `xx:xx:…`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest as _, Md5};
use sha1::{Digest as _, Sha1};
use x509_cert::der::asn1::UintRef;
use x509_cert::der::{Decode, DecodePem, Encode, Reader, SliceReader};
use x509_cert::spki::SubjectPublicKeyInfoRef;
use x509_cert::Certificate;

use crate::error::{ErrorCode, IamError};
use crate::ids;
use crate::model::{KeyStatus, PublicCredential, PublicCredentialKind};
use crate::pagination::{self, Listing, SortKey};
use crate::policy::Page;
use crate::service::{Iam, RequestContext};
use crate::store::StoreError;

/// The least modulus AWS takes for an SSH key.
pub const MIN_RSA_BITS: usize = 2048;

/// How a key is written: OpenSSH's one line, or PEM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEncoding {
    Ssh,
    Pem,
}

/// An RSA public key read from either encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    /// Big-endian, without leading zeros.
    pub modulus: Vec<u8>,
    pub exponent: Vec<u8>,
    /// The encoding it was read from.
    pub encoding: KeyEncoding,
}

fn invalid_key() -> IamError {
    IamError::new(
        ErrorCode::InvalidPublicKey,
        "The specified public key is not valid.",
    )
}

fn unrecognized_encoding() -> IamError {
    IamError::new(
        ErrorCode::UnrecognizedPublicKeyEncoding,
        "The specified public key encoding is not recognized. Use ssh-rsa or PEM.",
    )
}

fn no_such_ssh_key(id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Public Key with id {id} cannot be found."),
    )
}

fn no_such_certificate(id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Certificate with id {id} cannot be found."),
    )
}

/// Reads one SSH wire-format string (a u32 length, then the bytes) off the front of `b`.
fn ssh_string<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = b.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    let (s, rest) = rest.split_at(len);
    *b = rest;
    Some(s)
}

/// A positive mpint's magnitude: no sign bit set, no needless leading zero.
fn positive(mpint: &[u8]) -> Option<Vec<u8>> {
    match mpint {
        [] => None,
        [first, ..] if first & 0x80 != 0 => None,
        [0, next, ..] if next & 0x80 == 0 => None,
        [0, rest @ ..] => Some(rest.to_vec()),
        _ => Some(mpint.to_vec()),
    }
}

fn bits(magnitude: &[u8]) -> usize {
    match magnitude.iter().position(|b| *b != 0) {
        Some(i) => (magnitude.len() - i) * 8 - magnitude[i].leading_zeros() as usize,
        None => 0,
    }
}

impl RsaKey {
    /// Reads an uploaded key: `UnrecognizedPublicKeyEncoding` for text that is neither an
    /// OpenSSH line nor PEM (or another kind of key than RSA), `InvalidPublicKey` for an RSA
    /// key that does not decode or is shorter than 2048 bits.
    pub fn parse(body: &str) -> Result<RsaKey, IamError> {
        let text = body.trim();
        let key = if text.starts_with("-----BEGIN ") {
            Self::from_pem(text)?
        } else {
            let mut fields = text.split_ascii_whitespace();
            match (fields.next(), fields.next()) {
                (Some("ssh-rsa"), Some(b64)) => {
                    let blob = STANDARD.decode(b64).map_err(|_| invalid_key())?;
                    Self::from_blob(&blob).ok_or_else(invalid_key)?
                }
                _ => return Err(unrecognized_encoding()),
            }
        };
        if bits(&key.modulus) < MIN_RSA_BITS || bits(&key.exponent) < 2 {
            return Err(invalid_key());
        }
        Ok(key)
    }

    fn from_blob(mut blob: &[u8]) -> Option<RsaKey> {
        if ssh_string(&mut blob)? != b"ssh-rsa" {
            return None;
        }
        let exponent = positive(ssh_string(&mut blob)?)?;
        let modulus = positive(ssh_string(&mut blob)?)?;
        blob.is_empty().then_some(RsaKey {
            modulus,
            exponent,
            encoding: KeyEncoding::Ssh,
        })
    }

    fn from_pem(text: &str) -> Result<RsaKey, IamError> {
        let (label, der) =
            x509_cert::der::pem::decode_vec(text.as_bytes()).map_err(|_| invalid_key())?;
        let pkcs1 = match label {
            "PUBLIC KEY" => {
                let spki = SubjectPublicKeyInfoRef::from_der(&der).map_err(|_| invalid_key())?;
                if spki.algorithm.oid != RSA_ENCRYPTION {
                    return Err(unrecognized_encoding());
                }
                spki.subject_public_key
                    .as_bytes()
                    .ok_or_else(invalid_key)?
                    .to_vec()
            }
            "RSA PUBLIC KEY" => der,
            _ => return Err(unrecognized_encoding()),
        };
        let (modulus, exponent) = read_pkcs1(&pkcs1).ok_or_else(invalid_key)?;
        Ok(RsaKey {
            modulus,
            exponent,
            encoding: KeyEncoding::Pem,
        })
    }

    /// The SSH wire encoding (`string "ssh-rsa", mpint e, mpint n`).
    pub fn blob(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for part in [
            b"ssh-rsa".as_slice(),
            &mpint(&self.exponent),
            &mpint(&self.modulus),
        ] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    /// The MD5 of the wire encoding, as AWS shows it: `xx:xx:…` in lower-case hex.
    pub fn fingerprint(&self) -> String {
        let digest = Md5::digest(self.blob());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// OpenSSH's one-line form, without a comment.
    pub fn to_ssh(&self) -> String {
        format!("ssh-rsa {}", STANDARD.encode(self.blob()))
    }

    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn to_pem(&self) -> String {
        let pkcs1 = der_tlv(
            0x30,
            &[der_integer(&self.modulus), der_integer(&self.exponent)].concat(),
        );
        // AlgorithmIdentifier { rsaEncryption, NULL }.
        let algorithm = der_tlv(
            0x30,
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
            ],
        );
        let bit_string = der_tlv(0x03, &[&[0u8][..], &pkcs1].concat());
        let spki = der_tlv(0x30, &[algorithm, bit_string].concat());
        let b64 = STANDARD.encode(spki);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }
}

const RSA_ENCRYPTION: x509_cert::spki::ObjectIdentifier =
    x509_cert::spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// PKCS #1's `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn read_pkcs1(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut reader = SliceReader::new(der).ok()?;
    let (n, e) = reader
        .sequence(|r| Ok((UintRef::decode(r)?, UintRef::decode(r)?)))
        .ok()?;
    reader
        .is_finished()
        .then(|| (n.as_bytes().to_vec(), e.as_bytes().to_vec()))
}

/// A magnitude as an SSH mpint (a zero byte first when the top bit is set).
fn mpint(magnitude: &[u8]) -> Vec<u8> {
    let trimmed = &magnitude[magnitude.iter().take_while(|b| **b == 0).count()..];
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        [&[0u8][..], trimmed].concat()
    } else {
        trimmed.to_vec()
    }
}

fn der_integer(magnitude: &[u8]) -> Vec<u8> {
    der_tlv(0x02, &mpint(magnitude))
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A signing certificate read from its PEM text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCertificate {
    /// Upper-case hex SHA-1 of the DER.
    pub fingerprint: String,
    /// AWS-style id: the SHA-1 of the DER in base32, 32 characters.
    pub certificate_id: String,
    pub not_after: time::OffsetDateTime,
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut acc, mut n) = (0u32, 0u32);
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        n += 8;
        while n >= 5 {
            n -= 5;
            out.push(BASE32[((acc >> n) & 31) as usize] as char);
        }
    }
    if n > 0 {
        out.push(BASE32[((acc << (5 - n)) & 31) as usize] as char);
    }
    out
}

/// Reads one PEM certificate: `MalformedCertificate` with AWS's recorded text
/// (`Certificate {body} is malformed.`) for anything else.
pub fn parse_certificate(body: &str) -> Result<(Certificate, Vec<u8>), IamError> {
    let malformed = || {
        IamError::new(
            ErrorCode::MalformedCertificate,
            format!("Certificate {body} is malformed."),
        )
    };
    let cert = Certificate::from_pem(body.trim().as_bytes()).map_err(|_| malformed())?;
    let der = cert.to_der().map_err(|_| malformed())?;
    Ok((cert, der))
}

impl ParsedCertificate {
    pub fn parse(body: &str) -> Result<ParsedCertificate, IamError> {
        let (cert, der) = parse_certificate(body)?;
        let digest = Sha1::digest(&der);
        let not_after =
            time::OffsetDateTime::from(cert.tbs_certificate.validity.not_after.to_system_time());
        Ok(ParsedCertificate {
            fingerprint: hex::encode_upper(digest),
            certificate_id: base32(&digest),
            not_after,
        })
    }
}

/// What a store error of an operation on `user`'s key or certificate `id` means.
fn public_error(e: StoreError, kind: PublicCredentialKind, user: &str, id: &str) -> IamError {
    match (e, kind) {
        (StoreError::NoSuchUser, _) => IamError::no_such_user(user),
        (StoreError::NoSuchPublicCredential, PublicCredentialKind::SshPublicKey) => {
            no_such_ssh_key(id)
        }
        (StoreError::NoSuchPublicCredential, PublicCredentialKind::SigningCertificate) => {
            no_such_certificate(id)
        }
        (StoreError::PublicCredentialQuotaExceeded, PublicCredentialKind::SshPublicKey) => {
            IamError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "Cannot exceed quota for SSHPublicKeysPerUser: {}",
                    crate::model::SSH_PUBLIC_KEYS_PER_USER
                ),
            )
        }
        (StoreError::PublicCredentialQuotaExceeded, PublicCredentialKind::SigningCertificate) => {
            IamError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "Cannot exceed quota for CertificatesPerUser: {}",
                    crate::model::SIGNING_CERTIFICATES_PER_USER
                ),
            )
        }
        (StoreError::DuplicatePublicCredential, PublicCredentialKind::SshPublicKey) => {
            IamError::new(
                ErrorCode::DuplicateSSHPublicKey,
                format!("The specified SSH public key is already associated with user {user}."),
            )
        }
        (StoreError::DuplicatePublicCredential, PublicCredentialKind::SigningCertificate) => {
            IamError::new(
                ErrorCode::DuplicateCertificate,
                "The specified certificate is already associated with an IAM user in the account.",
            )
        }
        (other, _) => crate::service::store_failure(other),
    }
}

impl Iam {
    /// UploadSSHPublicKey: the key, parsed and checked, for the named user.
    pub async fn upload_ssh_public_key(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        body: &str,
    ) -> Result<PublicCredential, IamError> {
        let owner = self.credential_owner(ctx, Some(user_name)).await?;
        let key = RsaKey::parse(body)?;
        let account_id = ctx.principal.account_id();
        let credential = PublicCredential {
            account_id: account_id.to_owned(),
            kind: PublicCredentialKind::SshPublicKey,
            credential_id: ids::ssh_public_key_id(account_id),
            user_name: owner.clone(),
            body: body.to_owned(),
            fingerprint: key.fingerprint(),
            status: KeyStatus::Active,
            upload_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
        };
        self.upload_public(credential, &owner).await
    }

    /// UploadSigningCertificate: the certificate, parsed and checked, for the named user or
    /// the calling user.
    pub async fn upload_signing_certificate(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        body: &str,
    ) -> Result<PublicCredential, IamError> {
        let owner = self.credential_owner(ctx, user_name).await?;
        let cert = ParsedCertificate::parse(body)?;
        if cert.not_after < ctx.now {
            return Err(IamError::new(
                ErrorCode::MalformedCertificate,
                "The certificate has expired.",
            ));
        }
        let credential = PublicCredential {
            account_id: ctx.principal.account_id().to_owned(),
            kind: PublicCredentialKind::SigningCertificate,
            credential_id: cert.certificate_id,
            user_name: owner.clone(),
            body: body.to_owned(),
            fingerprint: cert.fingerprint,
            status: KeyStatus::Active,
            upload_date: ctx.now.replace_nanosecond(0).unwrap_or(ctx.now),
        };
        self.upload_public(credential, &owner).await
    }

    async fn upload_public(
        &self,
        mut credential: PublicCredential,
        owner: &str,
    ) -> Result<PublicCredential, IamError> {
        let kind = credential.kind;
        self.store
            .upload_public_credential(&credential, kind.quota())
            .await
            .map_err(|e| public_error(e, kind, owner, &credential.credential_id))?;
        credential.user_name = owner.to_owned();
        Ok(credential)
    }

    /// ListSSHPublicKeys / ListSigningCertificates: the named user's (or the caller's), in
    /// upload order, paged.
    pub async fn list_public_credentials(
        &self,
        ctx: &RequestContext,
        kind: PublicCredentialKind,
        user_name: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<Page<PublicCredential>, IamError> {
        // The root holds none here: its own listing is empty, as before any upload.
        let owner = match self.target(ctx, user_name, ctx.action()).await? {
            crate::service::Target::User(user) => user.user_name,
            crate::service::Target::Root => {
                return Ok(Page {
                    items: Vec::new(),
                    marker: None,
                })
            }
        };
        let all = self
            .store
            .list_public_credentials(ctx.principal.account_id(), Some(&owner), kind)
            .await
            .map_err(|e| public_error(e, kind, &owner, ""))?;
        let scope = owner.to_lowercase();
        let listing = Listing {
            operation: match kind {
                PublicCredentialKind::SshPublicKey => "ListSSHPublicKeys",
                PublicCredentialKind::SigningCertificate => "ListSigningCertificates",
            },
            scope: &scope,
            sorted_by: SortKey::Offset,
        };
        let (items, marker) = pagination::offset_page(&listing, marker, all, max_items)?;
        Ok(Page { items, marker })
    }

    /// GetSSHPublicKey: the key in the encoding asked for (the uploaded text when that was
    /// its encoding, else the key re-encoded).
    pub async fn get_ssh_public_key(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        key_id: &str,
        encoding: KeyEncoding,
    ) -> Result<PublicCredential, IamError> {
        let kind = PublicCredentialKind::SshPublicKey;
        let owner = self.credential_owner(ctx, Some(user_name)).await?;
        let mut key = self
            .store
            .list_public_credentials(ctx.principal.account_id(), Some(&owner), kind)
            .await
            .map_err(|e| public_error(e, kind, &owner, key_id))?
            .into_iter()
            .find(|k| k.credential_id == key_id)
            .ok_or_else(|| no_such_ssh_key(key_id))?;
        let parsed = RsaKey::parse(&key.body).map_err(|e| {
            IamError::service_failure(&format!("stored SSH key {key_id} does not parse: {e}"))
        })?;
        if parsed.encoding != encoding {
            key.body = match encoding {
                KeyEncoding::Ssh => parsed.to_ssh(),
                KeyEncoding::Pem => parsed.to_pem(),
            };
        }
        Ok(key)
    }

    /// UpdateSSHPublicKey / UpdateSigningCertificate.
    pub async fn update_public_credential(
        &self,
        ctx: &RequestContext,
        kind: PublicCredentialKind,
        user_name: Option<&str>,
        id: &str,
        status: KeyStatus,
    ) -> Result<(), IamError> {
        let owner = self.credential_owner(ctx, user_name).await?;
        self.store
            .update_public_credential(ctx.principal.account_id(), &owner, kind, id, status)
            .await
            .map_err(|e| public_error(e, kind, &owner, id))
    }

    /// DeleteSSHPublicKey / DeleteSigningCertificate.
    pub async fn delete_public_credential(
        &self,
        ctx: &RequestContext,
        kind: PublicCredentialKind,
        user_name: Option<&str>,
        id: &str,
    ) -> Result<(), IamError> {
        let owner = self.credential_owner(ctx, user_name).await?;
        self.store
            .delete_public_credential(ctx.principal.account_id(), &owner, kind, id)
            .await
            .map_err(|e| public_error(e, kind, &owner, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_of_twenty_bytes_is_thirty_two_characters() {
        assert_eq!(base32(&[0u8; 20]).len(), 32);
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn mpints_and_der_lengths() {
        assert_eq!(mpint(&[0x80]), [0, 0x80]);
        assert_eq!(mpint(&[0, 0, 0x7f]), [0x7f]);
        assert_eq!(der_tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(der_tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn short_or_foreign_keys_are_refused() {
        let small = RsaKey {
            modulus: vec![0xc1; 128],
            exponent: vec![1, 0, 1],
            encoding: KeyEncoding::Ssh,
        };
        let e = RsaKey::parse(&small.to_ssh()).expect_err("1024 bits");
        assert_eq!(e.code, ErrorCode::InvalidPublicKey);
        let e = RsaKey::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me").expect_err("ed25519");
        assert_eq!(e.code, ErrorCode::UnrecognizedPublicKeyEncoding);
        let e = RsaKey::parse("ssh-rsa not*base64").expect_err("garbage");
        assert_eq!(e.code, ErrorCode::InvalidPublicKey);
    }

    #[test]
    fn a_key_survives_both_encodings() {
        let mut modulus = vec![0xd3; 256];
        modulus[255] = 0x01;
        let key = RsaKey {
            modulus,
            exponent: vec![1, 0, 1],
            encoding: KeyEncoding::Ssh,
        };
        let from_ssh = RsaKey::parse(&format!("{} comment", key.to_ssh())).expect("ssh");
        assert_eq!(from_ssh, key);
        let from_pem = RsaKey::parse(&key.to_pem()).expect("pem");
        assert_eq!(from_pem.modulus, key.modulus);
        assert_eq!(from_pem.encoding, KeyEncoding::Pem);
        assert_eq!(from_pem.fingerprint(), key.fingerprint());
        assert_eq!(key.fingerprint().len(), 47);
    }
}
