"""ListAccessKeys through boto3: identities, paging (by hand and boto3's paginator), errors."""

import base64

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT_KEY_ID, ROOT_SECRET, allow_self_service
from helpers import client_error


def _ids(resp):
    return [k["AccessKeyId"] for k in resp["AccessKeyMetadata"]]


def _user_with_keys(iam, new_user, n):
    name = new_user()
    keys = [iam.create_access_key(UserName=name)["AccessKey"] for _ in range(n)]
    allow_self_service(iam, name)
    return name, keys


def test_root_lists_own_keys_without_username(iam):
    resp = iam.list_access_keys()
    assert resp["IsTruncated"] is False
    assert "Marker" not in resp
    root_keys = [k for k in resp["AccessKeyMetadata"] if k["AccessKeyId"] == ROOT_KEY_ID]
    assert len(root_keys) == 1
    key = root_keys[0]
    assert key["Status"] == "Active"
    assert "CreateDate" in key
    # Root keys carry no UserName element.
    assert "UserName" not in key
    # Only root's keys: never a key belonging to an IAM user.
    assert all("UserName" not in k for k in resp["AccessKeyMetadata"])


def test_root_listing_does_not_include_user_keys(iam, new_user):
    name, keys = _user_with_keys(iam, new_user, 1)
    assert keys[0]["AccessKeyId"] not in _ids(iam.list_access_keys())


def test_user_lists_own_keys_without_username(iam, new_user, user_client):
    name, keys = _user_with_keys(iam, new_user, 2)
    as_user = user_client(keys[0])
    resp = as_user.list_access_keys()
    assert resp["IsTruncated"] is False
    assert "Marker" not in resp
    assert sorted(_ids(resp)) == sorted(k["AccessKeyId"] for k in keys)
    for item in resp["AccessKeyMetadata"]:
        assert item["UserName"] == name
        assert item["Status"] == "Active"
    # Explicit UserName from root gives the same set.
    assert sorted(_ids(iam.list_access_keys(UserName=name))) == sorted(_ids(resp))


def test_list_item_fields_match_create(iam, new_user):
    name, keys = _user_with_keys(iam, new_user, 1)
    resp = iam.list_access_keys(UserName=name)
    assert len(resp["AccessKeyMetadata"]) == 1
    item = resp["AccessKeyMetadata"][0]
    created = keys[0]
    assert set(item) == {"UserName", "AccessKeyId", "Status", "CreateDate"}
    assert item["UserName"] == name
    assert item["AccessKeyId"] == created["AccessKeyId"]
    assert item["Status"] == "Active"
    assert item["CreateDate"] == created["CreateDate"]
    assert created["AccessKeyId"].startswith("AKIA") and len(created["AccessKeyId"]) == 20
    assert len(created["SecretAccessKey"]) == 40


def test_paging_by_hand_with_max_items(iam, new_user):
    name, keys = _user_with_keys(iam, new_user, 2)

    page1 = iam.list_access_keys(UserName=name, MaxItems=1)
    assert len(page1["AccessKeyMetadata"]) == 1
    assert page1["IsTruncated"] is True
    assert isinstance(page1["Marker"], str) and page1["Marker"]

    page2 = iam.list_access_keys(UserName=name, MaxItems=1, Marker=page1["Marker"])
    assert len(page2["AccessKeyMetadata"]) == 1
    assert page2["IsTruncated"] is False
    assert "Marker" not in page2

    seen = _ids(page1) + _ids(page2)
    assert sorted(seen) == sorted(k["AccessKeyId"] for k in keys)
    assert len(set(seen)) == 2

    # MaxItems equal to the count: everything, not truncated.
    full = iam.list_access_keys(UserName=name, MaxItems=2)
    assert full["IsTruncated"] is False
    assert "Marker" not in full
    assert _ids(full) == seen


def test_boto3_paginator_collects_all_keys(iam, new_user):
    name, keys = _user_with_keys(iam, new_user, 2)
    paginator = iam.get_paginator("list_access_keys")
    pages = list(paginator.paginate(UserName=name, PaginationConfig={"PageSize": 1}))
    assert len(pages) == 2
    assert [p["IsTruncated"] for p in pages] == [True, False]
    assert "Marker" in pages[0] and "Marker" not in pages[1]
    collected = [k["AccessKeyId"] for p in pages for k in p["AccessKeyMetadata"]]
    assert sorted(collected) == sorted(k["AccessKeyId"] for k in keys)

    # build_full_result() merges the pages the same way.
    full = paginator.paginate(UserName=name, PaginationConfig={"PageSize": 1}).build_full_result()
    assert sorted(_ids(full)) == sorted(collected)

    # MaxItems in PaginationConfig makes boto3 hand back a NextToken to resume from.
    first = paginator.paginate(
        UserName=name, PaginationConfig={"PageSize": 1, "MaxItems": 1}
    ).build_full_result()
    assert len(first["AccessKeyMetadata"]) == 1
    assert "NextToken" in first
    rest = paginator.paginate(
        UserName=name, PaginationConfig={"PageSize": 1, "StartingToken": first["NextToken"]}
    ).build_full_result()
    assert sorted(_ids(first) + _ids(rest)) == sorted(collected)


def test_paginator_for_root_without_username(iam):
    pages = list(iam.get_paginator("list_access_keys").paginate(PaginationConfig={"PageSize": 1}))
    collected = [k["AccessKeyId"] for p in pages for k in p["AccessKeyMetadata"]]
    assert ROOT_KEY_ID in collected
    assert sorted(collected) == sorted(_ids(iam.list_access_keys()))
    assert pages[-1]["IsTruncated"] is False


def test_empty_list(iam, new_user):
    name = new_user()
    resp = iam.list_access_keys(UserName=name)
    assert resp["AccessKeyMetadata"] == []
    assert resp["IsTruncated"] is False
    assert "Marker" not in resp


def test_unknown_user_is_no_such_entity(iam, unique_name):
    missing = unique_name("missing")
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=missing)
    status, error = client_error(exc)
    assert status == 404
    assert error == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": f"The user with name {missing} cannot be found.",
    }
    assert type(exc.value).__name__ == "NoSuchEntityException"


def test_max_items_over_1000_is_validation_error(iam, new_user):
    name = new_user()
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=name, MaxItems=1001)
    status, error = client_error(exc)
    assert status == 400
    assert error == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000",
    }
    # The boundary itself is fine.
    assert iam.list_access_keys(UserName=name, MaxItems=1000)["IsTruncated"] is False


def _assert_invalid_marker(exc):
    status, error = client_error(exc)
    assert status == 400
    assert error == {"Type": "Sender", "Code": "ValidationError", "Message": "Invalid Marker."}


@pytest.mark.parametrize(
    "marker",
    [
        "not-a-marker",
        base64.urlsafe_b64encode(b'{"op":"ListAccessKeys","last":"AKIAAAAAAAAAAAAAAAAA"}').decode(),
        "A" * 64,
    ],
    ids=["garbage", "forged-json", "long-letters"],
)
def test_forged_marker_is_rejected(iam, new_user, marker):
    name, _ = _user_with_keys(iam, new_user, 1)
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=name, Marker=marker)
    _assert_invalid_marker(exc)


def test_tampered_real_marker_is_rejected(iam, new_user):
    name, _ = _user_with_keys(iam, new_user, 2)
    marker = iam.list_access_keys(UserName=name, MaxItems=1)["Marker"]
    # Change one character in the middle.
    i = len(marker) // 2
    swapped = "B" if marker[i] != "B" else "C"
    tampered = marker[:i] + swapped + marker[i + 1 :]
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=name, Marker=tampered)
    _assert_invalid_marker(exc)


def test_another_users_marker_is_rejected(iam, new_user):
    alice, _ = _user_with_keys(iam, new_user, 2)
    bob, _ = _user_with_keys(iam, new_user, 2)
    alice_marker = iam.list_access_keys(UserName=alice, MaxItems=1)["Marker"]
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=bob, MaxItems=1, Marker=alice_marker)
    _assert_invalid_marker(exc)
    # And a user marker is not valid for root's own listing either.
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(Marker=alice_marker)
    _assert_invalid_marker(exc)
    # The marker still works for its owner.
    page2 = iam.list_access_keys(UserName=alice, MaxItems=1, Marker=alice_marker)
    assert len(page2["AccessKeyMetadata"]) == 1


def test_list_users_marker_is_rejected_by_list_access_keys(iam, new_user):
    new_user("a")
    new_user("b")
    users_page = iam.list_users(MaxItems=1)
    assert users_page["IsTruncated"] is True
    name, _ = _user_with_keys(iam, new_user, 2)
    with pytest.raises(ClientError) as exc:
        iam.list_access_keys(UserName=name, Marker=users_page["Marker"])
    _assert_invalid_marker(exc)


def test_quota_is_two_keys_per_user(iam, new_user):
    name, keys = _user_with_keys(iam, new_user, 2)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=name)
    status, error = client_error(exc)
    assert status == 409
    assert error == {
        "Type": "Sender",
        "Code": "LimitExceeded",
        "Message": "Cannot exceed quota for AccessKeysPerUser: 2",
    }
    # Inactive keys count towards the quota too.
    iam.update_access_key(UserName=name, AccessKeyId=keys[0]["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=name)
    assert client_error(exc)[1]["Code"] == "LimitExceeded"
    # Deleting one frees a slot.
    iam.delete_access_key(UserName=name, AccessKeyId=keys[0]["AccessKeyId"])
    third = iam.create_access_key(UserName=name)["AccessKey"]
    assert sorted(_ids(iam.list_access_keys(UserName=name))) == sorted(
        [keys[1]["AccessKeyId"], third["AccessKeyId"]]
    )


def test_marker_survives_deletion_of_first_page_key(iam, new_user):
    name, keys = _user_with_keys(iam, new_user, 2)
    page1 = iam.list_access_keys(UserName=name, MaxItems=1)
    assert page1["IsTruncated"] is True
    first_id = _ids(page1)[0]
    (other_id,) = [k["AccessKeyId"] for k in keys if k["AccessKeyId"] != first_id]

    iam.delete_access_key(UserName=name, AccessKeyId=first_id)

    page2 = iam.list_access_keys(UserName=name, MaxItems=1, Marker=page1["Marker"])
    assert _ids(page2) == [other_id]
    assert page2["IsTruncated"] is False
    assert "Marker" not in page2


def test_inactive_status_is_listed_and_key_refused(iam, new_user, user_client):
    name, keys = _user_with_keys(iam, new_user, 2)
    target, other = keys
    assert user_client(target).list_access_keys()["IsTruncated"] is False  # works while active

    iam.update_access_key(UserName=name, AccessKeyId=target["AccessKeyId"], Status="Inactive")
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}
    assert statuses == {target["AccessKeyId"]: "Inactive", other["AccessKeyId"]: "Active"}

    with pytest.raises(ClientError) as exc:
        user_client(target).list_access_keys()
    status, error = client_error(exc)
    assert status == 403
    assert error == {
        "Type": "Sender",
        "Code": "InvalidClientTokenId",
        "Message": "The security token included in the request is invalid.",
    }
    # The other key of the same user is unaffected.
    assert user_client(other).list_access_keys()["IsTruncated"] is False

    # Reactivating restores it.
    iam.update_access_key(UserName=name, AccessKeyId=target["AccessKeyId"], Status="Active")
    assert len(user_client(target).list_access_keys()["AccessKeyMetadata"]) == 2


def test_secrets_never_in_list_responses(iam, new_user, user_client):
    name, keys = _user_with_keys(iam, new_user, 2)
    bodies = []

    def capture(http_response, **kwargs):
        bodies.append(http_response.content)

    clients = [iam, user_client(keys[0])]
    for c in clients:
        c.meta.events.register("after-call.iam.ListAccessKeys", capture)
    try:
        iam.list_access_keys(UserName=name)
        iam.list_access_keys(UserName=name, MaxItems=1)
        iam.list_access_keys()  # root's own
        user_client_list = clients[1].list_access_keys()
        assert len(user_client_list["AccessKeyMetadata"]) == 2
        list(iam.get_paginator("list_access_keys").paginate(UserName=name, PaginationConfig={"PageSize": 1}))
    finally:
        for c in clients:
            c.meta.events.unregister("after-call.iam.ListAccessKeys", capture)

    assert len(bodies) >= 6
    secrets = [k["SecretAccessKey"] for k in keys] + [ROOT_SECRET]
    for body in bodies:
        assert b"<ListAccessKeysResponse" in body
        assert b"SecretAccessKey" not in body
        for secret in secrets:
            assert secret.encode() not in body
    # Sanity check of the capture mechanism: the ids are in there.
    assert any(keys[0]["AccessKeyId"].encode() in b for b in bodies)
