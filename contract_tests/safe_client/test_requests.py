"""What the safe client sends: one path segment per value, the token only where it belongs."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import httpx
import pytest
import respx

import fgs
from contract_tests.safe_client.conftest import TOKEN, Invoke, Sleeps, make_invoker
from contract_tests.support.identities import PROJECT, ROUTE, URN


@pytest.mark.parametrize("value", ["", ".", ".."])
@pytest.mark.parametrize("where", ["project_id", "function_urn"])
def test_path_changing_values_are_refused_before_sending(
    api: respx.MockRouter, kind: str, sleeps: Sleeps, value: str, where: str
) -> None:
    route = api.route()
    if where == "project_id":
        with pytest.raises(fgs.InvalidRequestError, match=where):
            make_invoker(kind, sleeps, project=value)
    else:
        invoke = make_invoker(kind, sleeps)[0]
        with pytest.raises(fgs.InvalidRequestError, match=where):
            invoke(value)
    assert not route.called


@pytest.mark.parametrize("urn", ["a/b", "../x", "x?y=1", "x#frag", "%2e%2e", "a b", "ü:ß", "...", "a\\b", ";", "%"])
def test_every_other_value_stays_one_encoded_segment(api: respx.MockRouter, invoke: Invoke, urn: str) -> None:
    # Match any POST: respx matches decoded paths, where an encoded "/" would split the segment.
    route = api.post().respond(202, json={"request_id": "r"})
    invoke(urn)
    raw = route.calls.last.request.url.raw_path.decode()
    segments = raw.split("/")
    assert len(segments) == 7, raw
    assert segments[:3] == ["", "v2", PROJECT]
    assert segments[6] == "invocations-async"
    assert "/" not in segments[5]
    assert "?" not in raw
    assert "#" not in raw


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"]])
def test_non_string_urns_get_the_package_error(invoke: Invoke, bad: Any) -> None:
    with pytest.raises(fgs.InvalidRequestError):
        invoke(bad)


@pytest.mark.parametrize("payload", [[1, 2], "text", {1: "int key"}, {"nan": float("nan")}, {"set": {1, 2}}])
def test_payload_that_is_not_a_json_object_is_refused_before_sending(
    api: respx.MockRouter, invoke: Invoke, payload: Any
) -> None:
    route = api.route()
    with pytest.raises(fgs.InvalidRequestError, match="payload"):
        invoke(URN, payload)
    assert not route.called


def test_token_goes_only_in_x_auth_token_with_a_json_body(api: respx.MockRouter, invoke: Invoke) -> None:
    route = api.post(path__regex=ROUTE).respond(202, json={"request_id": "r"})
    invoke(URN, {"body": {"k": "v"}, "ünï": "cødé"})
    request = route.calls.last.request
    assert request.headers["X-Auth-Token"] == TOKEN
    assert "authorization" not in request.headers
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"body": {"k": "v"}, "ünï": "cødé"}
    assert TOKEN.encode() not in request.content


def test_token_rotation_applies_from_the_next_call(api: respx.MockRouter, kind: str, sleeps: Sleeps) -> None:
    route = api.post(path__regex=ROUTE).respond(202, json={"request_id": "r"})
    invoke, rotate = make_invoker(kind, sleeps)
    invoke()
    rotate("ROTATED-token")
    invoke()
    assert [c.request.headers["X-Auth-Token"] for c in route.calls] == [TOKEN, "ROTATED-token"]
    with pytest.raises(fgs.InvalidRequestError):
        rotate("")


def test_callers_dicts_are_never_mutated(api: respx.MockRouter, kind: str, sleeps: Sleeps) -> None:
    route = api.post(path__regex=ROUTE).respond(202, json={"request_id": "r"})
    headers = {"X-Trace": "1"}
    payload = {"nested": {"k": ["v"]}}
    invoke, _ = make_invoker(kind, sleeps, headers=headers)
    invoke(URN, payload)
    invoke(URN, payload)
    assert headers == {"X-Trace": "1"}
    assert payload == {"nested": {"k": ["v"]}}
    assert route.calls.last.request.headers["X-Trace"] == "1"


def test_token_cannot_be_smuggled_through_headers(kind: str, sleeps: Sleeps) -> None:
    for header in ("X-Auth-Token", "authorization"):
        with pytest.raises(fgs.InvalidRequestError, match="token="):
            make_invoker(kind, sleeps, headers={header: "x"})


@pytest.mark.parametrize("endpoint", ["", "not a url", "ftp://host", "http://", 42])
def test_unusable_endpoints_are_refused(kind: str, sleeps: Sleeps, endpoint: Any) -> None:
    with pytest.raises(fgs.InvalidRequestError, match="endpoint"):
        make_invoker(kind, sleeps, endpoint=endpoint)


def test_default_timeout_is_set_and_can_be_changed() -> None:
    assert fgs.Client("http://h", PROJECT, TOKEN).timeout == fgs.DEFAULT_TIMEOUT
    assert fgs.DEFAULT_TIMEOUT.read is not None
    assert fgs.Client("http://h", PROJECT, TOKEN, timeout=1.5).timeout.read == 1.5
    assert fgs.AsyncClient("http://h", PROJECT, TOKEN, timeout=2.5).timeout.connect == 2.5


def test_repr_hides_the_token(kind: str, sleeps: Sleeps) -> None:
    for client in (fgs.Client("http://h", PROJECT, TOKEN), fgs.AsyncClient("http://h", PROJECT, TOKEN)):
        assert TOKEN not in repr(client)
        assert "<redacted>" in repr(client)


@pytest.mark.parametrize("cls", [fgs.Client, fgs.AsyncClient])
def test_a_missing_argument_is_named_with_the_public_class(
    cls: type[fgs.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [*os.environ]:
        if name.startswith(("FGS_", "HUAWEICLOUD_SDK_")):
            monkeypatch.delenv(name)
    credential = r"token= or credentials= \(or FGS_AUTH_TOKEN, an access key or an IAM login\)"
    with pytest.raises(fgs.InvalidRequestError, match=rf"^{cls.__name__}\(\) needs {credential}$"):
        cls("http://h", PROJECT)
    everything = rf"endpoint= \(or FGS_ENDPOINT\), project_id= \(or FGS_PROJECT_ID\), {credential}"
    with pytest.raises(fgs.InvalidRequestError, match=rf"^{cls.__name__}\(\) needs {everything}$"):
        cls()
    with pytest.raises(fgs.InvalidRequestError, match=rf"^{cls.__name__}\(\) takes token= or credentials=, not both$"):
        cls("http://h", PROJECT, TOKEN, credentials=fgs.Token(TOKEN))


NONSENSE = [
    ("timeout", -1),
    ("timeout", 0),
    ("timeout", float("nan")),
    ("timeout", float("inf")),
    ("timeout", "10"),
    ("timeout", True),
    ("timeout", None),
    ("timeout.read", httpx.Timeout(5.0, read=-1.0)),
    ("timeout must bound", httpx.Timeout(None)),
    ("max_connections", 0),
    ("max_connections", 2.5),
    ("max_connections", True),
    ("max_response_bytes", 0),
    ("max_response_bytes", "1MiB"),
    ("retry", 3),
    ("headers", ["X-A"]),
]


@pytest.mark.parametrize(("argument", "value"), NONSENSE, ids=[f"{a}={v!r}" for a, v in NONSENSE])
@pytest.mark.parametrize("cls", [fgs.Client, fgs.AsyncClient])
def test_nonsense_options_are_refused_naming_the_argument(cls: type[fgs.Client], argument: str, value: Any) -> None:
    name = argument.split(".")[0].split(" ")[0]
    with pytest.raises(fgs.InvalidRequestError, match=rf"^{cls.__name__}\(\): {re.escape(argument)}"):
        cls("http://h", PROJECT, TOKEN, **{name: value})


def test_the_whole_call_bound_is_the_largest_part_of_an_httpx_timeout() -> None:
    client = fgs.Client("http://h", PROJECT, TOKEN, timeout=httpx.Timeout(3.0, connect=1.0))
    assert client._timeout == 3.0
    assert fgs.Client("http://h", PROJECT, TOKEN)._timeout == 10.0


def test_repr_names_the_endpoint_without_userinfo() -> None:
    client = fgs.Client("https://user:hunter2@fgs.example:8443/base", PROJECT, TOKEN)
    assert "hunter2" not in repr(client)
    assert "https://fgs.example:8443" in repr(client)
