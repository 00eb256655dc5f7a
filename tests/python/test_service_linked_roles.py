"""Service-linked roles through boto3: the role AWS gives the service, the suffix rules,
protection against the ordinary role operations, DeleteServiceLinkedRole's task and
GetServiceLinkedRoleDeletionStatus."""

import json
import re
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_get_and_delete(iam):
    role = iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com", Description="ELB")[
        "Role"
    ]
    name = "AWSServiceRoleForElasticLoadBalancing"
    assert role["RoleName"] == name
    assert role["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/elasticloadbalancing.amazonaws.com/{name}"
    assert role["Description"] == "ELB"
    got = iam.get_role(RoleName=name)["Role"]
    # boto3 decodes the document for us.
    document = got["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(unquote(document))
    assert document["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "elasticloadbalancing.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]

    with pytest.raises(iam.exceptions.InvalidInputException) as excinfo:
        iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")
    assert error_of(excinfo) == (
        "InvalidInput",
        f"Service role name {name} has been taken in this account, please try a different suffix.",
        400,
    )

    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert re.fullmatch(
        rf"task/aws-service-role/elasticloadbalancing\.amazonaws\.com/{name}/[0-9a-f]{{8}}(-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}",
        task,
    ), task
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED"
    assert "Reason" not in status
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=name)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_service_linked_role_deletion_status(DeletionTaskId=task + "0")


def test_suffixes(iam):
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="boto")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_boto"
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com", CustomSuffix="boto")
    assert error_of(excinfo) == ("InvalidInput", "Custom suffix is not allowed for ecs.amazonaws.com", 400)
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_linked_role(AWSServiceName="ecs")
    assert error_of(excinfo) == ("InvalidInput", "Invalid service name: ecs", 400)


def test_protected(iam):
    name = iam.create_service_linked_role(AWSServiceName="trustedadvisor.amazonaws.com")["Role"]["RoleName"]
    assert name == "AWSServiceRoleForTrustedAdvisor"
    message = f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    for call in [
        lambda: iam.delete_role(RoleName=name),
        lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=DOC.replace("s3:*", "sts:AssumeRole")),
        lambda: iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=DOC),
        lambda: iam.delete_role_policy(RoleName=name, PolicyName="p"),
        lambda: iam.update_role(RoleName=name, MaxSessionDuration=7200),
    ]:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("UnmodifiableEntity", message, 400)
        assert isinstance(excinfo.value, iam.exceptions.UnmodifiableEntityException)
    iam.update_role_description(RoleName=name, Description="may change")
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "may change"

    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName="Impostor", Path="/aws-service-role/x.amazonaws.com/", AssumeRolePolicyDocument=DOC)
    assert error_of(excinfo)[:2] == (
        "InvalidInput",
        "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles",
    )
