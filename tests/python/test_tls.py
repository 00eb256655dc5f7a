"""iamd over HTTPS (`--tls-cert`, `--tls-key`): boto3 with `verify=<ca.pem>` and the aws CLI
with `--ca-bundle`, against a certificate made here by a private CA."""

import datetime
import ipaddress
import socket
import ssl
import subprocess
import warnings

import botocore.exceptions
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import ACCOUNT_ID, ROOT_ARN, IamdServer, _iamd_bin, aws_cli_path, make_client


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory, rsa_key=False):
    """A private CA, and a server certificate it signs for localhost and 127.0.0.1.

    Returns (ca.pem, chain.pem, key.pem). The server key is written in the "traditional"
    OpenSSL form: SEC1 (`EC PRIVATE KEY`), or PKCS#1 (`RSA PRIVATE KEY`) with `rsa_key`; the
    Rust tests cover PKCS#8.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("iamd pytest CA"))
        .issuer_name(_name("iamd pytest CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    if rsa_key:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = directory / "ca.pem"
    chain_pem = directory / "chain.pem"
    key_pem = directory / "key.pem"
    ca_pem.write_bytes(ca.public_bytes(pem))
    chain_pem.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    key_pem.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    )
    return ca_pem, chain_pem, key_pem


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server(pki):
    """Overrides conftest's: the same iamd, serving HTTPS."""
    _, chain, key = pki
    srv = IamdServer(_iamd_bin(), extra_args=("--tls-cert", str(chain), "--tls-key", str(key)))
    try:
        yield srv
    finally:
        code = srv.stop()
    assert code == 0, f"iamd exited with {code} after SIGTERM"


@pytest.fixture(scope="module")
def ca(pki):
    return str(pki[0])


def test_the_printed_endpoint_is_https(server):
    assert server.endpoint.startswith("https://127.0.0.1:"), server.endpoint
    assert server.account == ACCOUNT_ID


def test_boto3_iam_and_sts_over_https(endpoint, ca, unique_name):
    iam = make_client("iam", endpoint, verify=ca)
    name = unique_name()
    user = iam.create_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert name in [u["UserName"] for u in iam.list_users()["Users"]]
    paginator = iam.get_paginator("list_users")
    assert any(u["UserName"] == name for page in paginator.paginate(MaxItems=1000) for u in page["Users"])

    sts = make_client("sts", endpoint, verify=ca)
    assert sts.get_caller_identity()["Arn"] == ROOT_ARN
    as_user = make_client(
        "sts", endpoint, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"], verify=ca
    )
    assert as_user.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert session["AccessKeyId"].startswith("ASIA")


def test_boto3_without_the_ca_refuses_the_certificate(endpoint):
    # The default trust store (certifi) does not know the private CA.
    iam = make_client("iam", endpoint)
    with pytest.raises(botocore.exceptions.SSLError):
        iam.list_users()


def test_plain_http_to_the_tls_port_fails(server):
    iam = make_client("iam", f"http://{server.host}:{server.port}")
    with pytest.raises(botocore.exceptions.BotoCoreError):
        iam.list_users()
    # Raw: the server answers a plain request with a TLS alert and closes.
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    assert data[:1] == b"\x15", data
    assert b"HTTP/" not in data


def test_python_ssl_alpn_offers_h2_and_http1(server, ca):
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.version() in ("TLSv1.3", "TLSv1.2")
    context.set_alpn_protocols(["http/1.1"])
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"


def test_tls_1_1_is_refused(server, ca):
    # rustls speaks TLS 1.2 and 1.3 only. OpenSSL offers TLS 1.1 only at security level 0.
    context = ssl.create_default_context(cafile=ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        except (ssl.SSLError, ValueError):
            pytest.skip("this OpenSSL cannot offer TLS 1.1")
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError) as refused:
            context.wrap_socket(raw, server_hostname="localhost")
    # The server's alert (rustls answers handshake_failure), not a local refusal to offer it.
    assert "ALERT" in str(refused.value).upper(), refused.value


def test_aws_cli_with_ca_bundle(aws, ca, unique_name):
    name = unique_name()
    user = aws("iam", "create-user", "--user-name", name, "--ca-bundle", ca).json["User"]
    assert user["UserName"] == name
    listed = aws("iam", "list-users", "--ca-bundle", ca).json
    assert name in [u["UserName"] for u in listed["Users"]]
    ident = aws("sts", "get-caller-identity", "--ca-bundle", ca).json
    assert ident["Arn"] == ROOT_ARN


def test_aws_cli_without_ca_bundle_fails_verification(aws):
    result = aws("iam", "list-users")
    assert result.returncode != 0
    assert "SSL" in result.stderr or "certificate" in result.stderr, result.stderr


def test_aws_cli_with_aws_ca_bundle_env(server, ca, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_CA_BUNDLE": ca,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    proc = subprocess.run(
        [aws_cli_path(), "sts", "get-caller-identity", "--endpoint-url", server.endpoint, "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert ROOT_ARN in proc.stdout


def test_an_rsa_pkcs1_key_serves(tmp_path):
    ca, chain, key = make_pki(tmp_path, rsa_key=True)
    assert key.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    srv = IamdServer(_iamd_bin(), extra_args=("--tls-cert", str(chain), "--tls-key", str(key)))
    try:
        sts = make_client("sts", srv.endpoint, verify=str(ca))
        assert sts.get_caller_identity()["Arn"] == ROOT_ARN
    finally:
        assert srv.stop() == 0
