"""Roles and AssumeRole through boto3."""

import datetime
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, NO_RETRY, REGION

READ_KEYS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListAccessKeys", "Resource": "*"}]}
)


def trust(principal, condition=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def session_client(service, endpoint, creds):
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=NO_RETRY,
    )


@pytest.fixture
def user_key(iam, new_user):
    def make():
        name = new_user()
        return name, iam.create_access_key(UserName=name)["AccessKey"]

    return make


def make_role(iam, name, trust_policy):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="read-keys", PolicyDocument=READ_KEYS)
    return arn


def test_assume_role_and_act_as_it(endpoint, iam, user_key, user_client, unique_name):
    name, key = user_key()
    other, _ = user_key()
    role_name = unique_name("role")
    role_arn = make_role(iam, role_name, trust(f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))
    out = user_client(key, service="sts").assume_role(RoleArn=role_arn, RoleSessionName="py-session")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/py-session"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")

    me = session_client("sts", endpoint, creds).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert me["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]

    iam_as_role = session_client("iam", endpoint, creds)
    with pytest.raises(ClientError) as exc:
        iam_as_role.list_access_keys()
    assert exc.value.response["Error"]["Code"] == "ValidationError"
    assert exc.value.response["Error"]["Message"] == "Must specify userName when calling with non-User credentials"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(iam_as_role.list_access_keys(UserName=other)["AccessKeyMetadata"]) == 1


def test_untrusted_caller_is_denied(iam, user_key, user_client, unique_name):
    _, key = user_key()
    role_arn = make_role(iam, unique_name("role"), trust(f"arn:aws:iam::{ACCOUNT_ID}:user/nobody"))
    with pytest.raises(ClientError) as exc:
        user_client(key, service="sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")
    err = exc.value.response["Error"]
    assert err["Code"] == "AccessDenied"
    assert err["Message"].endswith(f"is not authorized to perform: sts:AssumeRole on resource: {role_arn}")


def test_external_id(iam, user_key, user_client, unique_name):
    name, key = user_key()
    role_arn = make_role(
        iam,
        unique_name("role"),
        trust(f"arn:aws:iam::{ACCOUNT_ID}:user/{name}", {"StringEquals": {"sts:ExternalId": "xyz-123"}}),
    )
    sts = user_client(key, service="sts")
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="xyz-123")


def test_session_policy_narrows(endpoint, iam, user_key, user_client, unique_name):
    name, key = user_key()
    role_arn = make_role(iam, unique_name("role"), trust(f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))
    deny_all = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    creds = user_client(key, service="sts").assume_role(RoleArn=role_arn, RoleSessionName="narrow", Policy=deny_all)[
        "Credentials"
    ]
    with pytest.raises(ClientError) as exc:
        session_client("iam", endpoint, creds).list_access_keys(UserName=name)
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_role_chaining_is_limited_to_an_hour(endpoint, iam, user_key, user_client, unique_name):
    name, key = user_key()
    first = make_role(iam, unique_name("first"), trust(f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))
    second_name = unique_name("second")
    second = iam.create_role(RoleName=second_name, AssumeRolePolicyDocument=trust(first), MaxSessionDuration=43200)[
        "Role"
    ]["Arn"]
    creds = user_client(key, service="sts").assume_role(RoleArn=first, RoleSessionName="one")["Credentials"]
    chained = session_client("sts", endpoint, creds)
    with pytest.raises(ClientError) as exc:
        chained.assume_role(RoleArn=second, RoleSessionName="two", DurationSeconds=7200)
    assert exc.value.response["Error"]["Message"] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )
    chained.assume_role(RoleArn=second, RoleSessionName="two", DurationSeconds=3600)


def test_role_last_used(endpoint, iam, user_key, user_client, unique_name):
    """GetRole's RoleLastUsed: present and empty until a session of the role signs a
    request, then that request's time and region; ListRoles leaves it out, as AWS does."""
    name, key = user_key()
    role_name = unique_name("role")
    role_arn = make_role(iam, role_name, trust(f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"))
    assert iam.get_role(RoleName=role_name)["Role"]["RoleLastUsed"] == {}

    creds = user_client(key, service="sts").assume_role(RoleArn=role_arn, RoleSessionName="py-used")["Credentials"]
    assert iam.get_role(RoleName=role_name)["Role"]["RoleLastUsed"] == {}, "assuming is not using"
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=1)
    session_client("sts", endpoint, creds).get_caller_identity()
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)

    used = iam.get_role(RoleName=role_name)["Role"]["RoleLastUsed"]
    assert used["Region"] == REGION
    assert before <= used["LastUsedDate"] <= after
    listed = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role_name]
    assert len(listed) == 1 and "RoleLastUsed" not in listed[0]
