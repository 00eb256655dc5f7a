"""STS session credentials through boto3: GetSessionToken, then calls with the temporary
credentials, then a tampered token."""

import datetime

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT_ID, NO_RETRY, REGION


def session_client(service, endpoint, creds, token=None):
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=token if token is not None else creds["SessionToken"],
        config=NO_RETRY,
    )


@pytest.fixture
def user_key(iam, new_user):
    name = new_user()
    return name, iam.create_access_key(UserName=name)["AccessKey"]


def test_session_round_trip(endpoint, user_client, user_key):
    name, key = user_key
    creds = user_client(key, service="sts").get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    lifetime = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(seconds=800) < lifetime <= datetime.timedelta(seconds=900)

    me = session_client("sts", endpoint, creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert me["Account"] == ACCOUNT_ID
    assert me["UserId"].startswith("AIDA")


def test_tampered_token_is_refused(endpoint, user_client, user_key):
    _, key = user_key
    creds = user_client(key, service="sts").get_session_token()["Credentials"]
    token = creds["SessionToken"]
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session_client("sts", endpoint, creds, token=tampered).get_caller_identity()
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidClientTokenId"
    assert err["Message"] == "The security token included in the request is invalid"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_session_credentials_cannot_call_iam_without_mfa(endpoint, user_client, user_key):
    _, key = user_key
    creds = user_client(key, service="sts").get_session_token()["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session_client("iam", endpoint, creds).list_access_keys()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_get_session_token_with_session_credentials_is_denied(endpoint, user_client, user_key):
    _, key = user_key
    creds = user_client(key, service="sts").get_session_token()["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session_client("sts", endpoint, creds).get_session_token()
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
    )


def test_deactivated_parent_key_ends_the_session(endpoint, iam, user_client, user_key):
    name, key = user_key
    creds = user_client(key, service="sts").get_session_token()["Credentials"]
    temp = session_client("sts", endpoint, creds)
    temp.get_caller_identity()
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        temp.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_session_use_is_recorded_on_the_parent_key(endpoint, iam, user_client, user_key):
    _, key = user_key
    creds = user_client(key, service="sts", region="ap-southeast-2").get_session_token()["Credentials"]
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("sts", "ap-southeast-2")
    assert "LastUsedDate" in used
    session_client("sts", endpoint, creds).get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["Region"] == REGION
