"""The official SDK, configured as its users configure it, against the real mock served on loopback.

This covers what the SDK's HTTP stack does after signing (the requests library, its Host header, the
query it sends), which signing the SDK's request objects directly cannot show, and the mock's own
verification and answers as the SDK parses them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from contract_tests.auth.keys import AK, PROJECT, SK, URN
from fgs_mock import Backend, create_app, serve_in_thread

sdk_core = pytest.importorskip("huaweicloudsdkcore")


@pytest.fixture
def mock() -> Iterator[tuple[str, Backend]]:
    backend = Backend.with_defaults(project_id=PROJECT, function_urn=URN)
    backend.add_access_key(AK, SK, PROJECT)
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


def _invoke(endpoint: str, sk: str) -> Any:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkfunctiongraph.v2 import AsyncInvokeFunctionRequest, FunctionGraphClient

    client = (
        FunctionGraphClient.new_builder()
        .with_credentials(BasicCredentials(AK, sk, PROJECT))
        .with_endpoints([endpoint])
        .build()
    )
    return client.async_invoke_function(AsyncInvokeFunctionRequest(function_urn=URN, body={"k": "v"}))


def test_the_sdk_is_accepted_and_parses_the_202(mock: tuple[str, Backend]) -> None:
    endpoint, backend = mock
    answer = _invoke(endpoint, SK)
    assert answer.status_code == 202
    stored = backend.invocations.get(str(uuid.UUID(answer.request_id)))
    assert stored is not None
    assert (stored.project_id, json.loads(stored.body)) == (PROJECT, {"k": "v"})


def test_the_sdk_with_a_wrong_secret_gets_a_401_it_parses(mock: tuple[str, Backend]) -> None:
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

    endpoint, backend = mock
    with pytest.raises(ClientRequestException) as caught:
        _invoke(endpoint, "not-" + SK)
    assert (caught.value.status_code, caught.value.error_code) == (401, "FSS.0401")
    assert caught.value.error_msg
    assert SK not in str(caught.value)
    assert len(backend.invocations) == 0
