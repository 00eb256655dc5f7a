"""Groups through boto3: CRUD, members paged by boto3's own paginator, AWS's error codes,
and a user gaining and losing access through a group's policy."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

LIST_USERS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
)


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def new_group(iam, unique_name):
    def make(tag="", **kwargs):
        name = unique_name(tag)
        iam.create_group(GroupName=name, **kwargs)
        return name

    return make


def test_group_lifecycle(iam, new_group, unique_name):
    name = new_group(Path="/team/")
    group = iam.get_group(GroupName=name.upper())["Group"]
    assert group["GroupName"] == name
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/team/{name}"
    assert group["GroupId"].startswith("AGPA")
    assert name in [g["GroupName"] for g in iam.list_groups(PathPrefix="/team/")["Groups"]]

    with pytest.raises(ClientError) as excinfo:
        iam.create_group(GroupName=name.upper())
    assert error_of(excinfo) == ("EntityAlreadyExists", f"Group with name {name.upper()} already exists.", 409)

    renamed = unique_name("renamed")
    iam.update_group(GroupName=name, NewGroupName=renamed, NewPath="/other/")
    with pytest.raises(ClientError) as excinfo:
        iam.get_group(GroupName=name)
    assert error_of(excinfo) == ("NoSuchEntity", f"The group with name {name} cannot be found.", 404)
    assert iam.get_group(GroupName=renamed)["Group"]["Path"] == "/other/"
    iam.delete_group(GroupName=renamed)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.delete_group(GroupName=renamed)


def test_get_group_paginator_pages_through_members(iam, new_group, new_user):
    group = new_group()
    users = sorted((new_user(f"m{i}") for i in range(7)), key=str.lower)
    for user in users:
        iam.add_user_to_group(GroupName=group, UserName=user)

    paginator = iam.get_paginator("get_group")
    pages = list(paginator.paginate(GroupName=group, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert all(p["Group"]["GroupName"] == group for p in pages)
    assert [u["UserName"] for p in pages for u in p["Users"]] == users
    full = paginator.paginate(GroupName=group).build_full_result()
    assert [u["UserName"] for u in full["Users"]] == users

    groups = iam.list_groups_for_user(UserName=users[0])["Groups"]
    assert [g["GroupName"] for g in groups] == [group]


def test_conflicts_and_quota(iam, new_group, new_user):
    group = new_group()
    user = new_user()
    iam.add_user_to_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_group(GroupName=group)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_user(UserName=user)

    others = [new_group(f"q{i}") for i in range(9)]
    for other in others:
        iam.add_user_to_group(GroupName=other, UserName=user)
    with pytest.raises(ClientError) as excinfo:
        iam.add_user_to_group(GroupName=new_group("eleventh"), UserName=user)
    assert error_of(excinfo) == ("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)

    for g in [group, *others]:
        iam.remove_user_from_group(GroupName=g, UserName=user)
    with pytest.raises(ClientError) as excinfo:
        iam.remove_user_from_group(GroupName=group, UserName=user)
    assert error_of(excinfo)[0] == "NoSuchEntity"
    iam.delete_user(UserName=user)
    iam.delete_group(GroupName=group)


def test_a_group_policy_grants_its_members(iam, new_group, new_user, user_client):
    group = new_group()
    user = new_user()
    client = user_client(iam.create_access_key(UserName=user)["AccessKey"])
    with pytest.raises(ClientError) as excinfo:
        client.list_users()
    assert error_of(excinfo)[0] == "AccessDenied"

    iam.put_group_policy(GroupName=group, PolicyName="list", PolicyDocument=LIST_USERS)
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["list"]
    iam.add_user_to_group(GroupName=group, UserName=user)
    client.list_users()

    iam.remove_user_from_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as excinfo:
        client.list_users()
    assert error_of(excinfo)[0] == "AccessDenied"
