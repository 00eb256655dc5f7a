"""The audit log with boto3: `iamd serve --audit-log FILE` writes one CloudTrail-shaped
JSON record per request (allowed, denied, refused at authentication), and none of the
secrets the session saw; `--audit-log -` writes them to stdout."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, ROOT_KEY_ID, IamdServer, _iamd_bin, make_client


def records_of(lines):
    return [json.loads(l) for l in lines if l.startswith("{")]


def test_audit_file_has_one_record_per_request_and_no_secret(tmp_path):
    path = tmp_path / "audit.log"
    srv = IamdServer(_iamd_bin(), extra_args=["--audit-log", str(path)])
    try:
        iam = make_client("iam", srv.endpoint)
        sts = make_client("sts", srv.endpoint)
        iam.create_user(UserName="bob")
        key = iam.create_access_key(UserName="bob")["AccessKey"]
        iam.create_login_profile(UserName="bob", Password="Sup3r-Secret-Pw!")
        bob = make_client("iam", srv.endpoint, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
        with pytest.raises(ClientError) as denied:
            bob.list_users()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        bad = make_client("iam", srv.endpoint, key_id=key["AccessKeyId"], secret="wrong-secret-wrong-secret-000000")
        with pytest.raises(ClientError) as refused:
            bad.get_user()
        assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        creds = sts.get_session_token()["Credentials"]
        seen = [key["SecretAccessKey"], "Sup3r-Secret-Pw!", creds["SecretAccessKey"], creds["SessionToken"]]
    finally:
        assert srv.stop() == 0
    text = path.read_text()
    records = records_of(text.splitlines())
    expected = [
        ("CreateUser", "Root", None),
        ("CreateAccessKey", "Root", None),
        ("CreateLoginProfile", "Root", None),
        ("ListUsers", "IAMUser", "AccessDenied"),
        ("GetUser", "Unknown", "SignatureDoesNotMatch"),
        ("GetSessionToken", "Root", None),
    ]
    assert [(r["eventName"], r["userIdentity"]["type"], r.get("errorCode")) for r in records] == expected
    for r in records:
        assert r["eventVersion"] == "1.08" and r["eventType"] == "AwsApiCall"
        assert r["recipientAccountId"] == ACCOUNT_ID
        assert "Boto3" in r["userAgent"] or "botocore" in r["userAgent"]
    assert records[0]["userIdentity"]["accessKeyId"] == ROOT_KEY_ID
    assert records[1]["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert records[2]["requestParameters"]["password"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert records[3]["userIdentity"]["userName"] == "bob"
    assert records[5]["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    for secret in seen:
        assert secret not in text


def test_audit_to_stdout():
    srv = IamdServer(_iamd_bin(), extra_args=["--audit-log", "-"])
    try:
        make_client("sts", srv.endpoint).get_caller_identity()
        deadline = time.time() + 10
        while not records_of(srv.stdout_lines) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        assert srv.stop() == 0
    records = records_of(srv.stdout_lines)
    assert [(r["eventSource"], r["eventName"]) for r in records] == [("sts.amazonaws.com", "GetCallerIdentity")]
    assert records[0]["responseElements"]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
