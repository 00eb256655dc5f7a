"""The aws CLI (v1, botocore-based) against iamd."""

from conftest import ACCOUNT_ID, ROOT_KEY_ID, SELF_SERVICE_POLICY


def _key_ids(doc):
    return sorted(k["AccessKeyId"] for k in doc["AccessKeyMetadata"])


def _cli_user_with_keys(aws, name, n):
    user = aws("iam", "create-user", "--user-name", name).json["User"]
    keys = [aws("iam", "create-access-key", "--user-name", name).json["AccessKey"] for _ in range(n)]
    put = aws(
        "iam", "put-user-policy", "--user-name", name, "--policy-name", "self-service",
        "--policy-document", SELF_SERVICE_POLICY,
    )
    assert put.returncode == 0, put.stderr
    return user, keys


def test_create_user_and_access_key(aws, unique_name):
    name = unique_name()
    user = aws("iam", "create-user", "--user-name", name, "--path", "/cli/").json["User"]
    assert user["UserName"] == name
    assert user["Path"] == "/cli/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/cli/{name}"
    assert user["UserId"].startswith("AIDA")
    assert user["CreateDate"].endswith(("Z", "+00:00"))

    key = aws("iam", "create-access-key", "--user-name", name).json["AccessKey"]
    assert key["UserName"] == name
    assert key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40

    got = aws("iam", "get-user", "--user-name", name).json["User"]
    assert got["UserId"] == user["UserId"]


def test_list_access_keys_for_user(aws, unique_name):
    name = unique_name()
    _, keys = _cli_user_with_keys(aws, name, 2)
    doc = aws("iam", "list-access-keys", "--user-name", name).json
    assert _key_ids(doc) == sorted(k["AccessKeyId"] for k in keys)
    assert all(k["UserName"] == name and k["Status"] == "Active" for k in doc["AccessKeyMetadata"])
    assert "SecretAccessKey" not in str(doc)
    # The CLI's auto-pagination removes the paging fields from the merged result.
    assert "Marker" not in doc


def test_list_access_keys_as_root(aws):
    doc = aws("iam", "list-access-keys").json
    root = [k for k in doc["AccessKeyMetadata"] if k["AccessKeyId"] == ROOT_KEY_ID]
    assert len(root) == 1
    assert root[0]["Status"] == "Active"
    assert "UserName" not in root[0]


def test_list_access_keys_as_user_without_user_name(aws, unique_name):
    name = unique_name()
    _, keys = _cli_user_with_keys(aws, name, 1)
    doc = aws(
        "iam", "list-access-keys", key_id=keys[0]["AccessKeyId"], secret=keys[0]["SecretAccessKey"]
    ).json
    assert _key_ids(doc) == [keys[0]["AccessKeyId"]]
    assert doc["AccessKeyMetadata"][0]["UserName"] == name

    ident = aws(
        "sts", "get-caller-identity", key_id=keys[0]["AccessKeyId"], secret=keys[0]["SecretAccessKey"]
    ).json
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert ident["Account"] == ACCOUNT_ID


def test_cli_max_items_and_starting_token(aws, unique_name):
    name = unique_name()
    _, keys = _cli_user_with_keys(aws, name, 2)
    first = aws("iam", "list-access-keys", "--user-name", name, "--max-items", "1").json
    assert len(first["AccessKeyMetadata"]) == 1
    assert first["NextToken"]
    second = aws(
        "iam",
        "list-access-keys",
        "--user-name",
        name,
        "--max-items",
        "1",
        "--starting-token",
        first["NextToken"],
    ).json
    assert len(second["AccessKeyMetadata"]) == 1
    assert "NextToken" not in second
    assert sorted(_key_ids(first) + _key_ids(second)) == sorted(k["AccessKeyId"] for k in keys)
    assert _key_ids(first) != _key_ids(second)


def test_cli_page_size_returns_everything(aws, unique_name):
    name = unique_name()
    _, keys = _cli_user_with_keys(aws, name, 2)
    doc = aws("iam", "list-access-keys", "--user-name", name, "--page-size", "1").json
    assert _key_ids(doc) == sorted(k["AccessKeyId"] for k in keys)
    assert "NextToken" not in doc


def test_cli_list_users_paging(aws, unique_name):
    prefix = f"/{unique_name('p')}/"
    names = sorted(unique_name(str(i)) for i in range(3))
    for n in names:
        aws("iam", "create-user", "--user-name", n, "--path", prefix).json
    everything = aws("iam", "list-users", "--path-prefix", prefix, "--page-size", "1").json
    assert sorted(u["UserName"] for u in everything["Users"]) == names

    got, token = [], None
    for _ in range(5):
        args = ["iam", "list-users", "--path-prefix", prefix, "--max-items", "2"]
        if token:
            args += ["--starting-token", token]
        doc = aws(*args).json
        got += [u["UserName"] for u in doc["Users"]]
        token = doc.get("NextToken")
        if not token:
            break
    assert sorted(got) == names
    assert len(got) == 3


def test_cli_error_for_unknown_user(aws, unique_name):
    missing = unique_name("missing")
    res = aws("iam", "list-access-keys", "--user-name", missing)
    assert res.returncode != 0
    assert "NoSuchEntity" in res.stderr
    assert f"The user with name {missing} cannot be found." in res.stderr
    assert res.stdout.strip() == ""


def test_cli_error_for_bad_secret(aws):
    res = aws("iam", "list-users", key_id=ROOT_KEY_ID, secret="x" * 40)
    assert res.returncode != 0
    assert "SignatureDoesNotMatch" in res.stderr


def test_cli_quota_error(aws, unique_name):
    name = unique_name()
    _cli_user_with_keys(aws, name, 2)
    res = aws("iam", "create-access-key", "--user-name", name)
    assert res.returncode != 0
    assert "LimitExceeded" in res.stderr
    assert "Cannot exceed quota for AccessKeysPerUser: 2" in res.stderr
