"""SetSecurityTokenServicePreferences with boto3 and the aws CLI: GetAccountSummary's
`GlobalEndpointTokenVersion` follows it; an unknown version is the model's
ValidationError."""

import pytest
from botocore.exceptions import ClientError


def token_version(iam):
    return iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"]


def test_the_version_is_set_and_reported(iam, aws):
    try:
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
        assert token_version(iam) == 2
        out = aws("iam", "set-security-token-service-preferences", "--global-endpoint-token-version", "v1Token")
        assert out.returncode == 0, out.stderr
        assert token_version(iam) == 1
        with pytest.raises(ClientError) as exc:
            iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v3Token")
        error = exc.value.response["Error"]
        assert error["Code"] == "ValidationError"
        assert "globalEndpointTokenVersion" in error["Message"]
        assert token_version(iam) == 1
    finally:
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
