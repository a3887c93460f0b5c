"""The profile recorder's rules, on answers made up here: what it keeps, what it leaves unknown."""

from __future__ import annotations

import json

import httpx
import pytest

from fgs_conformance.profile import ProfileRecorder, answer_of, id_format, time_format
from fgs_mock.dialects import Dialect


def _answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"content-type": "application/json", **headers})


def test_an_answer_is_its_status_code_and_keys_never_its_values() -> None:
    response = _answer(401, {"error_code": "APIG.1002", "error_msg": "token abc", "request_id": "r"})
    assert answer_of(response) == {
        "status": 401,
        "error_code": "APIG.1002",
        "keys": ["error_code", "error_msg", "request_id"],
    }
    assert answer_of(httpx.Response(405, headers={"allow": "POST"})) == {
        "status": 405,
        "error_code": None,
        "keys": [],
        "allow": True,
    }
    assert answer_of(httpx.Response(400, content=b"<html>")) == {"status": 400, "error_code": None, "keys": []}


def test_the_first_answer_to_a_situation_is_kept_and_an_accepted_refusal_never() -> None:
    recorder = ProfileRecorder()
    recorder.answer("no-token", _answer(202, {"request_id": "x"}))  # a broken endpoint: not servable
    recorder.answer("no-token", _answer(403, {"error_code": "FSS.0403", "error_msg": "m"}))
    recorder.answer("no-token", _answer(401, {"error_code": "FSS.0401", "error_msg": "m"}))
    recorder.answer("wrong-media-type", _answer(202, {"request_id": "x"}))  # accepting it is allowed
    profile = recorder.profile("t")
    assert profile["answers"]["no-token"]["status"] == 403
    assert profile["answers"]["wrong-media-type"]["status"] == 202
    with pytest.raises(ValueError, match="no situation"):
        recorder.answer("nonesuch", _answer(400))


def test_headers_and_ids_follow_most_answers() -> None:
    recorder = ProfileRecorder()
    hex_id = "0123456789abcdef0123456789abcdef"
    for _ in range(3):
        recorder.saw(_answer(202, {"request_id": hex_id}, **{"x-request-id": hex_id}))
    recorder.saw(httpx.Response(400, content=b"", headers={}))  # the HTTP server's own refusal
    profile = recorder.profile("t")
    assert profile["request_id"] == "hex32"
    assert profile["headers"] == {"content_type": "application/json", "x_request_id": "hex32"}
    assert ProfileRecorder().profile("t")["headers"] == {"content_type": None, "x_request_id": None}
    none_carried = ProfileRecorder()
    none_carried.saw(_answer(400, {"error_code": "FSS.0400", "error_msg": "m"}))
    assert none_carried.profile("t")["headers"]["x_request_id"] == "absent"


def test_order_limits_pending_values_and_config_times() -> None:
    recorder = ProfileRecorder()
    recorder.listed(["a", "b", "c"], ["x", "c", "b", "a"])
    recorder.limit(64, httpx.Response(200))
    recorder.limit(500, httpx.Response(400))
    recorder.run_record({"status": "WAIT", "error_code": None, "error_message": "", "end_time": None})
    recorder.run_record({"status": "RUNNING", "start_time": None})  # RUNNING has started: not its start_time
    recorder.run_record({"status": "SUCCESS", "error_code": 0})
    recorder.config_answer({"created_time": "2026-12-06T20:00:00Z", "last_modified": "2026-12-06 20:00:00+08:00"})
    query, config = recorder.profile("t")["query"], recorder.profile("t")["config"]
    assert query["order"] == "newest-first"
    assert query["max_limit"] == 64
    assert query["pending"] == {
        "error_code": "null",
        "error_message": "empty",
        "start_time": "absent",
        "end_time": "null",
    }
    assert config == {"created_time": "T-Z", "last_modified": "space-offset"}
    oldest = ProfileRecorder()
    oldest.listed(["a", "b"], ["a", "b"])
    assert oldest.profile("t")["query"]["order"] == "oldest-first"


def test_body_bounds_sit_under_the_smallest_refused() -> None:
    recorder = ProfileRecorder()
    refused = _answer(400, {"error_code": "APIG.0201", "error_msg": "m"})
    recorder.body(size=100, response=_answer(202, {"request_id": "x"}))
    recorder.body(size=1000, response=refused)
    recorder.body(depth=65, response=_answer(202, {"request_id": "x"}))
    recorder.body(depth=10001, response=_answer(500, {"error_code": "FSS.0500", "error_msg": "m"}))  # not a choice
    profile = recorder.profile("t")
    assert profile["bodies"] == {"max_bytes": 999, "max_depth": 65}
    assert profile["answers"]["oversized-body"]["error_code"] == "APIG.0201"
    assert profile["answers"]["too-deep"] is None


def test_an_answer_that_holds_a_secret_is_left_unknown() -> None:
    secret = "s3cr3t-token-value"
    recorder = ProfileRecorder()
    recorder.answer("wrong-token", _answer(401, {"error_code": secret, "error_msg": "m"}))
    recorder.answer("no-token", _answer(401, {"error_code": "FSS.0401", secret: 1}))
    recorder.answer("unknown-function", _answer(404, {"error_code": "FSS.1051", "error_msg": "m"}))
    profile = recorder.profile(f"recorded with {secret}", [secret])
    assert secret not in json.dumps(profile)
    assert profile["answers"]["wrong-token"] is None
    assert profile["answers"]["no-token"] is None
    assert profile["answers"]["unknown-function"]["error_code"] == "FSS.1051"
    Dialect(profile)


def test_formats() -> None:
    assert id_format("0b5c2e1f-9a7d-4c3e-8f6a-1b2c3d4e5f60") == "uuid"
    assert id_format("0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60") == "hex32"
    assert id_format("req-1") is None
    assert time_format("2021-03-04T14:50:02+08:00") == "T-offset"
    assert time_format("2021-03-04 14:50:02") == "space"
    assert time_format("2021-03-04T14:50:02.123") == "T"
    assert time_format("yesterday") is None
