"""Raw-HTTP helpers: sign with botocore's own SigV4 signer, send with http.client."""

import datetime
import http.client
import urllib.parse
import xml.etree.ElementTree as ET
from unittest import mock

import botocore.auth
import botocore.exceptions
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import REGION, ROOT_KEY_ID, ROOT_SECRET

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict with lowercase names
        self.body = body  # bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def xml(self):
        return ET.fromstring(self.body)

    def find(self, local_name):
        """Text of the first element with this local name (namespace ignored), or None."""
        for el in self.xml().iter():
            if el.tag.rsplit("}", 1)[-1] == local_name:
                return el.text
        return None

    def error(self):
        """(Type, Code, Message) of an <ErrorResponse>."""
        root = self.xml()
        assert root.tag.rsplit("}", 1)[-1] == "ErrorResponse", self.text
        return (self.find("Type"), self.find("Code"), self.find("Message"))

    def __repr__(self):
        return f"<Response {self.status} {self.text[:300]!r}>"


def send(endpoint, method, path_and_query, body=b"", headers=None):
    """Send bytes exactly as given (no re-encoding) and return a Response."""
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(method, path_and_query, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return Response(resp.status, hdrs, data)
    finally:
        conn.close()


def _creds(key_id, secret):
    return Credentials(key_id, secret)


def signed_post(
    endpoint,
    body,
    key_id=ROOT_KEY_ID,
    secret=ROOT_SECRET,
    region=REGION,
    service="iam",
    content_type=FORM,
    when=None,
):
    """POST `body` (bytes or str) to `/`, signed by botocore's SigV4Auth.

    `when` (a datetime in UTC) signs as if it were that time.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    signer = botocore.auth.SigV4Auth(_creds(key_id, secret), service, region)
    if when is None:
        signer.add_auth(req)
    else:
        # botocore.auth takes "now" from get_current_datetime(); pin it to `when`.
        naive_utc = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        with mock.patch("botocore.auth.get_current_datetime", return_value=naive_utc):
            signer.add_auth(req)
    prepared = req.prepare()
    return send(endpoint, "POST", "/", body=body, headers=dict(prepared.headers))


def unsigned_post(endpoint, body, content_type=FORM):
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return send(endpoint, "POST", "/", body=body, headers=headers)


def presigned_get_url(
    endpoint, query, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, region=REGION, expires=300
):
    """A GET URL presigned with SigV4QueryAuth; returns the path+query to request."""
    req = AWSRequest(method="GET", url=f"{endpoint}/?{query}")
    botocore.auth.SigV4QueryAuth(_creds(key_id, secret), "iam", region, expires=expires).add_auth(req)
    url = req.prepare().url
    parsed = urllib.parse.urlsplit(url)
    return parsed.path + "?" + parsed.query


def client_error(excinfo):
    """(HTTP status, Error dict) of a botocore ClientError."""
    err = excinfo.value
    assert isinstance(err, botocore.exceptions.ClientError), err
    return err.response["ResponseMetadata"]["HTTPStatusCode"], err.response["Error"]
