"""Identity policies through boto3: enforcement with AWS's texts, the self-service policy,
explicit deny, managed policies attached and detached, the simulator and the context keys
it takes (GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy)."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, SELF_SERVICE_POLICY, allow_self_service

DENY_DELETE = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:DeleteAccessKey", "Resource": "*"}]}
)
LIST_USERS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
)


def error_of(exc):
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"], exc.value.response["Error"]


@pytest.fixture
def user_key(iam, new_user):
    def make():
        name = new_user()
        return name, iam.create_access_key(UserName=name)["AccessKey"]

    return make


def test_no_policy_means_access_denied_with_aws_text(user_key, user_client):
    name, key = user_key()
    with pytest.raises(ClientError) as exc:
        user_client(key).list_access_keys()
    status, error = error_of(exc)
    assert status == 403
    assert error == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: "
        f"iam:ListAccessKeys on resource: user {name} because no identity-based policy allows "
        "the iam:ListAccessKeys action",
    }


def test_self_service_own_keys_only(iam, user_key, user_client):
    alice, key = user_key()
    bob, _ = user_key()
    allow_self_service(iam, alice)
    me = user_client(key)
    assert [k["AccessKeyId"] for k in me.list_access_keys()["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    new = me.create_access_key()["AccessKey"]
    assert new["UserName"] == alice
    me.update_access_key(AccessKeyId=new["AccessKeyId"], Status="Inactive")
    me.delete_access_key(AccessKeyId=new["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        me.list_access_keys(UserName=bob)
    status, error = error_of(exc)
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert error["Message"].endswith(f"on resource: user {bob} because no identity-based policy allows the iam:ListAccessKeys action")


def test_explicit_deny_beats_allow(iam, user_key, user_client):
    name, key = user_key()
    allow_self_service(iam, name)
    iam.put_user_policy(UserName=name, PolicyName="no-deletes", PolicyDocument=DENY_DELETE)
    with pytest.raises(ClientError) as exc:
        user_client(key).delete_access_key(AccessKeyId=key["AccessKeyId"])
    _, error = error_of(exc)
    assert error["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: iam:DeleteAccessKey "
        f"on resource: user {name} with an explicit deny in an identity-based policy"
    )


def test_get_user_policy_returns_the_document(iam, new_user):
    name = new_user()
    iam.put_user_policy(UserName=name, PolicyName="self-service", PolicyDocument=SELF_SERVICE_POLICY)
    got = iam.get_user_policy(UserName=name, PolicyName="self-service")
    # botocore URL-decodes and parses the document IAM sends URL-encoded.
    assert got["PolicyDocument"] == json.loads(SELF_SERVICE_POLICY)
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["self-service"]
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=name, PolicyName="bad", PolicyDocument='{"Version": "2012-10-17"}')
    status, error = error_of(exc)
    assert (status, error["Code"]) == (400, "MalformedPolicyDocument")


def test_managed_policy_attach_and_detach_take_effect_at_once(iam, user_key, user_client, unique_name):
    name, key = user_key()
    policy = iam.create_policy(PolicyName=unique_name("p"), PolicyDocument=LIST_USERS)["Policy"]
    client = user_client(key)
    with pytest.raises(ClientError):
        client.list_users()
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    client.list_users()
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 1
    iam.detach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    with pytest.raises(ClientError) as exc:
        client.list_users()
    assert error_of(exc)[1]["Code"] == "AccessDenied"
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 0
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(LIST_USERS)
    iam.delete_policy(PolicyArn=policy["Arn"])


def test_simulator_agrees_with_live_calls(iam, user_key, user_client):
    name, key = user_key()
    other, _ = user_key()
    allow_self_service(iam, name)
    me_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    other_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{other}"
    results = iam.simulate_principal_policy(
        PolicySourceArn=me_arn, ActionNames=["iam:ListAccessKeys"], ResourceArns=[me_arn, other_arn]
    )["EvaluationResults"]
    decisions = {r["EvalResourceName"]: r["EvalDecision"] for r in results}
    assert decisions == {me_arn: "allowed", other_arn: "implicitDeny"}
    client = user_client(key)
    client.list_access_keys(UserName=name)
    with pytest.raises(ClientError):
        client.list_access_keys(UserName=other)
    custom = iam.simulate_custom_policy(
        PolicyInputList=[SELF_SERVICE_POLICY, DENY_DELETE],
        ActionNames=["iam:DeleteAccessKey", "iam:CreateAccessKey"],
        ResourceArns=[me_arn],
        ContextEntries=[{"ContextKeyName": "aws:username", "ContextKeyValues": [name], "ContextKeyType": "string"}],
    )["EvaluationResults"]
    assert {r["EvalActionName"]: r["EvalDecision"] for r in custom} == {
        "iam:DeleteAccessKey": "explicitDeny",
        "iam:CreateAccessKey": "allowed",
    }


def test_simulator_pages_with_the_boto3_paginator(iam):
    """Every action on every resource, paged by MaxItems/Marker: boto3's paginator sees
    each pair once, in order; one call never returns more than MaxItems."""
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}'
    actions = [f"iam:GetThing{i}" for i in range(30)] + ["iam:DeleteUser"]
    resources = [f"arn:aws:iam::{ACCOUNT_ID}:user/u{i}" for i in range(20)]
    first = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=actions, ResourceArns=resources)
    assert len(first["EvaluationResults"]) == 100 and first["IsTruncated"] and first["Marker"]
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[policy], ActionNames=actions, ResourceArns=resources,
        PaginationConfig={"PageSize": 70},
    )
    seen = []
    for page in pages:
        assert len(page["EvaluationResults"]) <= 70
        seen += [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in page["EvaluationResults"]]
    expected = [
        (a, r, "allowed" if a.startswith("iam:Get") else "implicitDeny") for a in actions for r in resources
    ]
    assert seen == expected


TAGGED = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::b/${aws:username}/*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
            }
        ],
    }
)
SOURCE_IP = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
        ],
    }
)


def test_context_keys_of_custom_and_principal_policies(iam, new_user, unique_name, aws):
    # AWS's API reference example: the resource's variable, then the condition's key.
    dated = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "dynamodb:*",
                "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
                "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}},
            },
        }
    )
    got = iam.get_context_keys_for_custom_policy(PolicyInputList=[dated])
    assert got["ContextKeyNames"] == ["aws:username", "aws:CurrentTime"]

    user = new_user()
    group = unique_name("group")
    iam.put_user_policy(UserName=user, PolicyName="tagged", PolicyDocument=TAGGED)
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="ip", PolicyDocument=SOURCE_IP)
    iam.add_user_to_group(GroupName=group, UserName=user)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    got = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn, PolicyInputList=[dated])
    assert got["ContextKeyNames"] == ["aws:username", "aws:PrincipalTag/team", "aws:SourceIp", "aws:CurrentTime"]
    # The aws CLI, on the group.
    out = aws(
        "iam", "get-context-keys-for-principal-policy", "--policy-source-arn", f"arn:aws:iam::{ACCOUNT_ID}:group/{group}"
    ).json
    assert out["ContextKeyNames"] == ["aws:SourceIp"]

    with pytest.raises(ClientError) as exc:
        iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:user/{unique_name('none')}")
    assert error_of(exc)[0] == 404 and error_of(exc)[1]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        iam.get_context_keys_for_custom_policy(PolicyInputList=["{not json"])
    assert error_of(exc)[0] == 400 and error_of(exc)[1]["Code"] == "InvalidInput"
