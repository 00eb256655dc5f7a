"""The whole of AWS's IAM and STS service models against iamd, through botocore.

`test_every_operation_answers`: every operation of both models, called with valid
values for its required members, answers its real result, a domain error, or
`NotImplemented` (501, naming the operation); none answers `InvalidAction`.

`test_constraint`: for every operation, each constraint of each top-level member of
its input (missing required, too short, too long, bad pattern, not in the enum, out of
range, too many or too few list items) is sent with botocore's own validation turned
off, and iamd must answer `ValidationError` (400) with AWS's message, computed here
from the model independently of iamd's generated decoder. pytest's count of passed
`test_constraint` cases is the number of such checks.

The model is the one botocore ships (boto3 is pinned to the botocore release whose
models iamd generates from; `test_models_are_the_pinned_ones` checks it).
"""

import json
import re
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, ROOT_KEY_ID, ROOT_SECRET

DATA = Path(__file__).resolve().parents[2] / "crates" / "iamd-protocol" / "data"
MODEL_FILES = {"iam": "iam-2010-05-08.json", "sts": "sts-2011-06-15.json"}

# botocore validates nothing here: iamd sees exactly what the test sends.
RAW = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})

_session = botocore.session.get_session()
MODELS = {svc: _session.get_service_model(svc) for svc in MODEL_FILES}


def raw_client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ROOT_KEY_ID,
        aws_secret_access_key=ROOT_SECRET,
        config=RAW,
    )


def java_to_python(pattern):
    """The model's Java patterns as Python patterns (for making and checking values):
    Python has no `\\p{..}` classes; ASCII stand-ins are enough here."""
    return (
        pattern.replace(r"\p{L}", "a-zA-Z")
        .replace(r"\p{Z}", " ")
        .replace(r"\p{N}", "0-9")
    )


def matches(shape, value):
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return True
    return re.fullmatch(java_to_python(pattern), value, re.ASCII) is not None


def fits(shape, value):
    m = shape.metadata
    return (
        m.get("min", 0) <= utf16_len(value) <= m.get("max", 10**9)
        and matches(shape, value)
    )


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


CANDIDATES = [
    "a",
    "abc",
    "example",
    "/",
    "/a/",
    "v1",
    "123456789012",
    "123456",
    "AKIAEXAMPLEEXAMPLE00",
    "https://example.com",
    "arn:aws:iam::123456789012:policy/example",
    "o-abcdefghij",
    "o-abcdefghij/r-abcd",
    "p-abcdefgh",
    "abc-def",
    "abcdefghijklmnopqrstuvwxyz0123456789",
]


def valid_string(shape):
    if shape.enum:
        return shape.enum[0]
    lo = shape.metadata.get("min", 0)
    for c in CANDIDATES + [ch * max(lo, 1) for ch in "a1/A"]:
        if fits(shape, c):
            return c
        padded = c + c[-1] * max(0, lo - len(c))
        if fits(shape, padded):
            return padded
    return None


def valid_value(shape, depth=0):
    """A value satisfying every constraint of `shape`, or None if none is known."""
    t = shape.type_name
    if t == "string":
        return valid_string(shape)
    if t in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1) if "max" not in shape.metadata or shape.metadata["max"] >= 1 else shape.metadata["max"]
    if t == "boolean":
        return True
    if t == "timestamp":
        return "2026-01-01T00:00:00Z"
    if t == "blob":
        return b"data"
    if t == "list":
        n = max(shape.metadata.get("min", 0), 1)
        item = valid_value(shape.member, depth + 1)
        return None if item is None else [item] * n
    if t == "map":
        k, v = valid_value(shape.key, depth + 1), valid_value(shape.value, depth + 1)
        return None if k is None or v is None else {k: v}
    if t == "structure":
        if depth > 4:
            return None
        out = {}
        for name in shape.required_members:
            v = valid_value(shape.members[name], depth + 1)
            if v is None:
                return None
            out[name] = v
        if not out and depth > 0:
            # An empty structure is not sent at all: give it one member.
            for name, member in shape.members.items():
                v = valid_value(member, depth + 1)
                if v is not None:
                    out[name] = v
                    break
        return out
    return None


def lower_first(s):
    return s[:1].lower() + s[1:]


def shown(shape):
    """iamd quotes a value in its messages unless it is sensitive, an enum or a document
    (IAM was recorded leaving enum values out; see the wire spec, 1.6)."""
    m = shape.metadata
    return not (m.get("sensitive") or shape.enum or m.get("max", 0) >= 10000)


def clause(path, value, constraint, show=True):
    if value is None:
        at = "Value null at"
    elif show:
        at = f"Value '{value}' at"
    else:
        at = "Value at"
    return f"{at} '{path}' failed to satisfy constraint: {constraint}"


def string_clauses(shape, path, value):
    m, out, show = shape.metadata, [], shown(shape)
    n = utf16_len(value)
    if "min" in m and n < m["min"]:
        out.append(clause(path, value, f"Member must have length greater than or equal to {m['min']}", show))
    if "max" in m and n > m["max"]:
        out.append(clause(path, value, f"Member must have length less than or equal to {m['max']}", show))
    if not matches(shape, value):
        out.append(clause(path, value, f"Member must satisfy regular expression pattern: {m['pattern']}", show))
    return out


def message(clauses):
    if len(clauses) == 1:
        return f"1 validation error detected: {clauses[0]}"
    return f"{len(clauses)} validation errors detected: " + "; ".join(clauses)


def invalid_strings(shape):
    """(kind, value) for each string constraint of `shape` that some value breaks."""
    m = shape.metadata
    good = valid_string(shape)
    out = []
    if good is None:
        return out
    if "max" in m and m["max"] < 200_000:
        out.append(("too-long", good[0] * (m["max"] + 1)))
    if m.get("min", 0) > 0:
        out.append(("too-short", good[0] * (m["min"] - 1)))
    if "pattern" in m:
        for bad in ["!", "\u00e9", " ", "~", "a b", "\u0100", "\t"]:
            candidate = bad * max(m.get("min", 1), 1)
            if not matches(shape, candidate) and m.get("min", 0) <= len(candidate) <= m.get("max", 10**9):
                out.append(("pattern", candidate))
                break
    return out


def operations():
    for svc, model in MODELS.items():
        for op in model.operation_names:
            yield svc, op


def constraint_cases():
    for svc, op_name in operations():
        op = MODELS[svc].operation_model(op_name)
        if op.auth_type == "none" or op.input_shape is None:
            continue
        shape = op.input_shape
        base = valid_value(shape)
        if base is None:
            continue
        for name, member in shape.members.items():
            path = lower_first(name)
            if name in shape.required_members:
                params = {k: v for k, v in base.items() if k != name}
                yield pytest.param(
                    svc, op_name, params, message([clause(path, None, "Member must not be null")]),
                    id=f"{svc}:{op_name}:{name}:missing",
                )
            t = member.type_name
            if t == "string" and member.enum:
                yield pytest.param(
                    svc, op_name, {**base, name: "NotAValue"},
                    message([clause(path, "NotAValue", "Member must satisfy enum value set", False)]),
                    id=f"{svc}:{op_name}:{name}:enum",
                )
            elif t == "string":
                for kind, value in invalid_strings(member):
                    yield pytest.param(
                        svc, op_name, {**base, name: value}, message(string_clauses(member, path, value)),
                        id=f"{svc}:{op_name}:{name}:{kind}",
                    )
            elif t in ("integer", "long"):
                m = member.metadata
                for kind, value, text in [
                    ("below-min", m.get("min", None), "greater than or equal to {}"),
                    ("above-max", m.get("max", None), "less than or equal to {}"),
                ]:
                    if value is None:
                        continue
                    sent = value - 1 if kind == "below-min" else value + 1
                    yield pytest.param(
                        svc, op_name, {**base, name: sent},
                        message([clause(path, sent, "Member must have value " + text.format(value))]),
                        id=f"{svc}:{op_name}:{name}:{kind}",
                    )
            elif t == "list":
                m = member.metadata
                item = valid_value(member.member, 1)
                if item is None:
                    continue
                if "max" in m and m["max"] <= 1000:
                    yield pytest.param(
                        svc, op_name, {**base, name: [item] * (m["max"] + 1)},
                        message([clause(path, "", f"Member must have length less than or equal to {m['max']}", False)]),
                        id=f"{svc}:{op_name}:{name}:too-many",
                    )
                if m.get("min", 0) > 0:
                    yield pytest.param(
                        svc, op_name, {**base, name: [item] * (m["min"] - 1)},
                        message([clause(path, "", f"Member must have length greater than or equal to {m['min']}", False)]),
                        id=f"{svc}:{op_name}:{name}:too-few",
                    )


@pytest.fixture(scope="module")
def clients(endpoint):
    return {svc: raw_client(svc, endpoint) for svc in MODEL_FILES}


def test_models_are_the_pinned_ones():
    """botocore's models here are the very ones iamd's code is generated from."""
    loader = _session.get_component("data_loader")
    for svc, file in MODEL_FILES.items():
        shipped = loader.load_service_model(svc, "service-2")
        pinned = json.loads((DATA / file).read_text())
        assert shipped == pinned, f"{svc}: botocore's model differs from {file}"


# Errors any operation may answer, which the models do not list per operation.
COMMON_ERRORS = {
    "AccessDenied",
    "ValidationError",
    "InvalidClientTokenId",
    "ExpiredToken",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "MalformedQueryString",
    "Throttling",
    "InvalidParameterValue",
}

OPERATION_COUNT = sum(len(m.operation_names) for m in MODELS.values())
RESULTS = {"implemented": [], "not-implemented": []}


@pytest.mark.parametrize("svc,op_name", list(operations()), ids=lambda x: str(x))
def test_every_operation_answers(clients, svc, op_name):
    op = MODELS[svc].operation_model(op_name)
    params = valid_value(op.input_shape) if op.input_shape is not None else {}
    assert params is not None, f"no valid input known for {op_name}"
    try:
        clients[svc]._make_api_call(op_name, params)
        RESULTS["implemented"].append(op_name)
        return
    except ClientError as e:
        err = e.response["Error"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
    assert err["Code"] != "InvalidAction", f"{op_name}: {err}"
    # A constraint violation would mean the test's input or iamd's decoder is wrong; a
    # domain check answering ValidationError (AssumeRole's `… is invalid`) is a real result.
    assert not re.match(r"\d+ validation errors? detected", err["Message"]), f"{op_name}: {err}"
    if err["Code"] == "NotImplemented":
        assert status == 501
        assert op_name in err["Message"]
        RESULTS["not-implemented"].append(op_name)
    else:
        # A domain answer (NoSuchEntity, AccessDenied, …) from a served operation: one the
        # model declares for it, or one of the errors common to every operation.
        assert status < 500, f"{op_name}: {status} {err}"
        declared = {
            e.metadata.get("error", {}).get("code", e.name) for e in op.error_shapes
        }
        assert err["Code"] in declared | COMMON_ERRORS, f"{op_name}: {err['Code']} is not declared"
        RESULTS["implemented"].append(op_name)


def test_operation_counts():
    """Runs after the walk above (pytest keeps file order): all 193 were answered, at least
    the 166 iamd serves (with MFA devices, service-specific credentials, passwords, SSH keys,
    signing and server certificates, the credential report, OIDC and SAML providers,
    AssumeRoleWithWebIdentity, GetFederationToken, the context keys, the STS preferences, the organizations features) without NotImplemented."""
    total = len(RESULTS["implemented"]) + len(RESULTS["not-implemented"])
    assert total == OPERATION_COUNT == 193
    assert len(RESULTS["implemented"]) >= 166
    oidc = {
        "CreateOpenIDConnectProvider",
        "GetOpenIDConnectProvider",
        "ListOpenIDConnectProviders",
        "DeleteOpenIDConnectProvider",
        "AddClientIDToOpenIDConnectProvider",
        "RemoveClientIDFromOpenIDConnectProvider",
        "UpdateOpenIDConnectProviderThumbprint",
        "UpdateOpenIDConnectProvider",
        "TagOpenIDConnectProvider",
        "UntagOpenIDConnectProvider",
        "ListOpenIDConnectProviderTags",
        "AssumeRoleWithWebIdentity",
    }
    assert oidc <= set(RESULTS["implemented"]), oidc - set(RESULTS["implemented"])
    saml = {
        "CreateSAMLProvider",
        "GetSAMLProvider",
        "ListSAMLProviders",
        "UpdateSAMLProvider",
        "DeleteSAMLProvider",
        "TagSAMLProvider",
        "UntagSAMLProvider",
        "ListSAMLProviderTags",
    }
    assert saml <= set(RESULTS["implemented"]), saml - set(RESULTS["implemented"])
    passwords = {
        "CreateLoginProfile",
        "GetLoginProfile",
        "UpdateLoginProfile",
        "DeleteLoginProfile",
        "ChangePassword",
        "UpdateAccountPasswordPolicy",
        "GetAccountPasswordPolicy",
        "DeleteAccountPasswordPolicy",
        "UploadSSHPublicKey",
        "GetSSHPublicKey",
        "UpdateSSHPublicKey",
        "DeleteSSHPublicKey",
        "UploadSigningCertificate",
        "UpdateSigningCertificate",
        "DeleteSigningCertificate",
        "UploadServerCertificate",
        "GetServerCertificate",
        "ListServerCertificates",
        "UpdateServerCertificate",
        "DeleteServerCertificate",
        "TagServerCertificate",
        "UntagServerCertificate",
        "ListServerCertificateTags",
        "GenerateCredentialReport",
        "GetCredentialReport",
    }
    assert passwords <= set(RESULTS["implemented"]), passwords - set(RESULTS["implemented"])
    print(f"\n{len(RESULTS['implemented'])} operations served, {len(RESULTS['not-implemented'])} NotImplemented")


@pytest.mark.parametrize("svc,op_name,params,expected", list(constraint_cases()))
def test_constraint(clients, svc, op_name, params, expected):
    with pytest.raises(ClientError) as excinfo:
        clients[svc]._make_api_call(op_name, params)
    err = excinfo.value.response["Error"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (err["Code"], err["Message"]) == ("ValidationError", expected)
