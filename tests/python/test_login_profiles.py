"""Login profiles, the account password policy, ChangePassword and iamd's sign-in check,
through boto3 and the aws CLI: AWS's texts for a missing profile or policy, a password
breaking the policy, reuse prevention, the user changing its own password, DeleteUser's
conflict, `POST /iamd/v1/sign-in` with `PasswordLastUsed` and its back-off, and no
password in the logs at trace level."""

import json
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, IamdServer, _iamd_bin, make_client

GOOD = "Correct-Horse-9"


def err(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def sign_in(endpoint, user, password, account=ACCOUNT_ID):
    body = json.dumps({"account": account, "user": user, "password": password}).encode()
    req = urllib.request.Request(
        endpoint + "/iamd/v1/sign-in", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(autouse=True)
def no_policy(iam):
    """Each test starts without an account password policy."""
    yield
    try:
        iam.delete_account_password_policy()
    except ClientError:
        pass


def test_login_profile_lifecycle(iam, new_user):
    name = new_user()
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName=name)
    assert err(e) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)
    created = iam.create_login_profile(UserName=name, Password=GOOD, PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == name and created["PasswordResetRequired"] is True
    assert "Password" not in created
    got = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert got["CreateDate"] == created["CreateDate"]
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password=GOOD)
    assert err(e)[0] == "EntityAlreadyExists"
    iam.update_login_profile(UserName=name, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert err(e) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def test_a_password_breaking_the_policy_is_refused(iam, new_user):
    name = new_user()
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert err(e) == ("NoSuchEntity", f"The Password Policy with domain name {ACCOUNT_ID} cannot be found.", 404)
    # No policy: AWS's default (8 characters, three kinds of four).
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="password")
    assert err(e) == ("PasswordPolicyViolation", "Password does not conform to the account password policy.", 400)

    iam.update_account_password_policy(MinimumPasswordLength=10, RequireNumbers=True, RequireLowercaseCharacters=True)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 10
    assert policy["RequireNumbers"] is True and policy["RequireSymbols"] is False
    assert policy["ExpirePasswords"] is False
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="NOLOWERCASE1")
    assert err(e) == ("PasswordPolicyViolation", "Password should have at least one lowercase letter", 400)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="nonumbershere")
    assert err(e) == ("PasswordPolicyViolation", "Password should have at least one number", 400)
    iam.create_login_profile(UserName=name, Password="good enough 1")


def test_reuse_prevention_and_expiry(iam, new_user, endpoint):
    name = new_user()
    iam.update_account_password_policy(PasswordReusePrevention=3, MaxPasswordAge=90, HardExpiry=True)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["ExpirePasswords"], policy["MaxPasswordAge"], policy["HardExpiry"]) == (True, 90, True)
    iam.create_login_profile(UserName=name, Password="Password-1")
    iam.update_login_profile(UserName=name, Password="Password-2")
    iam.update_login_profile(UserName=name, Password="Password-3")
    for reused in ("Password-1", "Password-2", "Password-3"):
        with pytest.raises(ClientError) as e:
            iam.update_login_profile(UserName=name, Password=reused)
        assert err(e)[0] == "PasswordPolicyViolation", reused
    iam.update_login_profile(UserName=name, Password="Password-4")
    iam.update_login_profile(UserName=name, Password="Password-1")  # four passwords ago
    status, answer = sign_in(endpoint, name, "Password-1")
    assert status == 200 and answer["passwordExpired"] is False


def test_the_user_changes_its_own_password(iam, new_user, user_client, endpoint):
    name = new_user()
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_login_profile(UserName=name, Password=GOOD, PasswordResetRequired=True)
    me = user_client(key)
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword=GOOD, NewPassword="Another-Horse-9")
    assert err(e)[0] == "AccessDenied"
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="Wrong-Horse-9", NewPassword="Another-Horse-9")
    assert err(e) == ("InvalidUserType", "The old password was incorrect.", 400)
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword=GOOD, NewPassword="x")
    assert err(e) == ("PasswordPolicyViolation", "Password should have a minimum length of 6", 400)
    status, answer = sign_in(endpoint, name, GOOD)
    assert status == 200 and answer["passwordResetRequired"] is True
    me.change_password(OldPassword=GOOD, NewPassword="Another-Horse-9")
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    status, answer = sign_in(endpoint, name, "Another-Horse-9")
    assert status == 200 and answer["passwordResetRequired"] is False
    with pytest.raises(ClientError) as e:
        iam.change_password(OldPassword=GOOD, NewPassword="Another-Horse-9")
    assert err(e)[0] == "InvalidUserType"


def test_the_cli_manages_login_profiles(aws, new_user):
    name = new_user()
    created = aws("iam", "create-login-profile", "--user-name", name, "--password", GOOD, "--password-reset-required")
    assert created.json["LoginProfile"]["PasswordResetRequired"] is True
    assert aws("iam", "get-login-profile", "--user-name", name).json["LoginProfile"]["UserName"] == name
    policy = aws("iam", "update-account-password-policy", "--minimum-password-length", "20")
    assert policy.returncode == 0, policy.stderr
    refused = aws("iam", "update-login-profile", "--user-name", name, "--password", GOOD)
    assert refused.returncode != 0
    assert "PasswordPolicyViolation" in refused.stderr
    assert "Password should have a minimum length of 20" in refused.stderr
    assert aws("iam", "delete-login-profile", "--user-name", name).returncode == 0


def test_sign_in_records_use_and_backs_off(iam, new_user, endpoint):
    name = new_user()
    iam.create_login_profile(UserName=name, Password=GOOD)
    assert "PasswordLastUsed" not in iam.get_user(UserName=name)["User"]
    status, answer = sign_in(endpoint, name, GOOD)
    assert (status, answer["result"]) == (200, "ok")
    assert "PasswordLastUsed" in iam.get_user(UserName=name)["User"]
    assert sign_in(endpoint, "no-such-user", GOOD) == (401, {"result": "denied"})
    for _ in range(6):
        assert sign_in(endpoint, name, "Wrong-Horse-9")[0] == 401
    status, answer = sign_in(endpoint, name, GOOD)
    assert status == 429 and answer["result"] == "locked" and answer["retryAfterSeconds"] >= 1


def test_no_password_in_trace_logs():
    log = tempfile.NamedTemporaryFile(prefix="iamd-trace-", suffix=".log", delete=False)
    srv = IamdServer(_iamd_bin(), env_extra={"IAMD_LOG": "trace"}, stderr=log)
    secrets = ["Trace-Secret-Pa55-1", "Trace-Secret-Pa55-2", "Trace-Wrong-Pa55-3"]
    try:
        iam = make_client("iam", srv.endpoint)
        iam.create_user(UserName="tracy")
        iam.update_account_password_policy(AllowUsersToChangePassword=True)
        iam.create_login_profile(UserName="tracy", Password=secrets[0])
        key = iam.create_access_key(UserName="tracy")["AccessKey"]
        me = make_client("iam", srv.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        me.change_password(OldPassword=secrets[0], NewPassword=secrets[1])
        assert sign_in(srv.endpoint, "tracy", secrets[2])[0] == 401
        assert sign_in(srv.endpoint, "tracy", secrets[1])[0] == 200
    finally:
        assert srv.stop() == 0
        log.close()
    text = Path(log.name).read_text(errors="replace")
    assert len(text) > 1000, "trace logging was on"
    for s in secrets:
        assert s not in text
    Path(log.name).unlink()
