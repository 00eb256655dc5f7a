"""Instance profiles through boto3: CRUD with tags, the one-role quota, DeleteConflict, paging."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def test_instance_profile_lifecycle(iam, unique_name):
    profile, role, other = unique_name("p"), unique_name("r"), unique_name("o")
    created = iam.create_instance_profile(
        InstanceProfileName=profile, Path="/boto/", Tags=[{"Key": "team", "Value": "web"}]
    )["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/boto/{profile}"
    assert created["Roles"] == []
    assert created["Tags"] == [{"Key": "team", "Value": "web"}]

    iam.create_role(RoleName=role, AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_role(RoleName=other, AssumeRolePolicyDocument=EC2_TRUST)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)

    got = iam.get_instance_profile(InstanceProfileName=profile.upper())["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role]
    # boto3 decodes the trust policy of the role inside the profile as it does for GetRole.
    assert got["Roles"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"

    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=other)
    assert error_of(e) == ("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")

    for call in (
        lambda: iam.delete_role(RoleName=role),
        lambda: iam.delete_instance_profile(InstanceProfileName=profile),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == (
            "DeleteConflict",
            "Cannot delete entity, must remove roles from instance profile first.",
        )

    listed = iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == [profile]

    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_role(RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    with pytest.raises(ClientError) as e:
        iam.get_instance_profile(InstanceProfileName=profile)
    assert error_of(e) == ("NoSuchEntity", f"Instance Profile {profile} cannot be found.")


def test_list_instance_profiles_pages(iam, unique_name):
    base = unique_name()
    names = [f"{base}-{i}" for i in range(5)]
    for name in names:
        iam.create_instance_profile(InstanceProfileName=name, Path=f"/{base}/")
    paginator = iam.get_paginator("list_instance_profiles")
    pages = list(paginator.paginate(PathPrefix=f"/{base}/", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    seen = [p["InstanceProfileName"] for page in pages for p in page["InstanceProfiles"]]
    assert seen == sorted(names, key=str.lower)


def test_instance_profile_tags(iam, unique_name):
    profile = unique_name()
    iam.create_instance_profile(InstanceProfileName=profile, Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_instance_profile(InstanceProfileName=profile, Tags=[{"Key": "A", "Value": "2"}, {"Key": "b", "Value": ""}])
    tags = iam.list_instance_profile_tags(InstanceProfileName=profile)
    assert tags["Tags"] == [{"Key": "A", "Value": "2"}, {"Key": "b", "Value": ""}]
    assert tags["IsTruncated"] is False
    with pytest.raises(ClientError) as e:
        iam.tag_instance_profile(
            InstanceProfileName=profile, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]
        )
    assert error_of(e) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    iam.untag_instance_profile(InstanceProfileName=profile, TagKeys=["a", "B"])
    assert iam.list_instance_profile_tags(InstanceProfileName=profile)["Tags"] == []
