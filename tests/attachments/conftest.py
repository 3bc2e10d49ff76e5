"""Every attachment test runs on each storage: the instance folder, and an S3 bucket.

The bucket is served by moto's S3 server on a local port, so the storage talks to
it through boto3 over HTTP exactly as it would to AWS, MinIO or Ceph.
"""

from __future__ import annotations

import socket
import uuid

import pytest

S3_CREDENTIALS = {"S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret"}


def s3_settings(bucket: str, endpoint: str) -> dict:
    """The app settings that store attachments in `bucket` at `endpoint`."""
    return {
        "ATTACHMENT_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        **S3_CREDENTIALS,
    }


def unreachable_bucket() -> dict:
    """Settings naming a bucket on a port nothing listens on: a store that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    return s3_settings("ticketdesk-unreachable", f"http://127.0.0.1:{closed_port}")


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of an S3 server for this test run."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A new, empty bucket for one test."""
    import boto3

    name = f"ticketdesk-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_CREDENTIALS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def app_config(request):
    if request.param == "local":
        return {}
    return s3_settings(request.getfixturevalue("s3_bucket"), request.getfixturevalue("s3_endpoint"))
