"""Raw HTTP: botocore's SigV4 signer, bytes sent with http.client."""

import datetime
import http.client
import urllib.parse

import pytest

from conftest import ACCOUNT_ID, ROOT_KEY_ID
from helpers import IAM_NS, presigned_get_url, send, signed_post, unsigned_post

LIST_USERS = "Action=ListUsers&Version=2010-05-08"
MAX_BODY = 1024 * 1024


def assert_error(resp, status, code, message=None):
    assert resp.status == status, resp
    assert resp.headers.get("content-type", "").startswith("text/xml"), resp.headers
    err_type, err_code, err_message = resp.error()
    assert err_type == "Sender"
    assert err_code == code, resp
    if message is not None:
        assert err_message == message, resp
    return err_message


def assert_list_users_ok(endpoint):
    resp = signed_post(endpoint, LIST_USERS)
    assert resp.status == 200, resp
    root = resp.xml()
    assert root.tag == f"{{{IAM_NS}}}ListUsersResponse"
    assert resp.find("IsTruncated") in ("true", "false")


# --- dispatch and validation -------------------------------------------------------------


def test_signed_unknown_action_is_invalid_action(endpoint):
    resp = signed_post(endpoint, "Action=Foo&Version=2010-05-08")
    assert_error(resp, 400, "InvalidAction", "Could not find operation Foo for version 2010-05-08")


def test_unsigned_request_is_missing_authentication_token(endpoint):
    resp = unsigned_post(endpoint, LIST_USERS)
    assert_error(resp, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")


def test_unsigned_unknown_action_is_still_an_auth_error(endpoint):
    resp = unsigned_post(endpoint, "Action=Foo&Version=2010-05-08")
    assert_error(resp, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")


def test_max_items_zero_is_validation_error(endpoint):
    resp = signed_post(endpoint, "Action=ListAccessKeys&Version=2010-05-08&MaxItems=0")
    assert_error(
        resp,
        400,
        "ValidationError",
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )


def test_max_items_not_a_number_is_validation_error(endpoint):
    resp = signed_post(endpoint, "Action=ListAccessKeys&Version=2010-05-08&MaxItems=abc")
    message = assert_error(resp, 400, "ValidationError")
    assert "'maxItems'" in message
    assert "abc" in message


def test_max_items_1001_on_list_users_is_validation_error(endpoint):
    resp = signed_post(endpoint, LIST_USERS + "&MaxItems=1001")
    assert_error(
        resp,
        400,
        "ValidationError",
        "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )


# --- authentication failures ---------------------------------------------------------------


def test_wrong_secret_is_signature_does_not_match(endpoint):
    resp = signed_post(endpoint, LIST_USERS, secret="x" * 40)
    message = assert_error(resp, 403, "SignatureDoesNotMatch")
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


def test_unknown_key_is_invalid_client_token_id(endpoint):
    resp = signed_post(endpoint, LIST_USERS, key_id="AKIAZZZZZZZZZZZZZZZZ")
    assert_error(resp, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")


def test_tampered_body_is_signature_does_not_match(endpoint):
    # Sign one body, send another: the payload hash is part of the signature.
    from unittest import mock

    import helpers

    real_send = helpers.send

    def swap_body(endpoint_, method, path, body=b"", headers=None):
        tampered = body.replace(b"MaxItems=5", b"MaxItems=6")
        assert tampered != body
        return real_send(endpoint_, method, path, body=tampered, headers=headers)

    with mock.patch.object(helpers, "send", swap_body):
        resp = signed_post(endpoint, LIST_USERS + "&MaxItems=5")
    assert_error(resp, 403, "SignatureDoesNotMatch")


def test_signature_20_minutes_old_is_expired(endpoint):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    resp = signed_post(endpoint, LIST_USERS, when=when)
    message = assert_error(resp, 403, "SignatureDoesNotMatch")
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    assert message.startswith(f"Signature expired: {stamp} is now earlier than "), message
    assert message.endswith(" - 15 min.)"), message


def test_signature_20_minutes_ahead_is_not_yet_current(endpoint):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=20)
    resp = signed_post(endpoint, LIST_USERS, when=when)
    message = assert_error(resp, 403, "SignatureDoesNotMatch")
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    assert message.startswith(f"Signature not yet current: {stamp} is still later than "), message
    assert message.endswith(" + 15 min.)"), message


def test_signature_10_minutes_old_is_within_skew(endpoint):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    resp = signed_post(endpoint, LIST_USERS, when=when)
    assert resp.status == 200, resp


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1", "ap-southeast-2"])
def test_any_signing_region_is_accepted(endpoint, region):
    resp = signed_post(endpoint, LIST_USERS, region=region)
    assert resp.status == 200, resp


def test_sts_get_caller_identity_raw(endpoint):
    resp = signed_post(endpoint, "Action=GetCallerIdentity&Version=2011-06-15", service="sts")
    assert resp.status == 200, resp
    assert resp.xml().tag == "{https://sts.amazonaws.com/doc/2011-06-15/}GetCallerIdentityResponse"
    assert resp.find("Arn") == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert resp.find("Account") == ACCOUNT_ID
    assert resp.find("UserId") == ACCOUNT_ID


# --- malformed bodies -----------------------------------------------------------------------

MALFORMED = {
    "bad-hex-escape": (LIST_USERS + "&PathPrefix=%zz").encode(),
    "trailing-percent": (LIST_USERS + "&PathPrefix=%").encode(),
    "short-escape": (LIST_USERS + "&PathPrefix=%4").encode(),
    "escaped-non-utf8": (LIST_USERS + "&PathPrefix=%2F%FF%2F").encode(),
    "raw-non-utf8": LIST_USERS.encode() + b"&PathPrefix=/\xff\xfe/",
    "non-utf8-name": LIST_USERS.encode() + b"&\xc3\x28=1",
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_body_signed_is_malformed_query_string(endpoint, body):
    resp = signed_post(endpoint, body)
    assert_error(resp, 400, "MalformedQueryString")
    assert_list_users_ok(endpoint)


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_body_unsigned_is_4xx_error_response(endpoint, body):
    resp = unsigned_post(endpoint, body)
    assert 400 <= resp.status < 500, resp
    _, code, _ = resp.error()
    assert code in ("MalformedQueryString", "MissingAuthenticationToken"), resp
    assert_list_users_ok(endpoint)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_body_over_1_mib_is_413(endpoint, signed):
    body = (LIST_USERS + "&PathPrefix=/").encode()
    body += b"a" * (MAX_BODY + 1 - len(body))
    assert len(body) == MAX_BODY + 1
    resp = signed_post(endpoint, body) if signed else unsigned_post(endpoint, body)
    assert resp.status == 413, resp
    assert resp.xml().tag.endswith("ErrorResponse")
    assert_list_users_ok(endpoint)


def test_body_of_exactly_1_mib_is_not_413(endpoint):
    body = (LIST_USERS + "&PathPrefix=/").encode()
    body += b"a" * (MAX_BODY - 1 - len(body)) + b"/"
    assert len(body) == MAX_BODY
    resp = signed_post(endpoint, body)
    # The body is accepted and parsed; the 1 MiB PathPrefix then fails validation.
    assert_error(resp, 400, "ValidationError")


def test_chunked_body_over_1_mib_is_413(endpoint):
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    chunk = b"a" * 65536

    def chunks():
        yield (LIST_USERS + "&PathPrefix=/").encode()
        for _ in range(MAX_BODY // len(chunk) + 2):
            yield chunk

    try:
        try:
            conn.request(
                "POST",
                "/",
                body=chunks(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                encode_chunked=True,
            )
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        resp = conn.getresponse()
        status, data = resp.status, resp.read()
    finally:
        conn.close()
    assert status == 413, data
    assert b"<ErrorResponse" in data
    assert_list_users_ok(endpoint)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/x-amz-json-1.1"])
def test_non_form_content_type_is_415(endpoint, signed, content_type):
    if signed:
        resp = signed_post(endpoint, LIST_USERS, content_type=content_type)
    else:
        resp = unsigned_post(endpoint, LIST_USERS, content_type=content_type)
    assert resp.status == 415, resp
    assert resp.xml().tag.endswith("ErrorResponse")
    assert resp.error()[0] == "Sender"
    assert_list_users_ok(endpoint)


def test_form_content_type_without_charset_is_accepted(endpoint):
    resp = signed_post(endpoint, LIST_USERS, content_type="application/x-www-form-urlencoded")
    assert resp.status == 200, resp


def test_server_still_serves_after_all_malformed_input(endpoint, iam, unique_name):
    for body in MALFORMED.values():
        signed_post(endpoint, body)
        unsigned_post(endpoint, body)
    signed_post(endpoint, b"\x00\x01\x02\xff" * 10)
    unsigned_post(endpoint, b"=&&==%%%")
    name = unique_name()
    iam.create_user(UserName=name)
    assert iam.get_user(UserName=name)["User"]["UserName"] == name


# --- request ids ----------------------------------------------------------------------------


def test_request_id_header_matches_xml_on_success(endpoint):
    resp = signed_post(endpoint, LIST_USERS)
    assert resp.status == 200
    header = resp.headers.get("x-amzn-requestid")
    assert header
    xml_id = resp.find("RequestId")
    assert xml_id == header
    # UUID-shaped, as AWS sends.
    parts = header.split("-")
    assert [len(p) for p in parts] == [8, 4, 4, 4, 12]
    # Each request gets its own id.
    assert signed_post(endpoint, LIST_USERS).headers["x-amzn-requestid"] != header


def test_request_id_header_matches_xml_on_error(endpoint):
    resp = signed_post(endpoint, "Action=Foo&Version=2010-05-08")
    assert resp.status == 400
    header = resp.headers.get("x-amzn-requestid")
    assert header
    # In an ErrorResponse, RequestId is a direct child of the root.
    root = resp.xml()
    direct = [el.text for el in root if el.tag.rsplit("}", 1)[-1] == "RequestId"]
    assert direct == [header]


def test_boto3_request_id_matches_header(iam):
    meta = iam.list_users()["ResponseMetadata"]
    assert meta["RequestId"] == meta["HTTPHeaders"]["x-amzn-requestid"]


# --- presigned GET ---------------------------------------------------------------------------


def test_presigned_get_succeeds(endpoint):
    path = presigned_get_url(endpoint, LIST_USERS, expires=300)
    assert "X-Amz-Signature=" in path and "X-Amz-Expires=300" in path
    resp = send(endpoint, "GET", path)
    assert resp.status == 200, resp
    assert resp.xml().tag == f"{{{IAM_NS}}}ListUsersResponse"


def test_presigned_get_with_parameters(endpoint, iam, unique_name):
    name = unique_name()
    iam.create_user(UserName=name)
    path = presigned_get_url(endpoint, f"Action=GetUser&Version=2010-05-08&UserName={name}")
    resp = send(endpoint, "GET", path)
    assert resp.status == 200, resp
    assert resp.find("UserName") == name


def test_presigned_get_with_changed_signature_fails(endpoint):
    path = presigned_get_url(endpoint, LIST_USERS, expires=300)
    head, sig = path.rsplit("X-Amz-Signature=", 1)
    sig_value = sig.split("&", 1)[0]
    flipped = ("0" if sig_value[0] != "0" else "1") + sig_value[1:]
    bad = head + "X-Amz-Signature=" + flipped + sig[len(sig_value) :]
    assert bad != path
    resp = send(endpoint, "GET", bad)
    assert_error(resp, 403, "SignatureDoesNotMatch")
    # The untouched URL still works.
    assert send(endpoint, "GET", path).status == 200


def test_presigned_get_with_changed_parameter_fails(endpoint):
    path = presigned_get_url(endpoint, LIST_USERS + "&MaxItems=5")
    bad = path.replace("MaxItems=5", "MaxItems=6")
    assert bad != path
    assert_error(send(endpoint, "GET", bad), 403, "SignatureDoesNotMatch")


def test_presigned_get_unknown_key(endpoint):
    path = presigned_get_url(endpoint, LIST_USERS, key_id="AKIAZZZZZZZZZZZZZZZZ")
    assert_error(
        send(endpoint, "GET", path),
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )


def test_presigned_get_is_signed_by_root_key(endpoint):
    path = presigned_get_url(endpoint, "Action=ListAccessKeys&Version=2010-05-08")
    assert f"X-Amz-Credential={ROOT_KEY_ID}%2F" in path
    resp = send(endpoint, "GET", path)
    assert resp.status == 200, resp
    assert ROOT_KEY_ID in resp.text
