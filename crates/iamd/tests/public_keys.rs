//! SSH public keys and signing certificates with the real aws-sdk-iam: uploaded (ssh-rsa
//! and PEM), read back in either encoding with AWS's MD5 fingerprint, listed and paged,
//! deactivated, deleted; the quotas (five keys, two certificates per user), duplicates,
//! AWS's errors for bad keys and certificates; the caller's own certificates without
//! `UserName`; DeleteUser refused while any is left.

mod common;

use aws_sdk_iam::types::{EncodingType, StatusType};
use common::{err_of, TestServer};

const K1: &str = include_str!("data/ssh/k1.pub");
/// `K1` as `ssh-keygen -e -m PKCS8` writes it.
const K1_PEM: &str = include_str!("data/ssh/k1.pem");
/// `ssh-keygen -l -E md5 -f k1.pub`.
const K1_MD5: &str = "15:d5:a8:d6:2e:c7:06:38:2d:05:64:5e:6e:df:6e:71";
const OTHERS: [&str; 5] = [
    include_str!("data/ssh/k2.pub"),
    include_str!("data/ssh/k3.pub"),
    include_str!("data/ssh/k4.pub"),
    include_str!("data/ssh/k5.pub"),
    include_str!("data/ssh/k6.pub"),
];
/// A 1024-bit RSA key: too short for AWS.
const SMALL: &str = include_str!("data/ssh/ksmall.pub");

fn certificate(name: &str) -> String {
    rcgen::generate_simple_self_signed(vec![name.to_owned()])
        .expect("certificate")
        .cert
        .pem()
}

#[tokio::test]
async fn ssh_public_keys_lifecycle() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("dev").send().await.unwrap();

    let uploaded = root
        .upload_ssh_public_key()
        .user_name("dev")
        .ssh_public_key_body(K1)
        .send()
        .await
        .unwrap()
        .ssh_public_key
        .unwrap();
    let id = uploaded.ssh_public_key_id().to_owned();
    assert!(id.starts_with("APKA") && id.len() == 20, "{id}");
    assert_eq!(uploaded.fingerprint(), K1_MD5, "AWS's MD5 fingerprint");
    assert_eq!(uploaded.ssh_public_key_body(), K1, "kept as uploaded");
    assert_eq!(uploaded.user_name(), "dev");
    assert_eq!(uploaded.status(), &StatusType::Active);

    let get = |encoding: EncodingType| {
        root.get_ssh_public_key()
            .user_name("DEV")
            .ssh_public_key_id(&id)
            .encoding(encoding)
            .send()
    };
    let as_ssh = get(EncodingType::Ssh)
        .await
        .unwrap()
        .ssh_public_key
        .unwrap();
    assert_eq!(as_ssh.ssh_public_key_body(), K1);
    assert_eq!(as_ssh.user_name(), "dev");
    let as_pem = get(EncodingType::Pem)
        .await
        .unwrap()
        .ssh_public_key
        .unwrap();
    assert_eq!(as_pem.ssh_public_key_body().trim(), K1_PEM.trim());
    assert_eq!(as_pem.fingerprint(), K1_MD5);

    // The same key, in PEM, is a duplicate for this user; another user may hold it.
    let dup = err_of(
        root.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body(K1_PEM)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (dup.0.as_str(), dup.2),
        ("DuplicateSSHPublicKey", 400),
        "{dup:?}"
    );
    root.create_user().user_name("ops").send().await.unwrap();
    let theirs = root
        .upload_ssh_public_key()
        .user_name("ops")
        .ssh_public_key_body(K1_PEM)
        .send()
        .await
        .unwrap()
        .ssh_public_key
        .unwrap();
    assert_eq!(theirs.fingerprint(), K1_MD5, "the key's, not the text's");
    assert_eq!(theirs.ssh_public_key_body(), K1_PEM);

    // Five per user.
    for key in &OTHERS[..4] {
        root.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body(*key)
            .send()
            .await
            .unwrap();
    }
    let over = err_of(
        root.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body(OTHERS[4])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        over,
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for SSHPublicKeysPerUser: 5".into(),
            409
        )
    );

    // Paging, in upload order.
    let page = root
        .list_ssh_public_keys()
        .user_name("dev")
        .max_items(3)
        .send()
        .await
        .unwrap();
    assert_eq!(page.ssh_public_keys().len(), 3);
    assert_eq!(page.ssh_public_keys()[0].ssh_public_key_id(), id);
    assert!(page.is_truncated());
    let rest = root
        .list_ssh_public_keys()
        .user_name("dev")
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.ssh_public_keys().len(), 2);
    assert!(!rest.is_truncated());

    root.update_ssh_public_key()
        .user_name("dev")
        .ssh_public_key_id(&id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let after = get(EncodingType::Ssh)
        .await
        .unwrap()
        .ssh_public_key
        .unwrap();
    assert_eq!(after.status(), &StatusType::Inactive);

    // Another user's key is not this user's.
    let missing = err_of(
        root.get_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_id(theirs.ssh_public_key_id())
            .encoding(EncodingType::Ssh)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        missing,
        (
            "NoSuchEntity".into(),
            format!(
                "The Public Key with id {} cannot be found.",
                theirs.ssh_public_key_id()
            ),
            404
        )
    );

    // DeleteUser waits for the keys to go.
    let conflict = err_of(
        root.delete_user()
            .user_name("dev")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        conflict,
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must remove referenced objects first.".into(),
            409
        )
    );
    let all = root
        .list_ssh_public_keys()
        .user_name("dev")
        .send()
        .await
        .unwrap();
    for key in all.ssh_public_keys() {
        root.delete_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_id(key.ssh_public_key_id())
            .send()
            .await
            .unwrap();
    }
    let gone = err_of(
        root.delete_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_id(&id)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((gone.0.as_str(), gone.2), ("NoSuchEntity", 404));
    root.delete_user().user_name("dev").send().await.unwrap();
}

#[tokio::test]
async fn bad_ssh_keys_get_aws_errors() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("dev").send().await.unwrap();
    let upload = |body: &str| {
        root.upload_ssh_public_key()
            .user_name("dev")
            .ssh_public_key_body(body)
            .send()
    };
    for (body, code) in [
        (SMALL, "InvalidPublicKey"),
        ("ssh-rsa AAAA%%%not-base64", "InvalidPublicKey"),
        (
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQE=",
            "InvalidPublicKey",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n",
            "InvalidPublicKey",
        ),
        (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMxH3Z6m7n0l1Ky7gO0x5zqkq5oT8z9l1f5G5mR4a0c1 me",
            "UnrecognizedPublicKeyEncoding",
        ),
        ("not a key at all", "UnrecognizedPublicKeyEncoding"),
    ] {
        let (got, message, status) = err_of(upload(body).await.unwrap_err());
        assert_eq!((got.as_str(), status), (code, 400), "{body}: {message}");
    }
    let nobody = err_of(
        root.upload_ssh_public_key()
            .user_name("nobody")
            .ssh_public_key_body(K1)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        nobody,
        (
            "NoSuchEntity".into(),
            "The user with name nobody cannot be found.".into(),
            404
        )
    );
    let none = root
        .list_ssh_public_keys()
        .user_name("dev")
        .send()
        .await
        .unwrap();
    assert!(none.ssh_public_keys().is_empty());
}

#[tokio::test]
async fn signing_certificates_lifecycle() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_user().user_name("dev").send().await.unwrap();
    root.create_user().user_name("ops").send().await.unwrap();

    let body = certificate("one.example");
    let uploaded = root
        .upload_signing_certificate()
        .user_name("dev")
        .certificate_body(&body)
        .send()
        .await
        .unwrap()
        .certificate
        .unwrap();
    let id = uploaded.certificate_id().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
        "{id}"
    );
    assert_eq!(uploaded.certificate_body(), body);
    assert_eq!(uploaded.status(), &StatusType::Active);

    // A certificate is the account's once.
    let dup = err_of(
        root.upload_signing_certificate()
            .user_name("ops")
            .certificate_body(&body)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (dup.0.as_str(), dup.2),
        ("DuplicateCertificate", 409),
        "{dup:?}"
    );

    root.upload_signing_certificate()
        .user_name("dev")
        .certificate_body(certificate("two.example"))
        .send()
        .await
        .unwrap();
    let over = err_of(
        root.upload_signing_certificate()
            .user_name("dev")
            .certificate_body(certificate("three.example"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        over,
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for CertificatesPerUser: 2".into(),
            409
        )
    );
    let malformed = err_of(
        root.upload_signing_certificate()
            .user_name("ops")
            .certificate_body("invalid-certificate-body")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        malformed,
        (
            "MalformedCertificate".into(),
            "Certificate invalid-certificate-body is malformed.".into(),
            400
        )
    );

    let listed = root
        .list_signing_certificates()
        .user_name("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.certificates().len(), 2);
    assert_eq!(listed.certificates()[0].certificate_id(), id);
    assert_eq!(listed.certificates()[0].certificate_body(), body);

    root.update_signing_certificate()
        .user_name("dev")
        .certificate_id(&id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let listed = root
        .list_signing_certificates()
        .user_name("dev")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.certificates()[0].status(), &StatusType::Inactive);
    assert!(listed.is_truncated());

    let missing = err_of(
        root.delete_signing_certificate()
            .user_name("dev")
            .certificate_id("NONEXISTENTCERTID12345678901")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        missing,
        (
            "NoSuchEntity".into(),
            "The Certificate with id NONEXISTENTCERTID12345678901 cannot be found.".into(),
            404
        )
    );
    let conflict = err_of(
        root.delete_user()
            .user_name("dev")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((conflict.0.as_str(), conflict.2), ("DeleteConflict", 409));
    let all = root
        .list_signing_certificates()
        .user_name("dev")
        .send()
        .await
        .unwrap();
    for cert in all.certificates() {
        root.delete_signing_certificate()
            .user_name("dev")
            .certificate_id(cert.certificate_id())
            .send()
            .await
            .unwrap();
    }
    root.delete_user().user_name("dev").send().await.unwrap();
    // Once deleted, the certificate may be uploaded again, by another user.
    root.upload_signing_certificate()
        .user_name("ops")
        .certificate_body(&body)
        .send()
        .await
        .unwrap();
}

/// Without `UserName`, a user manages its own certificates (with a policy that allows it).
#[tokio::test]
async fn a_user_manages_its_own_certificates() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("self").await;
    srv.root()
        .put_user_policy()
        .user_name("self")
        .policy_name("own")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*SigningCertificate*","Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let me = srv.iam(&key, &secret);
    let cert = me
        .upload_signing_certificate()
        .certificate_body(certificate("self.example"))
        .send()
        .await
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(cert.user_name(), "self");
    let mine = me.list_signing_certificates().send().await.unwrap();
    assert_eq!(mine.certificates().len(), 1);
    me.delete_signing_certificate()
        .certificate_id(cert.certificate_id())
        .send()
        .await
        .unwrap();
    // The root holds no signing certificate of its own here: its listing is empty, and an
    // upload must name a user.
    let root = srv.root();
    let own = root.list_signing_certificates().send().await.unwrap();
    assert!(own.certificates().is_empty());
    let own = root.list_ssh_public_keys().send().await.unwrap();
    assert!(own.ssh_public_keys().is_empty());
    let (code, _, status) = err_of(
        root.upload_signing_certificate()
            .certificate_body(certificate("root.example"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
}
