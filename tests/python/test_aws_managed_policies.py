"""AWS managed policies through boto3: read from iamd's catalog (GetPolicy,
GetPolicyVersion, ListPolicyVersions, boto3's ListPolicies paginator over every scope),
attached to users, groups and roles and counted in the account, listed by entity, refused
changes, and enforced: through a group, and as a user's permissions boundary."""

import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
MISSING = "arn:aws:iam::aws:policy/NoSuchAwsPolicy"

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def allow(*actions):
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
    )


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_aws_policies_are_read_from_the_catalog(iam):
    policy = iam.get_policy(PolicyArn=READ_ONLY)["Policy"]
    assert policy["PolicyName"] == "ReadOnlyAccess"
    assert policy["Arn"] == READ_ONLY
    assert policy["IsAttachable"] is True
    assert policy["PolicyId"].startswith("ANPA")
    assert "Description" not in policy
    version = iam.get_policy_version(PolicyArn=READ_ONLY, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    # boto3 decodes the URL-encoded document into a dict.
    document = version["Document"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    assert document["Statement"]
    versions = iam.list_policy_versions(PolicyArn=VIEW_ONLY)["Versions"]
    assert [v["IsDefaultVersion"] for v in versions] == [True]

    with pytest.raises(ClientError) as excinfo:
        iam.get_policy(PolicyArn=MISSING)
    assert error_of(excinfo) == ("NoSuchEntity", f"Policy {MISSING} was not found.", 404)


def test_the_list_policies_paginator_covers_every_scope(iam, unique_name):
    mine = iam.create_policy(PolicyName=unique_name("mine"), PolicyDocument=allow("s3:Get*"))["Policy"]["Arn"]
    paginator = iam.get_paginator("list_policies")

    def arns(**kwargs):
        return [p["Arn"] for page in paginator.paginate(**kwargs) for p in page["Policies"]]

    aws = arns(Scope="AWS")
    assert len(aws) == 1582
    assert len(set(aws)) == len(aws)
    local = arns(Scope="Local")
    assert mine in local and all(":policy/" in a and ":aws:policy" not in a for a in local)
    everything = arns(Scope="All")
    assert len(everything) == len(aws) + len(local)
    names = [a.rsplit("/", 1)[1].lower() for a in everything]
    assert names == sorted(names)
    job_functions = arns(Scope="AWS", PathPrefix="/job-function/")
    assert VIEW_ONLY in job_functions and len(job_functions) == 15


def test_attachments_are_listed_and_counted(iam, new_user, unique_name):
    user = new_user("aws")
    group = unique_name("group")
    role = unique_name("role")
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    before = iam.get_policy(PolicyArn=VIEW_ONLY)["Policy"]["AttachmentCount"]
    iam.attach_user_policy(UserName=user, PolicyArn=VIEW_ONLY)
    iam.attach_group_policy(GroupName=group, PolicyArn=VIEW_ONLY)
    iam.attach_role_policy(RoleName=role, PolicyArn=VIEW_ONLY)
    iam.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY)

    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == [
        {"PolicyName": "ViewOnlyAccess", "PolicyArn": VIEW_ONLY}
    ]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [
        READ_ONLY,
        VIEW_ONLY,
    ]
    assert iam.get_policy(PolicyArn=VIEW_ONLY)["Policy"]["AttachmentCount"] == before + 3
    entities = iam.list_entities_for_policy(PolicyArn=VIEW_ONLY)
    assert user in [u["UserName"] for u in entities["PolicyUsers"]]
    assert group in [g["GroupName"] for g in entities["PolicyGroups"]]
    assert role in [r["RoleName"] for r in entities["PolicyRoles"]]
    details = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])
    assert {READ_ONLY, VIEW_ONLY} <= {p["Arn"] for p in details["Policies"]}

    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=user)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_user_policy(UserName=user, PolicyArn=VIEW_ONLY)
    iam.delete_user(UserName=user)
    iam.detach_group_policy(GroupName=group, PolicyArn=VIEW_ONLY)
    iam.delete_group(GroupName=group)
    for arn in (READ_ONLY, VIEW_ONLY):
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.delete_role(RoleName=role)
    assert iam.get_policy(PolicyArn=VIEW_ONLY)["Policy"]["AttachmentCount"] == before


def test_aws_policies_cannot_be_changed(iam):
    for call in (
        lambda: iam.delete_policy(PolicyArn=READ_ONLY),
        lambda: iam.create_policy_version(PolicyArn=READ_ONLY, PolicyDocument=allow("s3:*"), SetAsDefault=True),
        lambda: iam.delete_policy_version(PolicyArn=READ_ONLY, VersionId="v1"),
        lambda: iam.tag_policy(PolicyArn=READ_ONLY, Tags=[{"Key": "k", "Value": "v"}]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        code, message, status = error_of(excinfo)
        assert (code, status) == ("AccessDenied", 403)
        assert message.startswith(f"User: arn:aws:iam::{ACCOUNT_ID}:root is not authorized to perform: iam:")
        assert message.endswith(f"on resource: {READ_ONLY}")


def test_aws_policies_are_enforced(iam, new_user, unique_name, user_client):
    user = new_user("reader")
    group = unique_name("readers")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.attach_group_policy(GroupName=group, PolicyArn=IAM_READ_ONLY)
    client = user_client(iam.create_access_key(UserName=user)["AccessKey"])
    client.list_users()
    with pytest.raises(ClientError) as excinfo:
        client.create_user(UserName=unique_name("nope"))
    assert error_of(excinfo)[0] == "AccessDenied"

    # Granted inline, then taken away by an AWS managed boundary.
    iam.put_user_policy(UserName=user, PolicyName="create", PolicyDocument=allow("iam:CreateUser"))
    client.create_user(UserName=unique_name("made"))
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=IAM_READ_ONLY)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": IAM_READ_ONLY,
    }
    with pytest.raises(ClientError) as excinfo:
        client.create_user(UserName=unique_name("nope"))
    code, message, _ = error_of(excinfo)
    assert code == "AccessDenied"
    assert message.endswith("because no permissions boundary allows the iam:CreateUser action")
    client.list_users()
    iam.delete_user_permissions_boundary(UserName=user)
    client.create_user(UserName=unique_name("again"))
