"""The credential report with boto3 and the aws CLI: generated (STARTED, then COMPLETE
within four hours), read as CSV with AWS's columns, the root row first and a user's row
showing its password and keys; the CLI's base64 `Content`."""

import base64
import csv
import io

import pytest

COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
).split(",")


@pytest.fixture(scope="module")
def report(iam):
    name = "report-user"
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Report-Pa55word!")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    first = iam.generate_credential_report()
    second = iam.generate_credential_report()
    got = iam.get_credential_report()
    yield name, key, first, second, got
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def test_generate_then_get(report):
    name, key, first, second, got = report
    assert first["State"] in ("STARTED", "COMPLETE")
    assert second["State"] == "COMPLETE"
    assert got["ReportFormat"] == "text/csv"
    reader = csv.DictReader(io.StringIO(got["Content"].decode()))
    assert reader.fieldnames == COLUMNS
    rows = list(reader)
    assert rows[0]["user"] == "<root_account>"
    assert rows[0]["password_enabled"] == "not_supported"
    mine = [r for r in rows if r["user"] == name]
    assert len(mine) == 1
    row = mine[0]
    assert row["password_enabled"] == "true"
    assert row["password_last_used"] == "no_information"
    assert row["access_key_1_active"] == "true"
    assert row["access_key_1_last_rotated"].endswith("+00:00")
    assert row["access_key_1_last_used_date"] == "N/A"
    assert row["access_key_2_active"] == "false"
    assert row["cert_1_active"] == "false"


def test_cli(aws, report):
    out = aws("iam", "get-credential-report").json
    content = base64.b64decode(out["Content"]).decode()
    assert content.splitlines()[0].split(",") == COLUMNS
    assert out["ReportFormat"] == "text/csv"
