"""User lifecycle through boto3, plus STS GetCallerIdentity."""

import datetime

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, ROOT_ARN
from helpers import client_error


def _no_such_user(exc, name):
    status, error = client_error(exc)
    assert status == 404
    assert error == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": f"The user with name {name} cannot be found.",
    }


def test_create_and_get_user(iam, unique_name):
    name = unique_name()
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    created = iam.create_user(UserName=name)["User"]
    after = datetime.datetime.now(datetime.timezone.utc)
    assert created["UserName"] == name
    assert created["Path"] == "/"
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    assert before - datetime.timedelta(seconds=1) <= created["CreateDate"] <= after + datetime.timedelta(seconds=1)
    assert "Tags" not in created
    assert "PasswordLastUsed" not in created

    got = iam.get_user(UserName=name)["User"]
    assert got == created


def test_get_user_is_case_insensitive(iam, unique_name):
    name = "CamelCase" + unique_name()
    created = iam.create_user(UserName=name)["User"]
    for variant in (name.lower(), name.upper(), name.swapcase()):
        got = iam.get_user(UserName=variant)["User"]
        # Stored casing is returned, whatever casing was asked for.
        assert got["UserName"] == name
        assert got["UserId"] == created["UserId"]


def test_names_are_unique_ignoring_case(iam, unique_name):
    name = "Dup" + unique_name()
    iam.create_user(UserName=name)
    for attempt in (name, name.upper(), name.lower()):
        with pytest.raises(ClientError) as exc:
            iam.create_user(UserName=attempt)
        status, error = client_error(exc)
        assert status == 409
        assert error == {
            "Type": "Sender",
            "Code": "EntityAlreadyExists",
            "Message": f"User with name {attempt} already exists.",
        }


def test_get_unknown_user(iam, unique_name):
    missing = unique_name("missing")
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=missing)
    _no_such_user(exc, missing)


def test_get_user_without_name_as_root(iam):
    user = iam.get_user()["User"]
    assert user["Arn"] == ROOT_ARN
    assert user["UserId"] == ACCOUNT_ID
    assert "UserName" not in user


def test_list_users_with_path_prefix(iam, unique_name):
    tag = unique_name("p")
    eng = f"/{tag}/engineering/"
    ops = f"/{tag}/ops/"
    names_eng = sorted(unique_name(f"e{i}") for i in range(3))
    name_ops = unique_name("o")
    for n in names_eng:
        iam.create_user(UserName=n, Path=eng)
    iam.create_user(UserName=name_ops, Path=ops)

    resp = iam.list_users(PathPrefix=eng)
    assert sorted(u["UserName"] for u in resp["Users"]) == names_eng
    assert resp["IsTruncated"] is False and "Marker" not in resp
    for u in resp["Users"]:
        assert u["Path"] == eng
        assert u["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user{eng}{u['UserName']}"

    everyone = iam.list_users(PathPrefix=f"/{tag}/")["Users"]
    assert sorted(u["UserName"] for u in everyone) == sorted(names_eng + [name_ops])

    # Plain string prefix, not whole path segments.
    partial = iam.list_users(PathPrefix=f"/{tag}/eng")["Users"]
    assert sorted(u["UserName"] for u in partial) == names_eng

    empty = iam.list_users(PathPrefix=f"/{tag}/nobody/")
    assert empty["Users"] == [] and empty["IsTruncated"] is False and "Marker" not in empty

    # Paging through the prefix with boto3's paginator.
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix=eng, PaginationConfig={"PageSize": 1}))
    assert len(pages) == 3
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    assert sorted(u["UserName"] for p in pages for u in p["Users"]) == names_eng


def test_list_users_omits_tags(iam, unique_name):
    prefix = f"/{unique_name('t')}/"
    name = unique_name()
    iam.create_user(UserName=name, Path=prefix, Tags=[{"Key": "team", "Value": "blue"}])
    (item,) = iam.list_users(PathPrefix=prefix)["Users"]
    assert item["UserName"] == name
    assert "Tags" not in item


def test_tags_round_trip(iam, unique_name):
    name = unique_name()
    tags = [
        {"Key": "team", "Value": "blue"},
        {"Key": "cost-center", "Value": "12345"},
        {"Key": "empty", "Value": ""},
        {"Key": "spaces and:symbols/=+-@", "Value": "a b.c_d"},
    ]
    created = iam.create_user(UserName=name, Tags=tags)["User"]
    assert created["Tags"] == tags
    assert iam.get_user(UserName=name)["User"]["Tags"] == tags


def test_rename_user_keys_follow(iam, new_user, user_client, sts):
    old = new_user("old")
    created = iam.get_user(UserName=old)["User"]
    key = iam.create_access_key(UserName=old)["AccessKey"]
    new = old.replace("-old-", "-new-")
    assert new != old

    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")

    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=old)
    _no_such_user(exc, old)
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=old)
    _no_such_user(exc, old)

    user = iam.get_user(UserName=new)["User"]
    assert user["UserId"] == created["UserId"]
    assert user["CreateDate"] == created["CreateDate"]
    assert user["Path"] == "/moved/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/moved/{new}"

    (item,) = iam.list_access_keys(UserName=new)["AccessKeyMetadata"]
    assert item["AccessKeyId"] == key["AccessKeyId"]
    assert item["UserName"] == new
    assert item["CreateDate"] == key["CreateDate"]

    # The key keeps working and now identifies the renamed user.
    ident = user_client(key, service="sts").get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/moved/{new}"
    assert ident["UserId"] == created["UserId"]
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["UserName"] == new


def test_rename_onto_existing_name_conflicts(iam, new_user):
    a = new_user("a")
    b = new_user("b")
    with pytest.raises(ClientError) as exc:
        iam.update_user(UserName=a, NewUserName=b.upper())
    status, error = client_error(exc)
    assert status == 409
    assert error["Code"] == "EntityAlreadyExists"
    assert iam.get_user(UserName=a)["User"]["UserName"] == a


def test_update_unknown_user(iam, unique_name):
    missing = unique_name("missing")
    with pytest.raises(ClientError) as exc:
        iam.update_user(UserName=missing, NewUserName=unique_name("x"))
    _no_such_user(exc, missing)


def test_delete_user_conflicts_while_keys_exist(iam, new_user):
    name = new_user()
    keys = [iam.create_access_key(UserName=name)["AccessKey"] for _ in range(2)]

    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    status, error = client_error(exc)
    assert status == 409
    assert error == {
        "Type": "Sender",
        "Code": "DeleteConflict",
        "Message": "Cannot delete entity, must delete access keys first.",
    }
    assert iam.get_user(UserName=name)["User"]["UserName"] == name

    iam.delete_access_key(UserName=name, AccessKeyId=keys[0]["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert client_error(exc)[1]["Code"] == "DeleteConflict"

    iam.delete_access_key(UserName=name, AccessKeyId=keys[1]["AccessKeyId"])
    resp = iam.delete_user(UserName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(resp) == {"ResponseMetadata"}

    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=name)
    _no_such_user(exc, name)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    _no_such_user(exc, name)


def test_deleted_key_no_longer_authenticates(iam, new_user, user_client):
    name = new_user()
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = user_client(key, service="sts")
    assert as_user.get_caller_identity()["Arn"].endswith(f":user/{name}")
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        as_user.get_caller_identity()
    status, error = client_error(exc)
    assert status == 403
    assert error["Code"] == "InvalidClientTokenId"


def test_recreated_user_gets_new_id(iam, unique_name):
    name = unique_name()
    first = iam.create_user(UserName=name)["User"]
    iam.delete_user(UserName=name)
    second = iam.create_user(UserName=name)["User"]
    assert second["UserId"] != first["UserId"]
    assert second["Arn"] == first["Arn"]


def test_access_key_errors_for_unknown_key(iam, new_user):
    name = new_user()
    bogus = "AKIAZZZZZZZZZZZZZZZZ"
    for call in (
        lambda: iam.update_access_key(UserName=name, AccessKeyId=bogus, Status="Inactive"),
        lambda: iam.delete_access_key(UserName=name, AccessKeyId=bogus),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        status, error = client_error(exc)
        assert status == 404
        assert error == {
            "Type": "Sender",
            "Code": "NoSuchEntity",
            "Message": f"The Access Key with id {bogus} cannot be found.",
        }


def test_create_access_key_for_unknown_user(iam, unique_name):
    missing = unique_name("missing")
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=missing)
    _no_such_user(exc, missing)


def test_get_caller_identity_root(sts):
    ident = sts.get_caller_identity()
    assert ident["Arn"] == ROOT_ARN
    assert ident["Account"] == ACCOUNT_ID
    assert ident["UserId"] == ACCOUNT_ID


def test_get_caller_identity_user(iam, unique_name, user_client):
    name = unique_name()
    user = iam.create_user(UserName=name, Path="/team/")["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    ident = user_client(key, service="sts").get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/team/{name}"
    assert ident["Account"] == ACCOUNT_ID
    assert ident["UserId"] == user["UserId"]


@pytest.mark.parametrize("region", ["us-east-1", "ap-northeast-1"])
def test_clients_in_other_regions_work(endpoint, region):
    from conftest import make_client

    assert make_client("sts", endpoint, region=region).get_caller_identity()["Arn"] == ROOT_ARN
    assert "Users" in make_client("iam", endpoint, region=region).list_users()
