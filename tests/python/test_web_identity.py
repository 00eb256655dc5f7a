"""OIDC providers and AssumeRoleWithWebIdentity with boto3 and the aws CLI, against a local
issuer shaped like GitHub Actions': its own P-256 key, discovery document and JWKS served
over HTTPS on a loopback port with a certificate from a private CA that iamd trusts through
`--oidc-ca-file`. Tokens are signed here (ES256, with `cryptography`)."""

import base64
import http.server
import json
import ssl
import threading
import time

import boto3
import botocore.exceptions
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import ACCOUNT_ID, IamdServer, _iamd_bin, make_client
from test_tls import make_pki

SUB = "repo:org/app:ref:refs/heads/main"
AUD = "sts.amazonaws.com"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    def __init__(self, kid):
        self.kid = kid
        self.key = ec.generate_private_key(ec.SECP256R1())

    def jwk(self):
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    def sign(self, claims, kid=None):
        header = {"alg": "ES256", "typ": "JWT", "kid": kid or self.kid}
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class RsaSigner:
    """RS256, as GitHub Actions' issuer signs."""

    def __init__(self, kid):
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self):
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": b64url(numbers.n.to_bytes(256, "big")),
            "e": b64url(numbers.e.to_bytes(3, "big")),
        }

    def sign(self, claims, kid=None):
        header = {"alg": "RS256", "typ": "JWT", "kid": kid or self.kid}
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)


RSA_SIGNER = RsaSigner("gha-rsa")


def claims(iss, sub=SUB, aud=AUD, exp_in=600, **extra):
    now = int(time.time())
    return {"iss": iss, "sub": sub, "aud": aud, "iat": now - 5, "exp": now + exp_in, **extra}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("oidc-pki"))


@pytest.fixture(scope="module")
def signer():
    return Signer("gha-1")


@pytest.fixture(scope="module")
def issuer(pki, signer):
    """The local issuer's URL (https://127.0.0.1:PORT)."""
    _, chain, key = pki
    state = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": state["url"], "jwks_uri": state["url"] + "/jwks"}
            elif self.path == "/jwks":
                body = {"keys": [signer.jwk(), RSA_SIGNER.jwk()]}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "max-age=300")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(chain), str(key))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state["url"] = f"https://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state["url"]
    httpd.shutdown()


@pytest.fixture(scope="module")
def server(pki):
    """Overrides conftest's: iamd trusting the private CA for OIDC issuers."""
    ca, _, _ = pki
    srv = IamdServer(_iamd_bin(), extra_args=("--oidc-ca-file", str(ca)))
    yield srv
    assert srv.stop() == 0


@pytest.fixture(scope="module")
def provider_arn(iam, issuer):
    arn = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=[AUD], ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"]
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer[len('https://'):]}"
    return arn


@pytest.fixture(scope="module")
def anonymous_sts(endpoint):
    """boto3 sends AssumeRoleWithWebIdentity unsigned whatever credentials it has."""
    return make_client("sts", endpoint)


def session_client(endpoint, c):
    """An IAM client with the session credentials `c` (an STS answer's Credentials)."""
    return boto3.session.Session().client(
        "iam", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def make_role(iam, name, trust, policy):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return arn


def test_provider_crud_with_boto3_and_cli(iam, aws):
    arn = iam.create_open_id_connect_provider(
        Url="https://token.example.com", ClientIDList=["a"],
        ThumbprintList=["1c58a3a8518e8759bf075b76b750d4f2df264fcd"],
        Tags=[{"Key": "team", "Value": "ci"}],
    )["OpenIDConnectProviderArn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://token.example.com", ThumbprintList=[])
    assert code_of(e) == "EntityAlreadyExists"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_open_id_connect_provider(Url="http://token.example.com")
    assert code_of(e) == "ValidationError"
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.example.com"
    assert got["ClientIDList"] == ["b"]
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    listed = aws("iam", "list-open-id-connect-providers").json
    assert {"Arn": arn} in listed["OpenIDConnectProviderList"]
    assert aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn).returncode == 0
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert code_of(e) == "NoSuchEntity"


def test_update_provider_keeps_context_provider_and_identity_center(iam):
    """UpdateOpenIDConnectProvider (boto3 only: aws-cli 1 and aws-sdk-rust here predate it)
    sets, replaces and removes the two settings; GetOpenIDConnectProvider returns them."""
    arn = iam.create_open_id_connect_provider(
        Url="https://idc.example.com", ClientIDList=["a"],
        ThumbprintList=["1c58a3a8518e8759bf075b76b750d4f2df264fcd"],
    )["OpenIDConnectProviderArn"]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert "ContextProvider" not in got and "IdentityCenterInstanceArn" not in got
    context = {
        "KeyDefinitionList": [{"SourceKey": "email", "TargetKey": "user_email"}, {"SourceKey": "groups"}],
        "SubjectSourceKey": "sub",
        "SubjectTypeValue": "user",
    }
    instance = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
    iam.update_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ContextProvider=context, IdentityCenterInstanceArn=instance
    )
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ContextProvider"] == context
    assert got["IdentityCenterInstanceArn"] == instance
    assert got["ClientIDList"] == ["a"], "the rest of the provider is left"

    # Replacing one setting leaves the other.
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider={"SubjectSourceKey": "email"})
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (got["ContextProvider"], got["IdentityCenterInstanceArn"]) == ({"SubjectSourceKey": "email"}, instance)

    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ContextProvider=context, RemoveContextProvider=True
        )
    assert code_of(e) == "InvalidInput"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, IdentityCenterInstanceArn=instance, RemoveIdentityCenterInstance=True
        )
    assert code_of(e) == "InvalidInput"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider={"SubjectSourceKey": "k" * 129})
    assert code_of(e) == "ValidationError"

    iam.update_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, RemoveContextProvider=True, RemoveIdentityCenterInstance=True
    )
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert "ContextProvider" not in got and "IdentityCenterInstanceArn" not in got

    # A provider created with the settings keeps them too.
    created = iam.create_open_id_connect_provider(
        Url="https://idc2.example.com", ClientIDList=["a"], ContextProvider=context, IdentityCenterInstanceArn=instance
    )["OpenIDConnectProviderArn"]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=created)
    assert (got["ContextProvider"], got["IdentityCenterInstanceArn"]) == (context, instance)

    for a in (arn, created):
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=a)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    assert code_of(e) == "NoSuchEntity"


def test_github_actions_shaped_flow(iam, endpoint, anonymous_sts, issuer, provider_arn, signer):
    host = issuer[len("https://"):]
    role_arn = make_role(
        iam, "gha-deploy",
        {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider_arn},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {"StringEquals": {f"{host}:sub": SUB, f"{host}:aud": AUD}},
        }]},
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:ListPolicies", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
        ]},
    )
    out = anonymous_sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="gha", WebIdentityToken=signer.sign(claims(issuer))
    )
    assert out["SubjectFromWebIdentityToken"] == SUB
    assert out["Audience"] == AUD
    assert out["Provider"] == provider_arn
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/gha-deploy/gha"
    # RS256, as GitHub's issuer signs, from the same key set.
    rsa_out = anonymous_sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="gha-rsa",
        WebIdentityToken=RSA_SIGNER.sign(claims(issuer)),
    )
    assert rsa_out["SubjectFromWebIdentityToken"] == SUB
    c = out["Credentials"]
    session = session_client(endpoint, c)
    assert any(r["RoleName"] == "gha-deploy" for r in session.list_roles()["Roles"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session.list_policies()
    assert code_of(e) == "AccessDenied"

    # Session tags from the token's https://aws.amazon.com/tags claim.
    tagged = signer.sign(claims(issuer, **{"https://aws.amazon.com/tags": {
        "principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]}}))
    out = anonymous_sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="tagged", WebIdentityToken=tagged
    )
    assert 0 < out["PackedPolicySize"] <= 100
    c = out["Credentials"]
    session = session_client(endpoint, c)
    session.list_policies()

    refusals = [
        (signer.sign(claims(issuer, exp_in=-3600)), "ExpiredTokenException"),
        (Signer("gha-1").sign(claims(issuer)), "InvalidIdentityToken"),
        (signer.sign(claims(issuer, aud="elsewhere")), "InvalidIdentityToken"),
        (signer.sign(claims(issuer), kid="unknown"), "InvalidIdentityToken"),
        (signer.sign(claims(issuer, sub="repo:org/app:pull_request")), "AccessDenied"),
    ]
    for token, code in refusals:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            anonymous_sts.assume_role_with_web_identity(
                RoleArn=role_arn, RoleSessionName="xx", WebIdentityToken=token
            )
        assert code_of(e) == code, token
    with pytest.raises(botocore.exceptions.ClientError) as e:
        anonymous_sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="xx",
            WebIdentityToken=signer.sign(claims(issuer, aud="elsewhere")),
        )
    assert e.value.response["Error"]["Message"] == "Incorrect token audience"


def test_chained_session_keeps_transitive_tags(iam, endpoint, anonymous_sts, issuer, provider_arn, signer):
    first = make_role(
        iam, "wi-first",
        {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider_arn},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]}]},
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]},
    )
    second = make_role(
        iam, "wi-second",
        {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": first},
            "Action": ["sts:AssumeRole", "sts:TagSession"]}]},
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
            {"Effect": "Allow", "Action": "iam:ListPolicies", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/env": "ci"}}},
        ]},
    )
    token = signer.sign(claims(issuer, **{"https://aws.amazon.com/tags": {
        "principal_tags": {"team": ["blue"], "env": ["ci"]}, "transitive_tag_keys": ["team"]}}))
    c = anonymous_sts.assume_role_with_web_identity(
        RoleArn=first, RoleSessionName="first", WebIdentityToken=token
    )["Credentials"]
    chaining = boto3.session.Session().client(
        "sts", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )
    chained = chaining.assume_role(RoleArn=second, RoleSessionName="second")["Credentials"]
    session = session_client(endpoint, chained)
    session.list_roles()  # team=blue is transitive
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session.list_policies()  # env=ci is not
    assert code_of(e) == "AccessDenied"
