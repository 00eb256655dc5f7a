"""Permissions boundaries through boto3: set, shown by GetUser/GetRole (not by the
listings), counted on the policy, blocking DeletePolicy, and taking away what a user's
policy grants until removed."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID


def allow(*actions):
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
    )


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def boundary(iam, unique_name):
    def make(*actions):
        return iam.create_policy(PolicyName=unique_name("fence"), PolicyDocument=allow(*actions))["Policy"]["Arn"]

    return make


def test_boundaries_on_users_and_roles(iam, new_user, unique_name, boundary):
    fence = boundary("iam:GetUser")
    user = new_user(PermissionsBoundary=fence)
    role = unique_name("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=fence)

    expected = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": fence}
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"] == expected
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"] == expected
    assert all("PermissionsBoundary" not in u for u in iam.list_users()["Users"])
    assert all("PermissionsBoundary" not in r for r in iam.list_roles()["Roles"])
    assert iam.get_policy(PolicyArn=fence)["Policy"]["PermissionsBoundaryUsageCount"] == 2

    with pytest.raises(ClientError) as excinfo:
        iam.delete_policy(PolicyArn=fence)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)

    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/{unique_name('missing')}"
    with pytest.raises(ClientError) as excinfo:
        iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=missing)
    assert error_of(excinfo) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)

    iam.delete_user_permissions_boundary(UserName=user)
    iam.delete_role_permissions_boundary(RoleName=role)
    assert "PermissionsBoundary" not in iam.get_user(UserName=user)["User"]
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]
    assert iam.get_policy(PolicyArn=fence)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    iam.delete_policy(PolicyArn=fence)


def test_a_boundary_takes_away_what_a_policy_grants(iam, new_user, user_client, boundary):
    user = new_user()
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=allow("iam:ListUsers", "iam:GetUser"))
    client = user_client(iam.create_access_key(UserName=user)["AccessKey"])
    client.list_users()

    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=boundary("iam:GetUser"))
    client.get_user()
    with pytest.raises(ClientError) as excinfo:
        client.list_users()
    code, message, status = error_of(excinfo)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: arn:aws:iam::{ACCOUNT_ID}:user/{user} is not authorized to perform: iam:ListUsers")
    assert message.endswith("because no permissions boundary allows the iam:ListUsers action")

    iam.delete_user_permissions_boundary(UserName=user)
    client.list_users()
