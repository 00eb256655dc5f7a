"""SAML providers with boto3 and the aws CLI: IdP metadata checked on upload (a signing
X.509 certificate made here with `cryptography`), kept as uploaded, listed, updated, tagged,
counted, trusted by a role's policy, deleted; AssumeRoleWithSAML stays NotImplemented."""

import base64
import datetime
import json

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import ACCOUNT_ID


def certificate_b64():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return base64.b64encode(der).decode()


def metadata(valid_until=None, key_use="signing", cert=None):
    attr = f' validUntil="{valid_until}"' if valid_until else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.example/exk1"{attr}>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="{key_use}">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{cert or certificate_b64()}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/app/sso/saml"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/app/sso/saml"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def error(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_saml_provider_lifecycle(iam, unique_name):
    name = unique_name("okta")
    doc = metadata(valid_until="2031-05-06T07:08:09Z")
    created = iam.create_saml_provider(
        SAMLMetadataDocument=doc, Name=name, Tags=[{"Key": "team", "Value": "sso"}]
    )
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}"
    assert created["Tags"] == [{"Key": "team", "Value": "sso"}]

    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == doc
    assert got["ValidUntil"] == datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    assert len(got["SAMLProviderUUID"]) >= 22 and got["SAMLProviderUUID"].isupper()
    assert got["Tags"] == [{"Key": "team", "Value": "sso"}]
    created_at = got["CreateDate"]

    listed = [p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn]
    assert len(listed) == 1 and listed[0]["CreateDate"] == created_at

    # A new document without validUntil: valid long after its upload.
    doc2 = metadata()
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=doc2)[
        "SAMLProviderArn"
    ] == arn
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == doc2
    assert got["ValidUntil"].year >= datetime.datetime.now().year + 99
    assert got["CreateDate"] == created_at
    iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Allowed")
    assert iam.get_saml_provider(SAMLProviderArn=arn)["AssertionEncryptionMode"] == "Allowed"

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    page = iam.list_saml_provider_tags(SAMLProviderArn=arn, MaxItems=1)
    assert page["IsTruncated"] and len(page["Tags"]) == 1
    rest = iam.list_saml_provider_tags(SAMLProviderArn=arn, Marker=page["Marker"])
    assert {t["Key"] for t in page["Tags"] + rest["Tags"]} == {"team", "env"}
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team", "env"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == []

    # A role may trust it (AssumeRoleWithSAML itself is not served).
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": arn},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
        }],
    }
    role = unique_name("saml-role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.delete_role(RoleName=role)

    iam.delete_saml_provider(SAMLProviderArn=arn)
    for call in (
        lambda: iam.get_saml_provider(SAMLProviderArn=arn),
        lambda: iam.delete_saml_provider(SAMLProviderArn=arn),
        lambda: iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=doc),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("NoSuchEntity", f"Manifest not found for arn {arn}")


def test_saml_provider_errors(iam, unique_name):
    name = unique_name("dup")
    arn = iam.create_saml_provider(SAMLMetadataDocument=metadata(), Name=name)["SAMLProviderArn"]
    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(SAMLMetadataDocument=metadata(), Name=name)
    assert error(exc) == ("EntityAlreadyExists", f"SAMLProvider {name} already exists.")
    bad_documents = [
        metadata(key_use="encryption"),  # no signing key
        metadata(cert=base64.b64encode(b"x" * 300).decode()),  # not a certificate
        metadata(valid_until="next tuesday"),
        metadata().replace("EntityDescriptor", "EntitiesDescriptor"),
        "<x>" + "y" * 1200 + "</x>",
    ]
    for doc in bad_documents:
        with pytest.raises(ClientError) as exc:
            iam.create_saml_provider(SAMLMetadataDocument=doc, Name=unique_name("bad"))
        assert error(exc) == ("InvalidInput", "Could not parse metadata"), doc
    # Private keys are not kept: iamd decrypts no assertion.
    with pytest.raises(ClientError) as exc:
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey="-----BEGIN PRIVATE KEY-----")
    assert error(exc)[0] == "NotImplemented"
    iam.delete_saml_provider(SAMLProviderArn=arn)


def test_providers_are_counted_in_the_account_summary(iam, unique_name):
    before = iam.get_account_summary()["SummaryMap"]["Providers"]
    arn = iam.create_saml_provider(SAMLMetadataDocument=metadata(), Name=unique_name("count"))[
        "SAMLProviderArn"
    ]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before + 1
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before


def test_assume_role_with_saml_is_not_implemented(sts):
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_saml(
            RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r",
            PrincipalArn=f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/p",
            SAMLAssertion="x" * 10,
        )
    assert error(exc)[0] == "NotImplemented"


def test_cli_create_get_list_delete(aws, unique_name, tmp_path):
    name = unique_name("cli")
    path = tmp_path / "metadata.xml"
    path.write_text(metadata())
    arn = aws(
        "iam", "create-saml-provider", "--name", name,
        "--saml-metadata-document", f"file://{path}",
    ).json["SAMLProviderArn"]
    got = aws("iam", "get-saml-provider", "--saml-provider-arn", arn).json
    assert got["SAMLMetadataDocument"] == path.read_text()
    arns = [p["Arn"] for p in aws("iam", "list-saml-providers").json["SAMLProviderList"]]
    assert arn in arns
    assert aws("iam", "delete-saml-provider", "--saml-provider-arn", arn).json == {}
    arns = [p["Arn"] for p in aws("iam", "list-saml-providers").json["SAMLProviderList"]]
    assert arn not in arns
