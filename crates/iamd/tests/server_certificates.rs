//! Server certificates with the real aws-sdk-iam: uploaded with a chain, a private key and
//! tags (the key checked against the certificate, never returned), read, listed by path,
//! renamed and moved, tagged, deleted; AWS's errors for malformed certificates, chains and
//! mismatched keys, and for names; GetAccountSummary counts them.

mod common;

use aws_sdk_iam::types::{SummaryKeyType, Tag};
use common::{err_of, TestServer, ACCOUNT};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A CA, a leaf it signed, and the leaf's key.
struct Pki {
    ca_pem: String,
    leaf_pem: String,
    key_pem: String,
}

fn pki(name: &str) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("iamd test CA {name}"));
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let mut leaf = CertificateParams::new(vec![format!("{name}.example")]).expect("params");
    leaf.distinguished_name
        .push(DnType::CommonName, format!("{name}.example"));
    let key = KeyPair::generate().expect("key");
    let cert = leaf.signed_by(&key, &ca).expect("leaf");
    Pki {
        ca_pem: ca.pem(),
        leaf_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

#[tokio::test]
async fn server_certificates_lifecycle() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let web = pki("web");

    let uploaded = root
        .upload_server_certificate()
        .server_certificate_name("Web")
        .path("/edge/")
        .certificate_body(&web.leaf_pem)
        .certificate_chain(&web.ca_pem)
        .private_key(&web.key_pem)
        .tags(Tag::builder().key("team").value("edge").build().unwrap())
        .send()
        .await
        .unwrap();
    let meta = uploaded.server_certificate_metadata.clone().unwrap();
    let id = meta.server_certificate_id().to_owned();
    assert!(id.starts_with("ASCA") && id.len() == 21, "{id}");
    assert_eq!(
        meta.arn(),
        format!("arn:aws:iam::{ACCOUNT}:server-certificate/edge/Web")
    );
    // rcgen's default validity ends in 4096.
    assert_eq!(meta.expiration().unwrap().secs(), 67_090_118_400);
    assert_eq!(uploaded.tags().len(), 1);

    let got = root
        .get_server_certificate()
        .server_certificate_name("WEB")
        .send()
        .await
        .unwrap()
        .server_certificate
        .unwrap();
    assert_eq!(
        got.certificate_body(),
        web.leaf_pem.trim(),
        "trimmed, as AWS returns it"
    );
    assert_eq!(got.certificate_chain(), Some(web.ca_pem.trim()));
    assert_eq!(got.tags()[0].key(), "team");
    assert_eq!(
        got.server_certificate_metadata()
            .unwrap()
            .server_certificate_id(),
        id
    );

    let again = err_of(
        root.upload_server_certificate()
            .server_certificate_name("web")
            .certificate_body(&web.leaf_pem)
            .private_key(&web.key_pem)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        again,
        (
            "EntityAlreadyExists".into(),
            "The Server Certificate with name web already exists.".into(),
            409
        )
    );

    // Another certificate at the root path; listings by prefix, in name order.
    let api = pki("api");
    root.upload_server_certificate()
        .server_certificate_name("api")
        .certificate_body(&api.leaf_pem)
        .private_key(&api.key_pem)
        .send()
        .await
        .unwrap();
    let all = root.list_server_certificates().send().await.unwrap();
    let names: Vec<_> = all
        .server_certificate_metadata_list()
        .iter()
        .map(|m| m.server_certificate_name())
        .collect();
    assert_eq!(names, ["api", "Web"]);
    let edge = root
        .list_server_certificates()
        .path_prefix("/edge/")
        .send()
        .await
        .unwrap();
    assert_eq!(edge.server_certificate_metadata_list().len(), 1);
    let page = root
        .list_server_certificates()
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert!(page.is_truncated());

    let summary = root.get_account_summary().send().await.unwrap();
    let map = summary.summary_map.unwrap();
    assert_eq!(map.get(&SummaryKeyType::ServerCertificates), Some(&2));
    assert_eq!(map.get(&SummaryKeyType::ServerCertificatesQuota), Some(&20));

    // Rename and move; tags follow.
    root.update_server_certificate()
        .server_certificate_name("web")
        .new_server_certificate_name("www")
        .new_path("/front/")
        .send()
        .await
        .unwrap();
    let moved = root
        .get_server_certificate()
        .server_certificate_name("www")
        .send()
        .await
        .unwrap()
        .server_certificate
        .unwrap();
    let meta = moved.server_certificate_metadata().unwrap();
    assert_eq!(
        (meta.path(), meta.server_certificate_id()),
        ("/front/", id.as_str())
    );
    root.tag_server_certificate()
        .server_certificate_name("www")
        .tags(Tag::builder().key("tier").value("1").build().unwrap())
        .send()
        .await
        .unwrap();
    root.untag_server_certificate()
        .server_certificate_name("www")
        .tag_keys("TEAM")
        .send()
        .await
        .unwrap();
    let tags = root
        .list_server_certificate_tags()
        .server_certificate_name("www")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [("tier", "1")]
    );
    let clash = err_of(
        root.update_server_certificate()
            .server_certificate_name("www")
            .new_server_certificate_name("API")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((clash.0.as_str(), clash.2), ("EntityAlreadyExists", 409));

    root.delete_server_certificate()
        .server_certificate_name("www")
        .send()
        .await
        .unwrap();
    for e in [
        err_of(
            root.get_server_certificate()
                .server_certificate_name("www")
                .send()
                .await
                .unwrap_err(),
        ),
        err_of(
            root.delete_server_certificate()
                .server_certificate_name("www")
                .send()
                .await
                .unwrap_err(),
        ),
    ] {
        assert_eq!(
            e,
            (
                "NoSuchEntity".into(),
                "The Server Certificate with name www cannot be found.".into(),
                404
            )
        );
    }
}

#[tokio::test]
async fn bad_uploads_get_aws_errors() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let one = pki("one");
    let two = pki("two");
    let upload = |body: &str, key: &str, chain: Option<&str>| {
        root.upload_server_certificate()
            .server_certificate_name("bad")
            .certificate_body(body)
            .private_key(key)
            .set_certificate_chain(chain.map(str::to_owned))
            .send()
    };
    let cases = [
        (
            upload("not a certificate", &one.key_pem, None).await,
            "MalformedCertificate",
            "Unable to parse certificate. Please ensure the certificate is in PEM format.",
        ),
        (
            upload(&one.leaf_pem, &two.key_pem, None).await,
            "KeyPairMismatch",
            "The public key certificate and the private key do not match.",
        ),
        (
            upload(&one.leaf_pem, &one.key_pem, Some(&two.ca_pem)).await,
            "MalformedCertificate",
            "Unable to validate certificate chain. The certificate chain must start with the \
             immediate signing certificate, followed by any intermediaries in order. The index \
             within the chain of the invalid certificate is: 0",
        ),
        (
            upload(&one.leaf_pem, "not a key", None).await,
            "MalformedCertificate",
            "Unable to parse the private key. Please ensure it is an unencrypted PEM private key \
             (PKCS #8, or PKCS #1 for RSA).",
        ),
    ];
    for (result, code, message) in cases {
        let e = err_of(result.unwrap_err());
        assert_eq!(e, (code.to_owned(), message.to_owned(), 400));
    }
    let none = root.list_server_certificates().send().await.unwrap();
    assert!(none.server_certificate_metadata_list().is_empty());
}
