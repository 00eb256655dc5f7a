"""Fixtures that run a real `iamd` process and point boto3 / the aws CLI at it.

Each test module gets a fresh server (fresh temp data dir, port 0) with fixed root
credentials; tests create uniquely named users so they never depend on each other.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]

ACCOUNT_ID = "123456789012"
ROOT_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
REGION = "eu-west-1"

# AWS's self-service policy: a user may manage its own access keys and nothing else.
SELF_SERVICE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManageOwnAccessKeys",
                "Effect": "Allow",
                "Action": "iam:*AccessKey*",
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            }
        ],
    }
)


def allow_self_service(iam, user_name):
    """Identity policies are enforced: give a user the self-service policy."""
    iam.put_user_policy(UserName=user_name, PolicyName="self-service", PolicyDocument=SELF_SERVICE_POLICY)


# No retries: a retried request would hide what the server answered first.
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


def _iamd_bin() -> Path:
    env = os.environ.get("IAMD_BIN")
    path = Path(env) if env else REPO_ROOT / "target" / "debug" / "iamd"
    if not path.is_file():
        pytest.exit(
            f"iamd binary not found at {path}; build it (cargo build -p iamd) or set IAMD_BIN",
            returncode=2,
        )
    return path


class IamdServer:
    """A running iamd process; `endpoint` is `http://127.0.0.1:PORT` (`https://` when
    `extra_args` turn TLS on)."""

    def __init__(self, binary: Path, extra_args=(), env_extra=None, stderr=None):
        self.data_dir = Path(tempfile.mkdtemp(prefix="iamd-pytest-"))
        env = dict(os.environ)
        env.update(
            {
                "IAMD_ACCOUNT_ID": ACCOUNT_ID,
                "IAMD_ROOT_ACCESS_KEY_ID": ROOT_KEY_ID,
                "IAMD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
                "IAMD_LOG": "warn",
            }
        )
        env.update(env_extra or {})
        for name in ("IAMD_LISTEN", "IAMD_DATA_DIR", "IAMD_TLS_CERT", "IAMD_TLS_KEY", "IAMD_HTTP2"):
            env.pop(name, None)
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(self.data_dir), *extra_args],
            stdout=subprocess.PIPE,
            stderr=stderr,  # None: inherit, pytest shows it on failure
            env=env,
            text=True,
        )
        self.stdout_lines = []
        self.endpoint = None
        self.account = None
        found = threading.Event()

        def reader():
            for line in self.proc.stdout:
                line = line.rstrip("\n")
                self.stdout_lines.append(line)
                if not found.is_set() and line.startswith("iamd: listening on "):
                    rest = line[len("iamd: listening on ") :].split()
                    self.endpoint = rest[0]
                    if len(rest) >= 3 and rest[1] == "(account":
                        self.account = rest[2].rstrip(")")
                    found.set()
            found.set()

        # Keep draining stdout for the life of the process so it can never block on a full pipe.
        self._reader = threading.Thread(target=reader, daemon=True)
        self._reader.start()
        if not found.wait(timeout=30) or self.endpoint is None:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"iamd did not start; stdout: {self.stdout_lines!r}")
        host_port = self.endpoint.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("iamd did not exit within 20 s of SIGTERM")
        self._reader.join(timeout=5)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return self.proc.returncode


@pytest.fixture(scope="module")
def server():
    srv = IamdServer(_iamd_bin())
    try:
        yield srv
    finally:
        code = srv.stop()
    assert code == 0, f"iamd exited with {code} after SIGTERM"


@pytest.fixture(scope="module")
def endpoint(server):
    return server.endpoint


def make_client(service, endpoint, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, region=REGION, verify=None):
    """A boto3 client; `verify` is a CA bundle path for https:// endpoints."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=NO_RETRY,
        verify=verify,
    )


@pytest.fixture(scope="module")
def iam(endpoint):
    """IAM client signed with the account root's key."""
    return make_client("iam", endpoint)


@pytest.fixture(scope="module")
def sts(endpoint):
    """STS client signed with the account root's key."""
    return make_client("sts", endpoint)


@pytest.fixture
def unique_name(request):
    """A factory of user names unique across the session (readable: test name + random)."""
    base = request.node.name.replace("test_", "", 1)
    base = "".join(c if c.isalnum() or c in "+=,.@-_" else "-" for c in base)[:40]

    def make(tag=""):
        return f"{base}{('-' + tag) if tag else ''}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def new_user(iam, unique_name):
    """Create a user (unique name) and return its name."""

    def make(tag="", **kwargs):
        name = unique_name(tag)
        iam.create_user(UserName=name, **kwargs)
        return name

    return make


@pytest.fixture
def user_client(endpoint):
    """Build a client signed with a given (key id, secret)."""

    def make(access_key, service="iam", region=REGION):
        return make_client(
            service,
            endpoint,
            key_id=access_key["AccessKeyId"],
            secret=access_key["SecretAccessKey"],
            region=region,
        )

    return make


def aws_cli_path() -> str:
    candidates = [
        Path(sys.executable).parent / "aws",
        REPO_ROOT / ".venv" / "bin" / "aws",
    ]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which("aws")
    if found:
        return found
    pytest.exit("aws CLI not found next to the interpreter nor on PATH", returncode=2)


class CliResult:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def json(self):
        assert self.returncode == 0, f"aws CLI failed ({self.returncode}): {self.stderr}"
        return json.loads(self.stdout) if self.stdout.strip() else {}


@pytest.fixture(scope="module")
def aws(endpoint, tmp_path_factory):
    """Run the aws CLI against the server: `aws("iam", "list-users", "--max-items", "1")`.

    Returns a CliResult; `.json` asserts success and parses stdout.
    """
    cli = aws_cli_path()
    cfg_dir = tmp_path_factory.mktemp("awscfg")
    config_file = cfg_dir / "config"
    creds_file = cfg_dir / "credentials"
    config_file.write_text("")
    creds_file.write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("IAMD_BIN",)
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ROOT_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(creds_file),
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )

    def run(*args, key_id=None, secret=None):
        e = dict(env)
        if key_id is not None:
            e["AWS_ACCESS_KEY_ID"] = key_id
            e["AWS_SECRET_ACCESS_KEY"] = secret
        proc = subprocess.run(
            [cli, *args, "--endpoint-url", endpoint, "--output", "json"],
            env=e,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return CliResult(proc)

    return run
