"""Federation through boto3 and the aws CLI: GetFederationToken, the federated session's
identity and reach, and the STS operations iamd answers NotImplemented with a reason."""

import datetime
import json

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT_ID, NO_RETRY, REGION

ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def session_client(service, endpoint, creds):
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=NO_RETRY,
    )


@pytest.fixture
def federating_user(iam, new_user):
    name = new_user()
    iam.put_user_policy(
        UserName=name,
        PolicyName="federate",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"}],
            }
        ),
    )
    return name, iam.create_access_key(UserName=name)["AccessKey"]


def test_federation_token_and_reach(endpoint, user_client, federating_user):
    _, key = federating_user
    out = user_client(key, service="sts").get_federation_token(
        Name="carol", Policy=ALLOW_ALL, DurationSeconds=900
    )
    assert out["FederatedUser"] == {
        "FederatedUserId": f"{ACCOUNT_ID}:carol",
        "Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/carol",
    }
    assert out["PackedPolicySize"] > 0
    creds = out["Credentials"]
    lifetime = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(seconds=800) < lifetime <= datetime.timedelta(seconds=900)

    me = session_client("sts", endpoint, creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/carol"
    assert me["UserId"] == f"{ACCOUNT_ID}:carol"

    with pytest.raises(botocore.exceptions.ClientError) as e:
        session_client("iam", endpoint, creds).list_users()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session_client("sts", endpoint, creds).get_federation_token(Name="again")
    assert e.value.response["Error"] == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": "Cannot call GetFederationToken with session credentials",
    }


def test_federation_token_refusals(user_client, federating_user):
    _, key = federating_user
    sts = user_client(key, service="sts")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_federation_token(Name="carol", Policy="{}")
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    # Session tags need sts:TagSession as well.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_federation_token(Name="carol", Tags=[{"Key": "k", "Value": "v"}])
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:TagSession" in e.value.response["Error"]["Message"]


def test_federation_session_tags(iam, endpoint, user_client, federating_user):
    name, key = federating_user
    iam.put_user_policy(
        UserName=name,
        PolicyName="tag-session",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:TagSession",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:RequestTag/team": "blue"}},
                    }
                ],
            }
        ),
    )
    sts = user_client(key, service="sts")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_federation_token(Name="carol", Tags=[{"Key": "team", "Value": "red"}])
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    out = sts.get_federation_token(
        Name="carol", Policy=ALLOW_ALL, Tags=[{"Key": "team", "Value": "blue"}]
    )
    assert out["PackedPolicySize"] > 0
    me = session_client("sts", endpoint, out["Credentials"]).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/carol"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_federation_token(
            Name="carol",
            Tags=[{"Key": "team", "Value": "blue"}, {"Key": "Team", "Value": "blue"}],
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_federation_token_with_the_cli(aws, federating_user):
    _, key = federating_user
    out = aws(
        "sts", "get-federation-token", "--name", "dave", "--policy", ALLOW_ALL,
        key_id=key["AccessKeyId"], secret=key["SecretAccessKey"],
    ).json
    assert out["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/dave"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    # Tags without sts:TagSession are refused by the CLI too.
    refused = aws(
        "sts", "get-federation-token", "--name", "dave", "--tags", "Key=k,Value=v",
        key_id=key["AccessKeyId"], secret=key["SecretAccessKey"],
    )
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr


def test_unserved_sts_operations_say_why(sts):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.decode_authorization_message(EncodedMessage="abc")
    err = e.value.response["Error"]
    assert err["Code"] == "NotImplemented"
    assert "DecodeAuthorizationMessage" in err["Message"]
    assert "encoded authorization message" in err["Message"]
