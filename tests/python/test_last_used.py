"""GetAccessKeyLastUsed: N/A before use, then the signing service and region."""

import datetime

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT_ARN, ROOT_KEY_ID, allow_self_service
from helpers import client_error


def _fresh_key(iam, new_user):
    name = new_user()
    allow_self_service(iam, name)
    return name, iam.create_access_key(UserName=name)["AccessKey"]


def test_unused_key_reports_not_applicable(iam, new_user):
    name, key = _fresh_key(iam, new_user)
    resp = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert resp["UserName"] == name
    assert resp["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}


def test_managing_a_key_does_not_count_as_use(iam, new_user):
    name, key = _fresh_key(iam, new_user)
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    iam.list_access_keys(UserName=name)
    resp = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert resp["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}


def test_iam_call_records_service_and_region(iam, new_user, user_client):
    name, key = _fresh_key(iam, new_user)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=1)
    user_client(key, region="eu-west-1").list_access_keys()
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)

    resp = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert resp["UserName"] == name
    used = resp["AccessKeyLastUsed"]
    assert used["ServiceName"] == "iam"
    assert used["Region"] == "eu-west-1"
    assert "LastUsedDate" in used
    assert before <= used["LastUsedDate"] <= after


def test_sts_call_later_records_sts(iam, new_user, user_client):
    name, key = _fresh_key(iam, new_user)
    user_client(key, region="eu-west-1").list_access_keys()
    first = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert (first["ServiceName"], first["Region"]) == ("iam", "eu-west-1")

    ident = user_client(key, service="sts", region="ap-southeast-2").get_caller_identity()
    assert ident["Arn"].endswith(f":user/{name}")

    later = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert later["ServiceName"] == "sts"
    assert later["Region"] == "ap-southeast-2"
    assert later["LastUsedDate"] >= first["LastUsedDate"]


def test_failed_signature_does_not_count_as_use(iam, new_user, user_client):
    name, key = _fresh_key(iam, new_user)
    wrong = dict(key, SecretAccessKey="x" * 40)
    with pytest.raises(ClientError) as exc:
        user_client(wrong).list_access_keys()
    assert client_error(exc)[1]["Code"] == "SignatureDoesNotMatch"
    resp = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert resp["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}


def test_root_key_last_used(iam):
    iam.list_users()
    resp = iam.get_access_key_last_used(AccessKeyId=ROOT_KEY_ID)
    used = resp["AccessKeyLastUsed"]
    assert used["ServiceName"] == "iam"
    assert used["Region"] == "eu-west-1"
    assert "LastUsedDate" in used


def test_unknown_key_is_access_denied(iam):
    bogus = "AKIAZZZZZZZZZZZZZZZZ"
    with pytest.raises(ClientError) as exc:
        iam.get_access_key_last_used(AccessKeyId=bogus)
    status, error = client_error(exc)
    assert status == 403
    assert error == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": f"User: {ROOT_ARN} is not authorized to perform iam:GetAccessKeyLastUsed "
        f"on resource: access key {bogus}",
    }


def test_deleted_key_is_access_denied(iam, new_user):
    name, key = _fresh_key(iam, new_user)
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    status, error = client_error(exc)
    assert status == 403
    assert error["Code"] == "AccessDenied"
    assert error["Message"].endswith(f"access key {key['AccessKeyId']}")
