"""The official SDK's own signer, driven directly with a fixed X-Sdk-Date: the reference the tests compare to."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

from fgs import _signing


def sdk_sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    ak: str,
    sk: str,
    date: str,
    project_id: str | None = None,
    security_token: str | None = None,
) -> tuple[dict[str, str], str]:
    """The headers the SDK sends, and the path with query it sends them to."""
    parts = urlsplit(url)
    request = SdkRequest(
        method=method,
        schema=parts.scheme,
        host=parts.netloc,
        resource_path=parts.path,
        query_params=_signing.parse_query(parts.query),
        header_params={**headers, "X-Sdk-Date": date},
        body=body,
    )
    credentials = BasicCredentials(ak, sk, project_id)
    if security_token is not None:
        credentials.with_security_token(security_token)
    signed = credentials.sign_request(request)
    return dict(signed.header_params), signed.uri
