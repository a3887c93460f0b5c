"""What the run observed where the docs leave a choice: the dialect profile `--profile PATH` writes.

Checks report what they saw here (through `Run.profile`); `fgs-conformance` writes it after the run. The
format is `fgs_mock/dialects/profile.schema.json`, so `fgs-mock --dialect PATH` serves the result.
Anything not observed stays null (unknown), and a mock keeps the documented choice there. A profile
holds statuses, codes, key names, formats and numbers only, never a message, value or header that
could quote a credential; whatever contains one of the run's secrets is dropped before writing.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fgs._version import package_version
from fgs_mock.dialects import FORMAT, PENDING_FIELDS, SITUATIONS, VERSION, validate

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_CONTENT_TYPE = re.compile(r"application/json(;[ -~]{1,60})?")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# Config times by shape, in the order they are tried; a fraction is allowed and not kept.
_TIME_SHAPES = (
    ("T-offset", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:?\d\d")),
    ("T-Z", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")),
    ("T", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?")),
    ("space-offset", re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:?\d\d")),
    ("space", re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?")),
)
LIMITS = (64, 500)  # the two maximums the query page gives for `limit`
# Where the docs allow acceptance as well as refusal; and answers that may be anything documented.
TOLERATED = frozenset({"wrong-media-type", "oversized-body", "too-deep"})
ANY_ANSWER = frozenset({"cancel-finished", "limit-above-maximum"})
MAX_KEYS = 20


def id_format(value: object) -> str | None:
    if isinstance(value, str) and _UUID.fullmatch(value):
        return "uuid"
    if isinstance(value, str) and _HEX32.fullmatch(value):
        return "hex32"
    return None


def time_format(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return next((name for name, shape in _TIME_SHAPES if shape.fullmatch(value)), None)


def answer_of(response: httpx.Response) -> dict[str, Any]:
    """Status, error_code and the body's keys: what a dialect's answer is made of, and nothing quoted."""
    try:
        body = json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):
        body = None
    fields = body if isinstance(body, dict) else {}
    code = fields.get("error_code")
    answer: dict[str, Any] = {
        "status": response.status_code,
        "error_code": code if isinstance(code, str) and _CODE.fullmatch(code) else None,
        "keys": sorted(k for k in fields if _KEY.fullmatch(k)),
    }
    if response.status_code == 405 or "allow" in response.headers:
        answer["allow"] = "allow" in response.headers
    return answer


def servable(situation: str, answer: dict[str, Any]) -> bool:
    status: int = answer["status"]
    if len(answer["keys"]) > MAX_KEYS:
        return False
    if situation in ANY_ANSWER:
        return 200 <= status <= 599
    if situation in TOLERATED:
        return status == 202 or 400 <= status <= 499
    return 400 <= status <= 499 or status == 501


@dataclass
class _Extremes:
    """Sizes (or depths) the suite sent, accepted or refused."""

    accepted: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    def limit(self) -> int | None:
        """The largest value served: just under the smallest refused one, else the largest accepted."""
        if self.refused:
            return min(self.refused) - 1
        return max(self.accepted) if self.accepted else None


@dataclass(repr=False)
class ProfileRecorder:
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    request_ids: set[str] = field(default_factory=set)  # formats of the 202s' ids
    content_types: list[str] = field(default_factory=list)
    x_request_ids: list[str] = field(default_factory=list)  # per answer: a format, "absent" or "other"
    limits: dict[int, int] = field(default_factory=dict)  # limit asked -> status
    order: str | None = None
    pending: dict[str, str] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    sizes: _Extremes = field(default_factory=_Extremes)
    depths: _Extremes = field(default_factory=_Extremes)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, situation: str, response: httpx.Response) -> None:
        """The first answer seen to a situation (the suite sends the plainest case of each first).

        An answer no correct endpoint gives (a 202 without a credential, say) is not kept: a mock must
        not serve it, and the check that saw it fails the run anyway.
        """
        if situation not in SITUATIONS:
            raise ValueError(f"no situation {situation!r}")
        answer = answer_of(response)
        if servable(situation, answer):
            with self._lock:
                self.answers.setdefault(situation, answer)

    def saw(self, response: httpx.Response) -> None:
        """Every answer of the run: headers, and a 202's request_id."""
        header = response.headers.get("x-request-id")
        seen = "absent" if header is None else id_format(header) or "other"
        content_type = response.headers.get("content-type")
        request_id = None
        if response.status_code == 202:
            try:
                body = json.loads(response.content)
            except ValueError:
                body = None
            request_id = body.get("request_id") if isinstance(body, dict) else None
        with self._lock:
            self.x_request_ids.append(seen)
            if content_type is not None and response.content and _CONTENT_TYPE.fullmatch(content_type):
                self.content_types.append(content_type)
            if request_id is not None:
                self.request_ids.add(id_format(request_id) or "other")

    def body(self, *, size: int | None = None, depth: int | None = None, response: httpx.Response) -> None:
        """A body probe of this size or depth was accepted (202) or refused (4xx); refused, it is the answer."""
        accepted = response.status_code == 202
        if not accepted and 400 <= response.status_code < 500:
            self.answer("oversized-body" if size is not None else "too-deep", response)
        elif not accepted:
            return
        with self._lock:
            for value, extremes in ((size, self.sizes), (depth, self.depths)):
                if value is not None:
                    (extremes.accepted if accepted else extremes.refused).append(value)

    def limit(self, limit: int, response: httpx.Response) -> None:
        with self._lock:
            self.limits[limit] = response.status_code

    def max_limit(self) -> int | None:
        """The highest of the page's two maximums that was served; None until one was asked."""
        served = [limit for limit in LIMITS if self.limits.get(limit) == 200]
        return max(served) if served else None

    def listed(self, accepted_order: Sequence[str], listed: Iterable[str]) -> None:
        """The order of the suite's own runs in a listing, against the order they were accepted in."""
        own = set(accepted_order)
        seen = [request_id for request_id in listed if request_id in own]
        if len(seen) < 2 or len(set(seen)) != len(seen):
            return
        position = {request_id: i for i, request_id in enumerate(accepted_order)}
        ranks = [position[request_id] for request_id in seen]
        order = "oldest-first" if ranks == sorted(ranks) else "newest-first" if ranks == sorted(ranks)[::-1] else None
        with self._lock:
            self.order = self.order or order

    def run_record(self, record: dict[str, Any]) -> None:
        """How a run that has not ended writes the values it does not have yet, field by field."""
        status = record.get("status")
        if status not in ("WAIT", "RUNNING"):
            return
        fields = PENDING_FIELDS if status == "WAIT" else tuple(f for f in PENDING_FIELDS if f != "start_time")
        with self._lock:
            for name in fields:
                if name not in record:
                    self.pending.setdefault(name, "absent")
                elif record[name] is None:
                    self.pending.setdefault(name, "null")
                elif record[name] == "":
                    self.pending.setdefault(name, "empty")

    def config_answer(self, body: object) -> None:
        if not isinstance(body, dict):
            return
        with self._lock:
            for name in ("created_time", "last_modified"):
                shape = time_format(body.get(name))
                if shape is not None:
                    self.config.setdefault(name, shape)

    def profile(self, name: str, secrets: Iterable[str] = ()) -> dict[str, Any]:
        """The profile, valid against the schema, with anything that holds a secret left unknown."""
        with self._lock:
            ids = self.request_ids
            # Some refusals come from the HTTP server before the application: the endpoint's choice is
            # what most answers carry, and "absent" only when none carried one.
            carried = Counter(seen for seen in self.x_request_ids if seen != "absent")
            x_request_id = carried.most_common(1)[0][0] if carried else "absent" if self.x_request_ids else None
            profile: dict[str, Any] = {
                "format": FORMAT,
                "version": VERSION,
                "name": name,
                "recorded_by": f"fgs-conformance {package_version()}",
                "answers": {s: self.answers.get(s) for s in SITUATIONS},
                "request_id": next(iter(ids)) if len(ids) == 1 and "other" not in ids else None,
                "headers": {
                    "content_type": Counter(self.content_types).most_common(1)[0][0] if self.content_types else None,
                    "x_request_id": None if x_request_id == "other" else x_request_id,
                },
                "query": {
                    "max_limit": self.max_limit(),
                    "order": self.order,
                    "pending": {f: self.pending.get(f) for f in PENDING_FIELDS},
                },
                "config": {n: self.config.get(n) for n in ("created_time", "last_modified")},
                "bodies": {"max_bytes": self.sizes.limit(), "max_depth": self.depths.limit()},
            }
        _redact(profile, [s for s in secrets if s])
        validate(profile)
        return profile

    def write(self, path: Path, name: str, secrets: Iterable[str] = ()) -> None:
        secrets = list(secrets)
        text = json.dumps(self.profile(name, secrets), indent=2) + "\n"
        path.write_text(text, encoding="utf-8")


def _redact(profile: dict[str, Any], secrets: list[str]) -> None:
    """Leave unknown any answer whose code or keys contain a secret (an endpoint that quotes a token)."""
    for situation, answer in profile["answers"].items():
        if answer is not None and any(s in json.dumps(answer) for s in secrets):
            profile["answers"][situation] = None
    if any(s in profile["name"] for s in secrets):
        profile["name"] = "recorded"
    if any(s in json.dumps(profile) for s in secrets):  # no other field holds free text; this cannot pass
        raise ValueError("a profile would hold a secret")
