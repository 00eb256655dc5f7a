"""GET /metrics: Prometheus's own parser reads it (OpenMetrics text), and the counters move
by exactly the requests this test makes: served ones, AWS errors, refused signatures."""

import urllib.error
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import REGION, ROOT_KEY_ID, ROOT_SECRET, make_client


def scrape(endpoint):
    with urllib.request.urlopen(f"{endpoint}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
        text = resp.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return families


def sample(families, family, name, **labels):
    # A family with no series yet may be absent.
    for s in families[family].samples if family in families else []:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0.0


def test_metrics_parse_and_count_requests(endpoint, iam):
    before = scrape(endpoint)
    for _ in range(3):
        iam.list_users()
    for _ in range(2):
        with pytest.raises(ClientError):
            iam.get_user(UserName="no-such-user-for-metrics")
    bad = make_client("iam", endpoint, secret="not-the-secret-of-this-key-at-all0000")
    with pytest.raises(ClientError) as exc:
        bad.list_roles()
    assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    after = scrape(endpoint)

    def delta(family, name, **labels):
        return sample(after, family, name, **labels) - sample(before, family, name, **labels)

    assert delta("iamd_requests", "iamd_requests_total", service="iam", action="ListUsers", code="OK") == 3
    assert delta("iamd_requests", "iamd_requests_total", service="iam", action="GetUser", code="NoSuchEntity") == 2
    assert (
        delta("iamd_requests", "iamd_requests_total", service="iam", action="ListRoles", code="SignatureDoesNotMatch")
        == 1
    )
    assert delta("iamd_authentication_failures", "iamd_authentication_failures_total", reason="SignatureDoesNotMatch") == 1
    assert (
        delta(
            "iamd_request_duration_seconds",
            "iamd_request_duration_seconds_count",
            service="iam",
            action="ListUsers",
        )
        == 3
    )
    info = [s for s in after["iamd_build"].samples if s.name == "iamd_build_info"]
    assert len(info) == 1 and info[0].labels["store"] == "sqlite" and info[0].value == 1
    assert sample(after, "iamd_connections", "iamd_connections_total") >= 1
    # Three ListUsers signed by one key: the credential cache answered at least two (the
    # first may have missed), and holds that key.
    assert delta("iamd_cache_hits", "iamd_cache_hits_total", cache="credentials") >= 2
    assert sample(after, "iamd_cache_entries", "iamd_cache_entries", cache="credentials") >= 1
    for cache in ("credentials", "users", "keys"):
        assert "iamd_cache_misses" in after
        assert any(s.labels.get("cache") == cache for s in after["iamd_cache_misses"].samples)
    # Exported from start, at 0 while nothing was dropped (no audit log in this suite).
    assert "iamd_audit_records_dropped" in after
    assert sample(after, "iamd_audit_records_dropped", "iamd_audit_records_dropped_total") == 0


def test_an_unknown_action_adds_no_series(endpoint):
    """An action the models do not have is counted as `unknown`: a client cannot add series."""
    before = scrape(endpoint)
    for i in range(3):
        req = AWSRequest(
            method="POST",
            url=f"{endpoint}/",
            data=f"Action=MadeUpAction{i}&Version=2010-05-08",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", REGION).add_auth(req)
        raw = urllib.request.Request(req.url, data=req.body, headers=dict(req.headers), method="POST")
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(raw)
        assert exc.value.code == 400
        assert b"<Code>InvalidAction</Code>" in exc.value.read()
    after = scrape(endpoint)
    def labels(families):
        found = families["iamd_requests"].samples if "iamd_requests" in families else []
        return {tuple(sorted(s.labels.items())) for s in found}

    new = labels(after) - labels(before)
    assert all(dict(l)["action"] == "unknown" for l in new), new
    unknown = dict(service="iam", action="unknown", code="InvalidAction")
    assert sample(after, "iamd_requests", "iamd_requests_total", **unknown) - sample(
        before, "iamd_requests", "iamd_requests_total", **unknown
    ) == 3


def deny_and_sign_in(endpoint, iam, new_user, user_client):
    """One AccessDenied of an authenticated caller and one refused sign-in."""
    import json

    name = new_user("denied")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    with pytest.raises(ClientError) as exc:
        user_client(key).list_roles()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    body = json.dumps({"account": "123456789012", "user": name, "password": "not-it"}).encode()
    req = urllib.request.Request(
        f"{endpoint}/iamd/v1/sign-in", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(req)
    assert denied.value.code == 401


def test_the_grafana_dashboard_reads_only_metrics_iamd_exports(endpoint, iam, new_user, user_client):
    """ops/grafana/iamd-dashboard.json: every series its queries name is one /metrics has
    (a family appears with its first sample: the events behind each are made first)."""
    import json
    import re
    from pathlib import Path

    iam.list_users()
    deny_and_sign_in(endpoint, iam, new_user, user_client)
    # A refusal the store makes, for iamd_store_errors_total's first sample.
    taken = new_user("dashboard")
    with pytest.raises(ClientError):
        iam.create_user(UserName=taken)
    dashboard = json.loads((Path(__file__).parents[2] / "ops/grafana/iamd-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs
    exported = set()
    for family in scrape(endpoint).values():
        exported.add(family.name)
        exported.update(s.name for s in family.samples)
        if family.type == "histogram":
            exported.update(f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum"))
        if family.type == "counter":
            exported.add(f"{family.name}_total")
    names = {n for e in exprs for n in re.findall(r"\b(iamd_[a-z_]+)", e)}
    assert names and names <= exported, names - exported


def test_denials_and_sign_ins_are_counted(endpoint, iam, new_user, user_client):
    """An authenticated caller refused AccessDenied counts in iamd_authorization_denials;
    each answer of the sign-in check in iamd_sign_ins by outcome."""
    before = scrape(endpoint)
    deny_and_sign_in(endpoint, iam, new_user, user_client)
    after = scrape(endpoint)

    def delta(family, name, **labels):
        return sample(after, family, name, **labels) - sample(before, family, name, **labels)

    assert (
        delta("iamd_authorization_denials", "iamd_authorization_denials_total", service="iam", action="ListRoles")
        == 1
    )
    assert delta("iamd_sign_ins", "iamd_sign_ins_total", outcome="denied") == 1


def test_store_calls_are_timed_and_their_errors_counted(endpoint, iam, unique_name):
    """iamd_store_operation_duration_seconds counts each call that reaches the store (a
    CreateUser makes one create_user call); iamd_store_errors_total counts a refusal by kind."""
    before = scrape(endpoint)
    backend = [s for s in before["iamd_build"].samples if s.name == "iamd_build_info"][0].labels["store"]
    name = unique_name("store-metrics")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name)
    assert exc.value.response["Error"]["Code"] == "EntityAlreadyExists"
    after = scrape(endpoint)

    def delta(family, name, **labels):
        return sample(after, family, name, **labels) - sample(before, family, name, **labels)

    timed = dict(backend=backend, operation="create_user")
    assert (
        delta("iamd_store_operation_duration_seconds", "iamd_store_operation_duration_seconds_count", **timed) == 2
    )
    assert delta("iamd_store_errors", "iamd_store_errors_total", kind="conflict", **timed) == 1
    assert delta("iamd_store_errors", "iamd_store_errors_total", kind="unavailable", **timed) == 0
    iam.delete_user(UserName=name)
