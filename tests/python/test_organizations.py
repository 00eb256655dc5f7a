"""The centralized root access features of AWS Organizations with boto3 and the aws CLI:
an iamd account belongs to no organization, so each operation answers as AWS answers such
an account, with the error boto3 models as OrganizationNotFoundException."""

import pytest

TEXT = "The request was rejected because no organization is associated with your account."


@pytest.mark.parametrize(
    "call",
    [
        "list_organizations_features",
        "enable_organizations_root_credentials_management",
        "disable_organizations_root_credentials_management",
        "enable_organizations_root_sessions",
        "disable_organizations_root_sessions",
    ],
)
def test_no_organization_holds_the_account(iam, call):
    with pytest.raises(iam.exceptions.OrganizationNotFoundException) as exc:
        getattr(iam, call)()
    assert exc.value.response["Error"]["Message"] == TEXT
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_cli_reports_it(aws):
    out = aws("iam", "list-organizations-features")
    assert out.returncode != 0
    assert "OrganizationNotFoundException" in out.stderr
