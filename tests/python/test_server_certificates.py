"""Server certificates with boto3 and the aws CLI: an RSA certificate made by
`cryptography` uploaded with its PKCS #1 key and a chain, read back without the key,
listed, renamed, tagged and deleted; AWS's errors for a key that is not the certificate's
and for a name taken."""

import datetime

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def name_of(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def issue(subject, issuer, public_key, signing_key, days=365):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return (
        x509.CertificateBuilder()
        .subject_name(name_of(subject))
        .issuer_name(name_of(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(signing_key, hashes.SHA256())
    )


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def pkcs1(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def chain_and_leaf(cn):
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = issue(f"CA for {cn}", f"CA for {cn}", ca_key.public_key(), ca_key)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = issue(cn, f"CA for {cn}", key.public_key(), ca_key, days=90)
    return pem(ca), pem(leaf), pkcs1(key), leaf


def test_lifecycle(iam, unique_name):
    name = unique_name("cert")
    ca, leaf, key, cert = chain_and_leaf("www.example")
    meta = iam.upload_server_certificate(
        ServerCertificateName=name,
        Path="/edge/",
        CertificateBody=leaf,
        CertificateChain=ca,
        PrivateKey=key,
        Tags=[{"Key": "team", "Value": "edge"}],
    )["ServerCertificateMetadata"]
    assert meta["ServerCertificateId"].startswith("ASCA")
    assert meta["Arn"].endswith(f":server-certificate/edge/{name}")
    assert meta["Expiration"] == cert.not_valid_after_utc

    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert (got["CertificateBody"], got["CertificateChain"]) == (leaf.strip(), ca.strip())
    assert got["Tags"] == [{"Key": "team", "Value": "edge"}]
    assert "PrivateKey" not in got and key.splitlines()[1] not in str(got)

    listed = iam.list_server_certificates(PathPrefix="/edge/")["ServerCertificateMetadataList"]
    assert [m["ServerCertificateName"] for m in listed] == [name]

    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as exc:
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=leaf, PrivateKey=key)
    assert exc.value.response["Error"]["Message"] == f"The Server Certificate with name {name} already exists."

    new_name = name + "-2"
    iam.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=new_name, NewPath="/")
    iam.tag_server_certificate(ServerCertificateName=new_name, Tags=[{"Key": "tier", "Value": "1"}])
    iam.untag_server_certificate(ServerCertificateName=new_name, TagKeys=["team"])
    assert iam.list_server_certificate_tags(ServerCertificateName=new_name)["Tags"] == [{"Key": "tier", "Value": "1"}]
    iam.delete_server_certificate(ServerCertificateName=new_name)
    with pytest.raises(iam.exceptions.NoSuchEntityException) as exc:
        iam.get_server_certificate(ServerCertificateName=new_name)
    assert exc.value.response["Error"]["Message"] == f"The Server Certificate with name {new_name} cannot be found."


def test_key_mismatch_and_bad_chain(iam, unique_name):
    _, leaf, _, _ = chain_and_leaf("a.example")
    other_ca, _, other_key, _ = chain_and_leaf("b.example")
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName=unique_name("x"), CertificateBody=leaf, PrivateKey=other_key)
    assert exc.value.response["Error"]["Code"] == "KeyPairMismatch"
    with pytest.raises(iam.exceptions.MalformedCertificateException):
        iam.upload_server_certificate(
            ServerCertificateName=unique_name("x"),
            CertificateBody="garbage",
            PrivateKey=other_key,
        )
    _, leaf, key, _ = chain_and_leaf("c.example")
    with pytest.raises(iam.exceptions.MalformedCertificateException) as exc:
        iam.upload_server_certificate(
            ServerCertificateName=unique_name("x"), CertificateBody=leaf, PrivateKey=key, CertificateChain=other_ca
        )
    assert "certificate chain" in exc.value.response["Error"]["Message"]


def test_cli(aws, unique_name, tmp_path):
    name = unique_name("cli")
    ca, leaf, key, _ = chain_and_leaf("cli.example")
    for file, text in (("leaf.pem", leaf), ("key.pem", key), ("ca.pem", ca)):
        (tmp_path / file).write_text(text)
    out = aws(
        "iam",
        "upload-server-certificate",
        "--server-certificate-name",
        name,
        "--certificate-body",
        f"file://{tmp_path / 'leaf.pem'}",
        "--private-key",
        f"file://{tmp_path / 'key.pem'}",
        "--certificate-chain",
        f"file://{tmp_path / 'ca.pem'}",
    ).json
    assert out["ServerCertificateMetadata"]["ServerCertificateName"] == name
    got = aws("iam", "get-server-certificate", "--server-certificate-name", name).json
    assert got["ServerCertificate"]["CertificateChain"] == ca.strip()
    aws("iam", "delete-server-certificate", "--server-certificate-name", name)
