"""The official SDK, configured as its users configure it, against a loopback server that verifies with KeyRing.

This covers what the SDK's HTTP stack does after signing (the requests library, its Host header, the
query it sends), which signing the SDK's request objects directly cannot show.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from contract_tests.auth.keys import AK, PROJECT, SK, URN
from fgs.error_codes import ERROR_CODES
from fgs_mock.auth import AuthRefusal, KeyRing

sdk_core = pytest.importorskip("huaweicloudsdkcore")


class _Verifying(BaseHTTPRequestHandler):
    ring: KeyRing
    seen: list[tuple[str, str]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        path, _, query = self.path.partition("?")
        headers = [(k.encode("latin-1"), v.encode("utf-8")) for k, v in self.headers.items()]
        try:
            caller = self.ring.verify(self.command, path, query, headers, body)
        except AuthRefusal as refusal:
            self.seen.append(("refused", refusal.reason))
            code = ERROR_CODES[refusal.code]
            self._answer(code.status, {"error_code": refusal.code, "error_msg": code.message})
            return
        self.seen.append(("accepted", caller.project_id))
        self._answer(202, {"request_id": str(uuid.uuid4())})

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    ring = KeyRing()
    ring.add(AK, SK, PROJECT)
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (_Verifying,), {"ring": ring, "seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


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


def test_the_sdk_is_accepted_and_parses_the_202(server: tuple[str, list[tuple[str, str]]]) -> None:
    endpoint, seen = server
    answer = _invoke(endpoint, SK)
    assert answer.status_code == 202
    assert uuid.UUID(answer.request_id)
    assert seen == [("accepted", PROJECT)]


def test_the_sdk_with_a_wrong_secret_gets_a_401_it_parses(server: tuple[str, list[tuple[str, str]]]) -> None:
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

    endpoint, seen = server
    with pytest.raises(ClientRequestException) as caught:
        _invoke(endpoint, "not-" + SK)
    assert (caught.value.status_code, caught.value.error_code) == (401, "FSS.0401")
    assert seen == [("refused", "signature does not match")]
