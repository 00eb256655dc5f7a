"""Service-specific credentials with boto3 and the aws CLI: a CodeCommit credential's
lifecycle (the password shown by create and reset only), AWS's errors, and DeleteUser
refused while one is left."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

CODECOMMIT = "codecommit.amazonaws.com"


def test_lifecycle(iam, new_user):
    name = new_user()
    created = iam.create_service_specific_credential(UserName=name, ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]
    cred_id = created["ServiceSpecificCredentialId"]
    assert cred_id.startswith("ACCA") and len(cred_id) == 21
    assert created["ServiceUserName"] == f"{name}-at-{ACCOUNT_ID}"
    assert created["Status"] == "Active"
    password = created["ServicePassword"]
    assert len(password) == 60 and password.endswith("=")

    listed = iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [cred_id]
    assert "ServicePassword" not in listed[0]

    iam.update_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id, Status="Inactive")
    reset = iam.reset_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id)[
        "ServiceSpecificCredential"
    ]
    assert reset["ServicePassword"] != password
    assert reset["Status"] == "Inactive"

    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_user(UserName=name)
    iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId=cred_id)
    assert iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"] == []


def test_errors(iam, new_user):
    name = new_user()
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName=name, ServiceName="lambda.amazonaws.com")
    err = exc.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "NoSuchEntity",
        "No such service lambda.amazonaws.com is supported for Service Specific Credentials",
    )
    with pytest.raises(iam.exceptions.NoSuchEntityException) as exc:
        iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId="ACCAQAAAAAAAPBAFQJI5W")
    assert exc.value.response["Error"]["Message"] == "No such credential ACCAQAAAAAAAPBAFQJI5W exists"
    for _ in range(2):
        iam.create_service_specific_credential(UserName=name, ServiceName=CODECOMMIT)
    with pytest.raises(iam.exceptions.LimitExceededException):
        iam.create_service_specific_credential(UserName=name, ServiceName=CODECOMMIT)


def test_cli(aws, iam, new_user):
    name = new_user()
    out = aws("iam", "create-service-specific-credential", "--user-name", name, "--service-name", CODECOMMIT)
    created = out.json["ServiceSpecificCredential"]
    listed = aws("iam", "list-service-specific-credentials", "--user-name", name).json
    assert [c["ServiceSpecificCredentialId"] for c in listed["ServiceSpecificCredentials"]] == [
        created["ServiceSpecificCredentialId"]
    ]
    assert created["ServicePassword"] not in json.dumps(listed)
