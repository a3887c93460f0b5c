"""Attack: endless calls, or huge bodies, kept forever: 361k calls took RSS from 40 to 224 MiB.

The bounds here are small so the test is quick; the defaults and the RSS figure are in make bench.
"""

from __future__ import annotations

import httpx

from contract_tests.mock.raw import PATH, running
from fgs_mock import DEFAULT_TOKEN, Backend, InMemoryInvocationStore

HEADERS = {"X-Auth-Token": DEFAULT_TOKEN}


def _backend(**bounds: int) -> Backend:
    return Backend.with_defaults(store=InMemoryInvocationStore(**bounds))


def test_past_the_count_bound_the_oldest_calls_go_and_are_counted() -> None:
    with running(backend=_backend(max_invocations=50)) as mock, httpx.Client(base_url=mock.base_url) as http:
        for n in range(120):
            assert http.post(PATH, json={"n": n}, headers=HEADERS).status_code == 202
        listed = http.get("/_mock/invocations", params={"limit": 1000}).json()
        assert (listed["accepted"], listed["retained"], listed["evicted"]) == (120, 50, 70)
        assert [i["body"] for i in listed["invocations"]] == [{"n": n} for n in range(70, 120)]
        assert listed["answered"] == {"202": 120}


def test_past_the_byte_bound_huge_bodies_are_evicted() -> None:
    bound = 8 * 1024 * 1024
    with running(backend=_backend(max_body_bytes=bound)) as mock, httpx.Client(base_url=mock.base_url) as http:
        body = b'{"k": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        for _ in range(6):
            answer = http.post(PATH, content=body, headers={**HEADERS, "Content-Type": "application/json"})
            assert answer.status_code == 202
        counters = mock.backend.invocations.counters()
        assert (counters.accepted, counters.retained, counters.evicted) == (6, 1, 5)
        assert sum(len(i.body) for i in mock.backend.invocations) <= bound


def test_listing_pages_with_a_marker_and_delete_clears() -> None:
    with running() as mock, httpx.Client(base_url=mock.base_url) as http:
        ids = [http.post(PATH, json={"n": n}, headers=HEADERS).json()["request_id"] for n in range(25)]
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 10}
        while True:
            page = http.get("/_mock/invocations", params=params).json()
            assert len(page["invocations"]) <= 10
            seen += [i["request_id"] for i in page["invocations"]]
            if page["next_marker"] is None:
                break
            params["marker"] = page["next_marker"]
        assert seen == ids
        assert http.delete("/_mock/invocations").status_code == 204
        listed = http.get("/_mock/invocations").json()
        assert (listed["accepted"], listed["retained"], listed["invocations"]) == (25, 0, [])
        for bad in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"marker": "abc"}, {"other": 1}):
            assert http.get("/_mock/invocations", params=bad).status_code == 400
