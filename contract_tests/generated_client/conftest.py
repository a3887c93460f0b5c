"""The generated client as the README builds it, against a base URL that respx intercepts."""

from __future__ import annotations

import httpx
import pytest
from fgs_client import AuthenticatedClient

BASE = "https://fgs.test"
TOKEN = "generated-client-token"


def make_client() -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=BASE, token=TOKEN, prefix="", auth_header_name="X-Auth-Token", timeout=httpx.Timeout(5.0)
    )


@pytest.fixture
def client() -> AuthenticatedClient:
    return make_client()
