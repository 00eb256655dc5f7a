//! SAML providers with the real aws-sdk-iam (on the store `IAMD_TEST_STORE` names): IdP
//! metadata with a signing certificate made here, kept as uploaded with its `validUntil`,
//! listed, updated, tagged, counted under `Providers`, authorized on the provider's ARN and
//! its tags, deleted; AWS's errors for bad metadata, names and missing providers.

mod common;

use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{AssertionEncryptionModeType, SummaryKeyType, Tag};
use base64::Engine as _;
use common::{err_of, TestServer, ACCOUNT};

fn certificate() -> String {
    let cert = rcgen::generate_simple_self_signed(vec!["idp.example.com".into()]).unwrap();
    base64::engine::general_purpose::STANDARD.encode(cert.cert.der())
}

fn metadata(valid_until: Option<&str>) -> String {
    let attr = valid_until
        .map(|v| format!(r#" validUntil="{v}""#))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml"{attr}>
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/saml/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#,
        certificate()
    )
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

#[tokio::test]
async fn saml_providers_lifecycle() {
    let srv = TestServer::start().await;
    let root = srv.root();
    let doc = metadata(Some("2031-05-06T07:08:09Z"));
    let created = root
        .create_saml_provider()
        .name("Okta")
        .saml_metadata_document(&doc)
        .tags(tag("team", "sso"))
        .send()
        .await
        .unwrap();
    let arn = created.saml_provider_arn().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:saml-provider/Okta"));
    assert_eq!(created.tags().len(), 1);

    let got = root
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.saml_metadata_document(), Some(doc.as_str()));
    assert_eq!(got.valid_until(), Some(&DateTime::from_secs(1_935_817_689)));
    let uuid = got.saml_provider_uuid().unwrap();
    assert!(
        uuid.len() == 22
            && uuid
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(got.tags()[0].key(), "team");
    let created_at = *got.create_date().unwrap();

    // Listed with its dates; counted as an identity provider.
    let listed = root.list_saml_providers().send().await.unwrap();
    let entry = &listed.saml_provider_list()[0];
    assert_eq!(entry.arn(), Some(arn.as_str()));
    assert_eq!(entry.create_date(), Some(&created_at));
    let summary = root.get_account_summary().send().await.unwrap();
    assert_eq!(
        summary
            .summary_map()
            .unwrap()
            .get(&SummaryKeyType::Providers),
        Some(&1)
    );

    // Updated: a document without validUntil is valid a century from now; the mode kept.
    root.update_saml_provider()
        .saml_provider_arn(&arn)
        .saml_metadata_document(metadata(None))
        .assertion_encryption_mode(AssertionEncryptionModeType::Allowed)
        .send()
        .await
        .unwrap();
    let got = root
        .get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(got.valid_until().unwrap().secs() > created_at.secs() + 99 * 365 * 86_400);
    assert_eq!(
        got.assertion_encryption_mode(),
        Some(&AssertionEncryptionModeType::Allowed)
    );
    assert_eq!(got.saml_provider_uuid(), Some(uuid), "fixed at creation");

    root.tag_saml_provider()
        .saml_provider_arn(&arn)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    root.untag_saml_provider()
        .saml_provider_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = root
        .list_saml_provider_tags()
        .saml_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), "env");

    root.delete_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.get_saml_provider()
            .saml_provider_arn(&arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        (
            "NoSuchEntity".to_owned(),
            format!("Manifest not found for arn {arn}"),
            404
        )
    );
    assert!(root
        .list_saml_providers()
        .send()
        .await
        .unwrap()
        .saml_provider_list()
        .is_empty());
}

#[tokio::test]
async fn bad_metadata_duplicates_and_private_keys_are_refused() {
    let srv = TestServer::start().await;
    let root = srv.root();
    root.create_saml_provider()
        .name("Dup")
        .saml_metadata_document(metadata(None))
        .send()
        .await
        .unwrap();
    let e = err_of(
        root.create_saml_provider()
            .name("Dup")
            .saml_metadata_document(metadata(None))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (e.0.as_str(), e.1.as_str(), e.2),
        (
            "EntityAlreadyExists",
            "SAMLProvider Dup already exists.",
            409
        )
    );
    let no_signing_key = metadata(None).replace(r#"use="signing""#, r#"use="encryption""#);
    let not_metadata = format!("<html>{}</html>", "x".repeat(1_000));
    for doc in [no_signing_key, not_metadata] {
        let e = err_of(
            root.create_saml_provider()
                .name("Bad")
                .saml_metadata_document(doc)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (e.0.as_str(), e.1.as_str(), e.2),
            ("InvalidInput", "Could not parse metadata", 400)
        );
    }
    // A private key to decrypt assertions with: iamd decrypts none, and keeps none.
    let e = err_of(
        root.create_saml_provider()
            .name("WithKey")
            .saml_metadata_document(metadata(None))
            .add_private_key("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((e.0.as_str(), e.2), ("NotImplemented", 501));
    let names: Vec<String> = root
        .list_saml_providers()
        .send()
        .await
        .unwrap()
        .saml_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(str::to_owned))
        .collect();
    assert_eq!(names, [format!("arn:aws:iam::{ACCOUNT}:saml-provider/Dup")]);
}

#[tokio::test]
async fn saml_provider_operations_are_authorized_on_the_provider() {
    let srv = TestServer::start().await;
    let (key, secret) = srv.user_with_key("sso-admin").await;
    srv.root()
        .put_user_policy()
        .user_name("sso-admin")
        .policy_name("sso")
        .policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:CreateSAMLProvider","iam:GetSAMLProvider","iam:TagSAMLProvider"],"Resource":"arn:aws:iam::{ACCOUNT}:saml-provider/team-*","Condition":{{"StringEquals":{{"aws:RequestTag/owner":"sso"}}}}}},{{"Effect":"Allow","Action":"iam:GetSAMLProvider","Resource":"*"}}]}}"#
        ))
        .send()
        .await
        .unwrap();
    let user = srv.iam(&key, &secret);
    user.create_saml_provider()
        .name("team-a")
        .saml_metadata_document(metadata(None))
        .tags(tag("owner", "sso"))
        .send()
        .await
        .expect("allowed: the name and the request tag match");
    for (name, owner) in [("other", "sso"), ("team-b", "someone")] {
        let e = err_of(
            user.create_saml_provider()
                .name(name)
                .saml_metadata_document(metadata(None))
                .tags(tag("owner", owner))
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!((e.0.as_str(), e.2), ("AccessDenied", 403), "{name}");
    }
    let arn = format!("arn:aws:iam::{ACCOUNT}:saml-provider/team-a");
    user.get_saml_provider()
        .saml_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    let e = err_of(
        user.delete_saml_provider()
            .saml_provider_arn(&arn)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e.1,
        format!("User: arn:aws:iam::{ACCOUNT}:user/sso-admin is not authorized to perform: iam:DeleteSAMLProvider on resource: {arn} because no identity-based policy allows the iam:DeleteSAMLProvider action")
    );
}
