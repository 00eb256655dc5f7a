"""Account aliases through boto3 and the aws CLI: one per account, replaced by the next,
each taken once, deleted by name, listed by boto3's paginator; the model's pattern."""

import pytest
from botocore.exceptions import ClientError


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def aliases(iam):
    pages = iam.get_paginator("list_account_aliases").paginate(PaginationConfig={"PageSize": 1})
    return [alias for page in pages for alias in page["AccountAliases"]]


def test_alias_lifecycle(iam):
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="boto-corp")
    assert aliases(iam) == ["boto-corp"]
    page = iam.list_account_aliases(MaxItems=1)
    assert page["IsTruncated"] is False
    assert "Marker" not in page

    with pytest.raises(ClientError) as excinfo:
        iam.create_account_alias(AccountAlias="boto-corp")
    assert error_of(excinfo) == ("EntityAlreadyExists", "The account alias boto-corp already exists.", 409)
    assert isinstance(excinfo.value, iam.exceptions.EntityAlreadyExistsException)

    # A second alias replaces the first.
    iam.create_account_alias(AccountAlias="boto-corp-2")
    assert aliases(iam) == ["boto-corp-2"]

    with pytest.raises(iam.exceptions.NoSuchEntityException) as excinfo:
        iam.delete_account_alias(AccountAlias="boto-corp")
    assert error_of(excinfo) == ("NoSuchEntity", "The account alias boto-corp cannot be found.", 404)
    iam.delete_account_alias(AccountAlias="boto-corp-2")
    assert aliases(iam) == []


@pytest.mark.parametrize("alias", ["-corp", "corp-", "co--rp", "Corp", "a" * 64])
def test_alias_pattern(iam, alias):
    with pytest.raises(ClientError) as excinfo:
        iam.create_account_alias(AccountAlias=alias)
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationError", 400)
    assert "accountAlias" in message


def test_cli(aws):
    assert aws("iam", "create-account-alias", "--account-alias", "cli-corp").returncode == 0
    assert aws("iam", "list-account-aliases").json["AccountAliases"] == ["cli-corp"]
    assert aws("iam", "delete-account-alias", "--account-alias", "cli-corp").returncode == 0
    assert aws("iam", "list-account-aliases").json["AccountAliases"] == []
    failed = aws("iam", "delete-account-alias", "--account-alias", "cli-corp")
    assert failed.returncode != 0
    assert "NoSuchEntity" in failed.stderr
