"""Console sessions (`POST /iamd/v1/console-session`, iamd's own) with boto3: a user's
console password gets credentials that boto3 signs with and that act as the user; a new
password ends them; a wrong password gets none; a user with an MFA device needs a fresh
code, and its session is MFA-authenticated."""

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION

PASSWORD = "Console-Pass-42"


def console_session(endpoint, user, password, mfa_code=None):
    fields = {"account": ACCOUNT_ID, "user": user, "password": password}
    if mfa_code is not None:
        fields["mfaCode"] = mfa_code
    body = json.dumps(fields).encode()
    req = urllib.request.Request(
        endpoint + "/iamd/v1/console-session",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def session_client(service, endpoint, creds):
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
    )


def test_console_session_acts_as_the_user_until_the_password_changes(iam, endpoint, unique_name):
    name = unique_name("console")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD)
    iam.put_user_policy(
        UserName=name,
        PolicyName="read",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}],
        }),
    )
    status, answer = console_session(endpoint, name, "Wrong-Pass-1")
    assert (status, answer) == (401, {"result": "denied"})

    status, answer = console_session(endpoint, name, PASSWORD)
    assert status == 200 and answer["mustChangePassword"] is False
    creds = answer["credentials"]
    sts = session_client("sts", endpoint, creds)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    user_iam = session_client("iam", endpoint, creds)
    assert user_iam.get_user()["User"]["UserName"] == name
    with pytest.raises(ClientError) as exc:
        user_iam.list_users()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"

    iam.update_login_profile(UserName=name, Password="Another-Pass-2")
    with pytest.raises(ClientError) as exc:
        user_iam.get_user()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
    iam.delete_login_profile(UserName=name)
    iam.delete_user_policy(UserName=name, PolicyName="read")
    iam.delete_user(UserName=name)


def test_a_user_with_an_mfa_device_signs_in_with_a_fresh_code(iam, endpoint, unique_name):
    from test_mfa import create_device, step_now, totp

    name = unique_name("mfa")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD)
    iam.put_user_policy(
        UserName=name,
        PolicyName="groups-with-mfa",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:ListGroups",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ],
            }
        ),
    )
    device, key = create_device(iam, unique_name("phone"))
    step = step_now()
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(key, step - 1),
        AuthenticationCode2=totp(key, step),
    )
    status, body = console_session(endpoint, name, PASSWORD)
    assert (status, body["result"]) == (401, "mfaRequired")
    assert "credentials" not in body
    # The code EnableMFADevice spent is a replay.
    status, body = console_session(endpoint, name, PASSWORD, mfa_code=totp(key, step))
    assert (status, body["result"]) == (401, "mfaInvalid")

    status, body = console_session(endpoint, name, PASSWORD, mfa_code=totp(key, step + 1))
    assert status == 200, body
    groups = session_client("iam", endpoint, body["credentials"]).list_groups()
    assert "Groups" in groups
