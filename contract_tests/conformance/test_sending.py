"""The suite puts its credential on a request in one place, `fgs_conformance.target.send`: the preflight,
the invocation checks and the lifecycle checks all go through it."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest

from fgs_conformance import context, target
from fgs_conformance.lifecycle import Lifecycle
from fgs_conformance.preflight import preflight
from fgs_conformance.settings import Settings
from fgs_mock import DEFAULT_TOKEN, Backend, create_app, serve_in_thread


def test_every_kind_of_request_gets_its_credential_from_send(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []

    def credential(
        settings: Settings, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        asked.append((method, url.rsplit("/", 1)[-1].split("?")[0]))
        return {"X-Auth-Token": DEFAULT_TOKEN}

    monkeypatch.setattr(target, "credential_headers", credential)
    backend = Backend.with_defaults()
    with backend.engine.running(), serve_in_thread(create_app(backend)) as base_url:
        run = context.Run(settings=Settings.resolve({}), base_url=base_url, backend=backend)
        context.begin(run)
        assert preflight(run).startswith("preflight: 202")
        with httpx.Client(timeout=10) as client:
            sender = target.Target(run=run, client=client)
            assert sender.send(content=b"{}").status_code == 202
            response, _ = Lifecycle(sender).call("listAsyncInvocations", params={"limit": "1"})
            assert response.status_code == 200
            # A made-up token goes as given, and no credential is asked for.
            assert sender.send(token="not-the-token-at-all").status_code in (401, 403)
    assert asked == [("POST", "invocations-async"), ("POST", "invocations-async"), ("GET", "async-invocations")]
