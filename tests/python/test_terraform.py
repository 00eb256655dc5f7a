"""Terraform's AWS provider against iamd: a real stack (users, access keys, inline and
customer managed policies, roles with tags, groups with members and policies, instance
profiles, AWS managed policies attached and as permissions boundaries, the account alias,
the STS global endpoint token version, service-linked roles, a virtual MFA device, a CodeCommit credential, a SAML provider and a role
trusting it, the account password policy, a login profile with a generated password, and a `force_destroy` user whose login
profile was made out of band) applies, re-plans with no changes, and is destroyed
(service-linked roles through DeleteServiceLinkedRole and the deletion status the
provider polls).

Skips (with the reason) when `terraform` or a local mirror of the AWS provider is not on
the machine: the registry is not reachable here, so the provider must come from a
filesystem mirror (`IAMD_TF_PLUGIN_DIR`, default `/opt/tf-plugins`).
"""

import json
import os
import shutil
import subprocess
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ACCOUNT_ID, REGION, ROOT_KEY_ID, ROOT_SECRET
from test_server_certificates import chain_and_leaf

PLUGIN_DIR = Path(os.environ.get("IAMD_TF_PLUGIN_DIR", "/opt/tf-plugins"))
TERRAFORM = shutil.which("terraform")


def _provider_available():
    return any(PLUGIN_DIR.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"))


pytestmark = pytest.mark.skipif(
    TERRAFORM is None or not _provider_available(),
    reason=f"SKIPPED: terraform ({TERRAFORM or 'not on PATH'}) or its AWS provider under {PLUGIN_DIR} is missing",
)

STACK = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region                      = "%(region)s"
  access_key                  = "%(key)s"
  secret_key                  = "%(secret)s"
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    iam = "%(endpoint)s"
    sts = "%(endpoint)s"
  }
}

resource "aws_iam_user" "app" {
  name = "tf-app"
  path = "/apps/"
  tags = { team = "payments" }
}

resource "aws_iam_access_key" "app" {
  user = aws_iam_user.app.name
}

resource "aws_iam_service_specific_credential" "git" {
  service_name = "codecommit.amazonaws.com"
  user_name    = aws_iam_user.app.name
}

resource "aws_iam_user_ssh_key" "app" {
  username   = aws_iam_user.app.name
  encoding   = "SSH"
  public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDy+d1EzwE1eRCRyanjgmbtnChFXsyI9+zb0j4hOSGAk9KM4plcgmGQrqhTZUheyfu5xC0slvA44H6aMVv6jK/tws71zbLSKtNbboG/MGStVrwmc6bYW954TqWbQcOe17Mo7H6p5fLGjqVH0qJOr2AA64buSvagF6Ec7KhPUIlslBWEb5qJo+73ufBRi9LCQl9qxfF3b3i5PpcMloprdF0/G5eEmtPanik/K3fEjFZDtB+haEcH6lEMC1sYU6l7zPaBi34WCKBcwNxX5AJktJAetaJKViQzIo8IvXzLZeLqp04VAnu9rqYWzh8+kJxvcrJ4Djt77cTkrfb6KFmusO5r test2@iamd"
}

resource "aws_iam_signing_certificate" "app" {
  user_name        = aws_iam_user.app.name
  certificate_body = <<-PEM
    -----BEGIN CERTIFICATE-----
    MIIDHTCCAgWgAwIBAgIUY4J/DcQDB7UrAS/yV3o027hJjo8wDQYJKoZIhvcNAQEL
    BQAwHTEbMBkGA1UEAwwSdGYtc2lnbmluZy5leGFtcGxlMCAXDTI2MTIwNDE3MTQz
    OVoYDzIxMjYxMTEwMTcxNDM5WjAdMRswGQYDVQQDDBJ0Zi1zaWduaW5nLmV4YW1w
    bGUwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDYaoqKKZqGfIuqn8eZ
    CpvCB9tOKf9iqSl7v5Xqx2jTWn1g3AhHFPISQMZKInVHsJo3yhQ6UWo6/g6bB3SV
    8Aafhrq/1dRUsmwFbFzUOQO4FJq1bXrmHoNiYRoJ1aFS6fEY4fA0Weqh3qVJGV9u
    DRkI3fjPE3X8GszUTXhHbmyimBSLyrwL9E5vU4+1svW1+PH5LI2gKgPNrz2LkGty
    ZaeJ0IkQMQ1QHfZok/7jroeiiHhX7a86t5CH6n+T0pfwKVhFlYqGQck5MaBfyhzy
    xwpcLr/nLLisCo0x4g8VasWC3NfBKJXzBbXBqUmkwSJyIHcIj7iPyh6kkhX+jJVk
    qxZ/AgMBAAGjUzBRMB0GA1UdDgQWBBRiJxe/fdPM3O+u75/PE4+353zHXDAfBgNV
    HSMEGDAWgBRiJxe/fdPM3O+u75/PE4+353zHXDAPBgNVHRMBAf8EBTADAQH/MA0G
    CSqGSIb3DQEBCwUAA4IBAQA8p/IptRy1ZbhewuPxrt+YYl0nrFf1EgAnEKlnZCr/
    bnSiMzCkcEjeu0P+nDAfyIFAAmu3YZDKnXnCanI7j0VyabErhUhUMSa4ihQL11Ik
    VkltOv1+PaS5CB906IVVSDhBZyh0lX6437qHMW8O4JijTY3XT/Pg6RWj1NEu2W9f
    Ru2ettY5sc+G+D9a9SKLAnXtqfcx7hA5C/N+8ZpTxNHvbIS/likiiaCFecYVYHP6
    ILU2pil2L3ljRPXMGqV78JI/chS4j75IwVpUk9c8I+geNPsAX5Y4yS7slplcQr/m
    QVwLrd8Y3S/gm/HjXT+uT0fW6EB8nVPN8Ds/NyoUJWXv
    -----END CERTIFICATE-----
  PEM
}

resource "aws_iam_server_certificate" "edge" {
  name             = "tf-edge"
  path             = "/edge/"
  certificate_body = <<-PEM
%(server_cert)s  PEM
  certificate_chain = <<-PEM
%(server_chain)s  PEM
  private_key      = <<-PEM
%(server_key)s  PEM
  tags = { team = "edge" }
}

resource "aws_iam_user_policy" "app" {
  name = "read-own-keys"
  user = aws_iam_user.app.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:ListAccessKeys", Resource = aws_iam_user.app.arn }]
  })
}

resource "aws_iam_policy" "readers" {
  name        = "tf-readers"
  description = "Read users"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["iam:GetUser", "iam:ListUsers"], Resource = "*" }]
  })
}

resource "aws_iam_user_policy_attachment" "app" {
  user       = aws_iam_user.app.name
  policy_arn = aws_iam_policy.readers.arn
}

resource "aws_iam_role" "worker" {
  name = "tf-worker"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = aws_iam_user.app.arn } }]
  })
  max_session_duration = 7200
  tags                 = { tier = "batch" }
}

resource "aws_iam_role_policy" "worker" {
  name = "inline"
  role = aws_iam_role.worker.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:ListRoles", Resource = "*" }]
  })
}

resource "aws_iam_role_policy_attachment" "worker" {
  role       = aws_iam_role.worker.name
  policy_arn = aws_iam_policy.readers.arn
}

resource "aws_iam_group" "devs" {
  name = "tf-devs"
  path = "/teams/"
}

resource "aws_iam_user_group_membership" "app" {
  user   = aws_iam_user.app.name
  groups = [aws_iam_group.devs.name]
}

resource "aws_iam_group_policy" "devs" {
  name  = "list-roles"
  group = aws_iam_group.devs.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:ListRoles", Resource = "*" }]
  })
}

resource "aws_iam_group_policy_attachment" "devs" {
  group      = aws_iam_group.devs.name
  policy_arn = aws_iam_policy.readers.arn
}

resource "aws_iam_group_policy_attachment" "devs_read_only" {
  group      = aws_iam_group.devs.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role" "bounded" {
  name                 = "tf-bounded"
  permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "bounded" {
  role       = aws_iam_role.bounded.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_user" "bounded" {
  name                 = "tf-bounded"
  permissions_boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_instance_profile" "worker" {
  name = "tf-worker-profile"
  role = aws_iam_role.worker.name
  tags = { purpose = "ec2" }
}

resource "aws_iam_account_alias" "alias" {
  account_alias = "tf-corp"
}

resource "aws_iam_security_token_service_preferences" "sts" {
  global_endpoint_token_version = "v2Token"
}

resource "aws_iam_service_linked_role" "elb" {
  aws_service_name = "elasticloadbalancing.amazonaws.com"
  description      = "Terraform's load balancers"
}

resource "aws_iam_service_linked_role" "autoscaling" {
  aws_service_name = "autoscaling.amazonaws.com"
  custom_suffix    = "tf"
  tags             = { owner = "terraform" }
}

resource "aws_iam_virtual_mfa_device" "app" {
  virtual_mfa_device_name = "tf-app-phone"
  path                    = "/apps/"
  tags                    = { team = "payments" }
}

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length        = 14
  require_lowercase_characters   = true
  require_uppercase_characters   = true
  require_numbers                = true
  require_symbols                = true
  allow_users_to_change_password = true
  password_reuse_prevention      = 5
  max_password_age               = 90
}

resource "aws_iam_user" "console" {
  name          = "tf-console"
  force_destroy = true
}

# The provider generates the password (20 characters of every kind) and shows it once.
resource "aws_iam_user_login_profile" "console" {
  user                    = aws_iam_user.console.name
  password_length         = 24
  password_reset_required = true
  depends_on              = [aws_iam_account_password_policy.strict]
}

# A user whose login profile Terraform does not manage (made out of band below):
# force_destroy deletes it with the user.
resource "aws_iam_user" "forced" {
  name          = "tf-forced"
  force_destroy = true
}

# GitHub Actions' OIDC issuer and a role its workflows of one repository may assume.
resource "aws_iam_openid_connect_provider" "github" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
  tags            = { ci = "github" }
}

resource "aws_iam_role" "deploy" {
  name = "tf-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }
        StringLike   = { "token.actions.githubusercontent.com:sub" = "repo:org/app:*" }
      }
    }]
  })
}

# A corporate SAML IdP (its metadata, with a generated signing certificate) and a role
# its users may assume through the AWS sign-in endpoint.
resource "aws_iam_saml_provider" "corp" {
  name                   = "tf-corp-idp"
  saml_metadata_document = <<-XML
%(saml_metadata)s  XML
  tags                   = { idp = "corp" }
}

resource "aws_iam_role" "saml" {
  name = "tf-saml"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = aws_iam_saml_provider.corp.arn }
      Action    = "sts:AssumeRoleWithSAML"
      Condition = { StringEquals = { "SAML:aud" = "https://signin.aws.amazon.com/saml" } }
    }]
  })
}

output "key_id" {
  value = aws_iam_access_key.app.id
}

output "console_password" {
  value     = aws_iam_user_login_profile.console.password
  sensitive = true
}
"""


OUT_OF_BAND_SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDsB4SkEtNVoNQM+Iu/2dIuBU0maiS1twIB3zyf2/wM0wykF0JDjuhb1ZnrGJeeDPH7XmH5qBdygweZH6eFMl50/dhfQ842bON+qSpgmOU+VXYu3Cw6QqH9HgdA7sfGr45DFJbPnoV+KR9dBliZkhtvr7w8gScZlU6ItNupqgX68I41TWIH94/uy8Cg7qGjxJyy8eeQMpa/MshB/lj9VaClMuJuGrK5LdvPxR2HEyUo2nXKQPquaXRInU8hd9HW5H0KmgxxsHeFXZOEPkej7rLoVK+YRjptFCuHQpZ6jeMbRdL2ysKEOY1TLco66F6a9FsXz2Skr7k57uZzsOyMwwPD test3@iamd"


def saml_metadata(leaf_pem):
    """An IdP metadata document (validUntil set) whose signing key is `leaf_pem`'s."""
    body = "".join(line for line in leaf_pem.strip().splitlines() if not line.startswith("-----"))
    return textwrap.dedent(
        f"""\
        <?xml version="1.0" encoding="UTF-8"?>
        <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.corp.example/saml" validUntil="2099-01-01T00:00:00Z">
          <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
            <md:KeyDescriptor use="signing">
              <ds:KeyInfo>
                <ds:X509Data>
                  <ds:X509Certificate>{body}</ds:X509Certificate>
                </ds:X509Data>
              </ds:KeyInfo>
            </md:KeyDescriptor>
            <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.corp.example/saml/sso"/>
          </md:IDPSSODescriptor>
        </md:EntityDescriptor>
        """
    )


def sign_in_json(endpoint, user, password):
    """iamd's `POST /iamd/v1/sign-in`: (status, answer)."""
    body = json.dumps({"account": ACCOUNT_ID, "user": user, "password": password}).encode()
    req = urllib.request.Request(endpoint + "/iamd/v1/sign-in", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def run(workdir, *args, env):
    proc = subprocess.run(
        [TERRAFORM, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc


def test_a_stack_applies_replans_clean_and_destroys(endpoint, iam, tmp_path):
    chain, leaf, private_key, _ = chain_and_leaf("tf-edge.example")
    _, idp_leaf, _, _ = chain_and_leaf("idp.corp.example")
    metadata = saml_metadata(idp_leaf)

    def heredoc(text):
        return "".join(f"    {line}\n" for line in text.strip().splitlines())

    (tmp_path / "main.tf").write_text(
        STACK
        % {
            "region": REGION,
            "key": ROOT_KEY_ID,
            "secret": ROOT_SECRET,
            "endpoint": endpoint,
            "server_cert": heredoc(leaf),
            "server_chain": heredoc(chain),
            "server_key": heredoc(private_key),
            "saml_metadata": heredoc(metadata),
        }
    )
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text(
        textwrap.dedent(
            f"""
            provider_installation {{
              filesystem_mirror {{
                path    = "{PLUGIN_DIR}"
                include = ["registry.terraform.io/hashicorp/aws"]
              }}
              direct {{
                exclude = ["registry.terraform.io/hashicorp/aws"]
              }}
            }}
            """
        )
    )
    env = dict(os.environ)
    env.update(
        {
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "TF_DATA_DIR": str(tmp_path / ".terraform"),
        }
    )
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(var, None)

    init = run(tmp_path, "init", "-input=false", "-no-color", env=env)
    assert init.returncode == 0, init.stdout + init.stderr

    apply = run(tmp_path, "apply", "-auto-approve", "-input=false", "-no-color", env=env)
    assert apply.returncode == 0, apply.stdout + apply.stderr

    # What Terraform made is what iamd serves.
    user = iam.get_user(UserName="tf-app")["User"]
    assert user["Path"] == "/apps/"
    keys = iam.list_access_keys(UserName="tf-app")["AccessKeyMetadata"]
    out = run(tmp_path, "output", "-json", env=env)
    assert [k["AccessKeyId"] for k in keys] == [json.loads(out.stdout)["key_id"]["value"]]
    role = iam.get_role(RoleName="tf-worker")["Role"]
    assert role["MaxSessionDuration"] == 7200
    attached = iam.list_attached_role_policies(RoleName="tf-worker")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["tf-readers"]
    assert role["Tags"] == [{"Key": "tier", "Value": "batch"}]
    groups = iam.list_groups_for_user(UserName="tf-app")["Groups"]
    assert [(g["GroupName"], g["Path"]) for g in groups] == [("tf-devs", "/teams/")]
    assert iam.get_group_policy(GroupName="tf-devs", PolicyName="list-roles")["PolicyName"] == "list-roles"
    group_attached = iam.list_attached_group_policies(GroupName="tf-devs")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in group_attached] == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::000000000000:policy/tf-readers".replace("000000000000", role["Arn"].split(":")[4]),
    ]
    bounded = iam.get_role(RoleName="tf-bounded")["Role"]
    assert bounded["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    bounded_user = iam.get_user(UserName="tf-bounded")["User"]
    assert bounded_user["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    profiles = iam.list_instance_profiles_for_role(RoleName="tf-worker")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in profiles] == ["tf-worker-profile"]
    assert iam.list_account_aliases()["AccountAliases"] == ["tf-corp"]
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    elb = iam.get_role(RoleName="AWSServiceRoleForElasticLoadBalancing")["Role"]
    assert elb["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    assert elb["Description"] == "Terraform's load balancers"
    autoscaling = iam.get_role(RoleName="AWSServiceRoleForAutoScaling_tf")["Role"]
    assert autoscaling["Tags"] == [{"Key": "owner", "Value": "terraform"}]
    devices = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    serial = "arn:aws:iam::123456789012:mfa/apps/tf-app-phone"
    assert [d["SerialNumber"] for d in devices] == [serial]
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "team", "Value": "payments"}]
    git = iam.list_service_specific_credentials(UserName="tf-app")["ServiceSpecificCredentials"]
    assert [(c["ServiceName"], c["ServiceUserName"]) for c in git] == [
        ("codecommit.amazonaws.com", "tf-app-at-123456789012")
    ]

    ssh_keys = iam.list_ssh_public_keys(UserName="tf-app")["SSHPublicKeys"]
    assert [k["Status"] for k in ssh_keys] == ["Active"]
    certs = iam.list_signing_certificates(UserName="tf-app")["Certificates"]
    assert [c["Status"] for c in certs] == ["Active"]
    assert certs[0]["CertificateBody"].startswith("-----BEGIN CERTIFICATE-----")

    edge = iam.get_server_certificate(ServerCertificateName="tf-edge")["ServerCertificate"]
    assert edge["ServerCertificateMetadata"]["Path"] == "/edge/"
    assert edge["Tags"] == [{"Key": "team", "Value": "edge"}]
    assert edge["CertificateBody"].strip() == leaf.strip()

    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    github = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    assert [p["Arn"] for p in providers] == [github]
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=github)
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert provider["Tags"] == [{"Key": "ci", "Value": "github"}]
    deploy = iam.get_role(RoleName="tf-deploy")["Role"]
    assert deploy["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": github}

    saml_arn = "arn:aws:iam::123456789012:saml-provider/tf-corp-idp"
    assert [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]] == [saml_arn]
    saml = iam.get_saml_provider(SAMLProviderArn=saml_arn)
    assert saml["SAMLMetadataDocument"].strip() == metadata.strip()
    assert saml["ValidUntil"].year == 2099
    assert saml["Tags"] == [{"Key": "idp", "Value": "corp"}]
    saml_role = iam.get_role(RoleName="tf-saml")["Role"]
    assert saml_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": saml_arn}

    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["MaxPasswordAge"], policy["PasswordReusePrevention"]) == (14, 90, 5)
    profile = iam.get_login_profile(UserName="tf-console")["LoginProfile"]
    assert profile["PasswordResetRequired"] is True
    password = json.loads(run(tmp_path, "output", "-json", env=env).stdout)["console_password"]["value"]
    assert len(password) == 24
    status, answer = sign_in_json(endpoint, "tf-console", password)
    assert (status, answer["result"], answer["passwordResetRequired"]) == (200, "ok", True)
    iam.create_login_profile(UserName="tf-forced", Password="Out-Of-Band-Pa55word")
    # force_destroy lists and deletes SSH keys too.
    iam.upload_ssh_public_key(UserName="tf-forced", SSHPublicKeyBody=OUT_OF_BAND_SSH_KEY)

    # Re-plan: nothing to change (exit code 0; 2 would mean a diff).
    plan = run(tmp_path, "plan", "-detailed-exitcode", "-input=false", "-no-color", env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr

    destroy = run(tmp_path, "destroy", "-auto-approve", "-input=false", "-no-color", env=env)
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert not [u for u in iam.list_users()["Users"] if u["UserName"].startswith("tf-")]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"] in ("tf-worker", "tf-bounded", "tf-deploy", "tf-saml")]
    assert not iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert not iam.list_saml_providers()["SAMLProviderList"]
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    assert not iam.list_groups()["Groups"]
    assert not iam.list_instance_profiles()["InstanceProfiles"]
    assert not iam.list_account_aliases()["AccountAliases"]
    assert not iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert not iam.list_server_certificates()["ServerCertificateMetadataList"]
    # The provider's destroy leaves the STS preference as it is (there is nothing to
    # delete); put back the default for the tests after this one.
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
