"""SSH public keys and signing certificates with boto3 and the aws CLI: keys made by
`cryptography` uploaded as ssh-rsa and PEM, read back in either encoding with the MD5
fingerprint OpenSSH computes, the quota and duplicates; X.509 signing certificates
uploaded, listed, deactivated and deleted; DeleteUser refused while any is left."""

import base64
import datetime
import hashlib

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ssh_text(key):
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem_text(key):
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def md5_fingerprint(ssh_line):
    digest = hashlib.md5(base64.b64decode(ssh_line.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def certificate(name):
    key = rsa_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_ssh_key_lifecycle(iam, new_user):
    name = new_user()
    key = rsa_key()
    uploaded = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=ssh_text(key))["SSHPublicKey"]
    key_id = uploaded["SSHPublicKeyId"]
    assert key_id.startswith("APKA") and len(key_id) == 20
    assert uploaded["Fingerprint"] == md5_fingerprint(ssh_text(key))
    assert uploaded["Status"] == "Active"

    as_pem = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert as_pem["SSHPublicKeyBody"].strip() == pem_text(key).strip()
    as_ssh = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]
    assert as_ssh["SSHPublicKeyBody"] == ssh_text(key)

    with pytest.raises(iam.exceptions.DuplicateSSHPublicKeyException):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=pem_text(key))
    for _ in range(4):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=pem_text(rsa_key()))
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=ssh_text(rsa_key()))
    err = exc.value.response["Error"]
    assert (err["Code"], err["Message"]) == ("LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5")

    paginator = iam.get_paginator("list_ssh_public_keys")
    pages = list(paginator.paginate(UserName=name, PaginationConfig={"PageSize": 2}))
    listed = [k["SSHPublicKeyId"] for p in pages for k in p["SSHPublicKeys"]]
    assert len(pages) == 3 and len(listed) == 5 and listed[0] == key_id

    iam.update_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Status="Inactive")
    got = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]
    assert got["Status"] == "Inactive"

    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_user(UserName=name)
    for k in listed:
        iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=k)
    with pytest.raises(iam.exceptions.NoSuchEntityException) as exc:
        iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="SSH")
    assert exc.value.response["Error"]["Message"] == f"The Public Key with id {key_id} cannot be found."


def test_bad_ssh_keys(iam, new_user):
    name = new_user()
    with pytest.raises(iam.exceptions.InvalidPublicKeyException):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=ssh_text(rsa_key(1024)))
    with pytest.raises(iam.exceptions.UnrecognizedPublicKeyEncodingException):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody="hello world")


def test_signing_certificates(iam, new_user):
    name, other = new_user(), new_user()
    body = certificate("one.example")
    cert = iam.upload_signing_certificate(UserName=name, CertificateBody=body)["Certificate"]
    cert_id = cert["CertificateId"]
    assert len(cert_id) == 32 and cert_id.isupper()
    with pytest.raises(iam.exceptions.DuplicateCertificateException):
        iam.upload_signing_certificate(UserName=other, CertificateBody=body)
    iam.upload_signing_certificate(UserName=name, CertificateBody=certificate("two.example"))
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=name, CertificateBody=certificate("three.example"))
    assert exc.value.response["Error"]["Message"] == "Cannot exceed quota for CertificatesPerUser: 2"
    with pytest.raises(iam.exceptions.MalformedCertificateException) as exc:
        iam.upload_signing_certificate(UserName=name, CertificateBody="invalid-certificate-body")
    assert exc.value.response["Error"]["Message"] == "Certificate invalid-certificate-body is malformed."

    iam.update_signing_certificate(UserName=name, CertificateId=cert_id, Status="Inactive")
    listed = iam.list_signing_certificates(UserName=name)["Certificates"]
    assert [(c["CertificateId"], c["Status"]) for c in listed][0] == (cert_id, "Inactive")
    assert listed[0]["CertificateBody"] == body

    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_user(UserName=name)
    for c in listed:
        iam.delete_signing_certificate(UserName=name, CertificateId=c["CertificateId"])
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []


def test_cli(aws, new_user, tmp_path):
    name = new_user()
    key = rsa_key()
    path = tmp_path / "key.pub"
    path.write_text(ssh_text(key))
    out = aws("iam", "upload-ssh-public-key", "--user-name", name, "--ssh-public-key-body", f"file://{path}")
    key_id = out.json["SSHPublicKey"]["SSHPublicKeyId"]
    got = aws("iam", "get-ssh-public-key", "--user-name", name, "--ssh-public-key-id", key_id, "--encoding", "PEM")
    assert got.json["SSHPublicKey"]["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----")
    listed = aws("iam", "list-ssh-public-keys", "--user-name", name).json
    assert [k["SSHPublicKeyId"] for k in listed["SSHPublicKeys"]] == [key_id]
    cert_path = tmp_path / "cert.pem"
    cert_path.write_text(certificate("cli.example"))
    cert = aws("iam", "upload-signing-certificate", "--user-name", name, "--certificate-body", f"file://{cert_path}")
    cert_id = cert.json["Certificate"]["CertificateId"]
    aws("iam", "delete-signing-certificate", "--user-name", name, "--certificate-id", cert_id)
    aws("iam", "delete-ssh-public-key", "--user-name", name, "--ssh-public-key-id", key_id)
