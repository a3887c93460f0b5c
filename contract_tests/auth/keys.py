"""Fixed identities for the auth tests. The secrets are canaries: tests search every output for them."""

from __future__ import annotations

from urllib.parse import quote

from fgs import _signing

AK = "HPUAFGSTESTKEY000001"
SK = "canary-secret-key-9f1c2e"
SECURITY_TOKEN = "canary-security-token-4b7d"
PASSWORD = "canary-password-51aa"
PROJECT = "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60"
OTHER_PROJECT = "ffffffffffffffffffffffffffffffff"
URN = f"urn:fss:eu-de:{PROJECT}:function:default:hello:latest"
ENDPOINT = "http://127.0.0.1:8080"
DATE = "20260102T030405Z"
NOW = _signing.parse_sdk_date(DATE)
SDK_HEADERS = {"Content-Type": "application/json", "User-Agent": "huaweicloud-usdk-python/3.0"}


def function_path(verb: str = "invocations-async", project: str = PROJECT, urn: str = URN) -> str:
    return f"/v2/{quote(project, safe='')}/fgs/functions/{quote(urn, safe='')}/{verb}"
