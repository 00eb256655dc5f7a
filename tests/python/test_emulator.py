"""`iamd serve --mode emulator` with boto3, as moto's users call it: FOOBARKEY/FOOBARSECRET
act as the account's root, `POST /moto-api/reset` (and `/iamd/v1/reset`) empties the store
in milliseconds; the default mode refuses such keys and has no reset."""

import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, IamdServer, _iamd_bin


DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def client(service, endpoint, key="FOOBARKEY", secret="FOOBARSECRET"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def post(endpoint, path):
    req = urllib.request.Request(endpoint + path, data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def emulator():
    srv = IamdServer(_iamd_bin(), extra_args=["--mode", "emulator"])
    yield srv.endpoint
    assert srv.stop() == 0


def test_foobar_keys_are_root(emulator):
    for key in ("FOOBARKEY", "testing"):
        who = client("sts", emulator, key=key).get_caller_identity()
        assert who["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
        assert who["Account"] == ACCOUNT_ID


def test_foobar_keys_get_session_and_federation_tokens(emulator):
    """moto's users call GetSessionToken and GetFederationToken with made-up keys too: the
    sessions act as the root (session) and as a federated user of the account, and the
    key ids they return work on their own."""
    sts = client("sts", emulator)
    creds = sts.get_session_token(DurationSeconds=903)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    session = boto3.client(
        "sts",
        endpoint_url=emulator,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    assert session["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    fed = sts.get_federation_token(
        Name="Bob",
        DurationSeconds=903,
        Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
    )
    assert fed["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/Bob"
    # GetAccessKeyInfo of a key iamd holds names its owner's account.
    iam = client("iam", emulator)
    iam.create_user(UserName="keyinfo")
    key = iam.create_access_key(UserName="keyinfo")["AccessKey"]["AccessKeyId"]
    assert sts.get_access_key_info(AccessKeyId=key)["Account"] == ACCOUNT_ID


@pytest.mark.parametrize("path", ["/moto-api/reset", "/iamd/v1/reset"])
def test_reset_empties_the_store(emulator, path):
    iam = client("iam", emulator)
    assert post(emulator, path)[0] == 200
    iam.create_user(UserName="alice")
    iam.create_access_key(UserName="alice")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    arn = iam.create_policy(PolicyName="p", PolicyDocument=DOC)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    started = time.monotonic()
    assert post(emulator, path) == (200, '{"status":"ok"}')
    assert time.monotonic() - started < 1
    assert iam.list_users()["Users"] == []
    assert iam.list_groups()["Groups"] == []
    assert iam.list_roles()["Roles"] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []
    # The names are free again, and the account is the same.
    iam.create_user(UserName="alice")
    assert client("sts", emulator).get_caller_identity()["Account"] == ACCOUNT_ID
    assert post(emulator, path)[0] == 200


def test_default_mode_refuses_foobar_and_has_no_reset(endpoint):
    with pytest.raises(ClientError) as exc:
        client("sts", endpoint).get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
    for path in ("/moto-api/reset", "/iamd/v1/reset"):
        assert post(endpoint, path)[0] == 404
