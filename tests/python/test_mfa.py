"""Virtual MFA devices and MFA sessions through boto3 and the aws CLI. Codes are computed
here from the returned seed (RFC 6238 with hmac, checked against the RFC's vectors), as an
authenticator app computes them."""

import base64
import hashlib
import hmac
import json
import struct
import time

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT_ID, NO_RETRY, REGION

INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "


def totp(key: bytes, step: int) -> str:
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    (n,) = struct.unpack(">I", digest[offset : offset + 4])
    return f"{(n & 0x7FFFFFFF) % 1_000_000:06d}"


def step_now() -> int:
    return int(time.time()) // 30


def test_totp_matches_rfc_6238():
    key = b"12345678901234567890"
    for t, code in [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (20000000000, "353130")]:
        assert totp(key, t // 30) == code


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


def create_device(iam, name, **kwargs):
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, **kwargs)["VirtualMFADevice"]
    # boto3 decodes the blob: the Base32 text of the seed.
    seed = device["Base32StringSeed"].decode()
    return device, base64.b32decode(seed)


def enable(iam, user, serial, key):
    s = step_now()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=serial,
        AuthenticationCode1=totp(key, s - 2),
        AuthenticationCode2=totp(key, s - 1),
    )


def wrong_code(key):
    near = {totp(key, s) for s in range(step_now() - 3, step_now() + 4)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def error_of(excinfo):
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_create_enable_list_and_delete(iam, new_user, unique_name):
    user = new_user()
    name = unique_name("dev")
    device, key = create_device(iam, name, Path="/py/", Tags=[{"Key": "team", "Value": "a"}])
    serial = device["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT_ID}:mfa/py/{name}"
    assert len(key) == 40
    png = device["QRCodePNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"

    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1=wrong_code(key), AuthenticationCode2=wrong_code(key)
        )
    assert error_of(e) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    enable(iam, user, serial, key)

    listed = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [(user, serial)]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    mine = [d for d in assigned if d["SerialNumber"] == serial]
    assert mine and mine[0]["User"]["UserName"] == user and "EnableDate" in mine[0]
    assert all("Base32StringSeed" not in d for d in assigned)
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "team", "Value": "a"}]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_user(UserName=user)
    assert error_of(e) == ("DeleteConflict", "Cannot delete entity, must delete MFA device first.", 409)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(e)[0] == "DeleteConflict"

    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in unassigned]
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(e) == (
        "NoSuchEntity",
        f"VirtualMFADevice with serial number {serial} doesn't exist.",
        404,
    )
    iam.delete_user(UserName=user)


def test_an_mfa_session_may_call_iam_once_per_code(endpoint, iam, new_user, unique_name, user_client):
    user = new_user()
    iam.put_user_policy(
        UserName=user,
        PolicyName="mfa-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:GetUser",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ],
            }
        ),
    )
    access_key = iam.create_access_key(UserName=user)["AccessKey"]
    device, key = create_device(iam, unique_name("dev"))
    serial = device["SerialNumber"]
    enable(iam, user, serial, key)
    sts = user_client(access_key, service="sts")

    plain = sts.get_session_token()["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session_client("iam", endpoint, plain).get_user()
    assert error_of(e)[0] == "InvalidClientTokenId"

    code = totp(key, step_now())
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    got = session_client("iam", endpoint, creds).get_user()
    assert got["User"]["UserName"] == user

    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode=code)
    assert error_of(e) == ("AccessDenied", INVALID_CODE, 403)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode=wrong_code(key))
    assert error_of(e) == ("AccessDenied", INVALID_CODE, 403)


def test_cli_creates_and_lists_virtual_devices(aws, unique_name, tmp_path):
    name = unique_name("cli")
    seed_file = tmp_path / "seed.txt"
    out = aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name, "--outfile", str(seed_file),
              "--bootstrap-method", "Base32StringSeed")
    assert out.returncode == 0, out.stderr
    serial = out.json["VirtualMFADevice"]["SerialNumber"]
    # The CLI writes the seed to the file (and leaves it out of its output).
    assert len(base64.b32decode(seed_file.read_text().strip())) == 40
    listed = aws("iam", "list-virtual-mfa-devices", "--assignment-status", "Unassigned").json
    assert serial in [d["SerialNumber"] for d in listed["VirtualMFADevices"]]
    summary = aws("iam", "get-account-summary").json["SummaryMap"]
    assert summary["MFADevices"] >= 1
    assert aws("iam", "delete-virtual-mfa-device", "--serial-number", serial).returncode == 0
