"""The mock's state: who may call, which functions exist, what was accepted, and planned faults.

Nothing here knows about HTTP. `responses.py` asks these objects questions and turns the answers into
status codes. Functions and their behaviours are written through to the store, so that worker processes
sharing a file store know the same ones; the engine runs what was accepted.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from fgs_mock import ids
from fgs_mock.auth import KeyRing, TokenIssuer
from fgs_mock.behaviour import Behaviour
from fgs_mock.clock import STEADY
from fgs_mock.engine import Engine
from fgs_mock.refusal import Refusal
from fgs_mock.runtime import FunctionCode, code_of
from fgs_mock.store import InMemoryInvocationStore, Invocation, InvocationStore
from fgs_mock.urn import DEFAULT_QUALIFIER, FunctionRef, MalformedUrn, is_project_id, parse_urn, read_as

__all__ = [
    "DEFAULT_FUNCTION_URN",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_TOKEN",
    "Backend",
    "Fault",
    "FaultPlan",
    "InMemoryInvocationStore",
    "Invocation",
    "InvocationStore",
    "Refusal",
]

DEFAULT_PROJECT_ID = "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60"
DEFAULT_TOKEN = "fgs-mock-token"  # noqa: S105 - a documented, public default of the mock
DEFAULT_FUNCTION_URN = f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:default:hello:latest"


MAX_RESOLVED = 4096  # URNs remembered as resolved: any caller may send as many spellings as it likes
MAX_FAULT_COUNT = 2**31 - 1
MAX_FAULT_DELAY = 3600.0
MAX_RETRY_AFTER = 86_400
FAULT_STATUSES = (429, 500, 503)


@dataclass(frozen=True)
class Fault:
    """What one call meets: `delay` seconds of silence, then an error `status`, a drop, a stall, or its answer."""

    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False
    stall: bool = False


def _number(value: object, low: float, high: float) -> float | None:
    """A finite JSON number within [low, high] as a float, else None (bool is no number in JSON)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return float(value)


def _validated(plan: Mapping[str, object]) -> tuple[Fault, int, float, int | None]:
    status, retry_after, seed = plan.get("status"), plan.get("retry_after"), plan.get("seed")
    drop, stall = plan.get("drop", False), plan.get("stall", False)
    if type(drop) is not bool or type(stall) is not bool:
        raise ValueError("drop and stall must be true or false")
    delay = _number(plan.get("delay", 0.0), 0, MAX_FAULT_DELAY)
    if delay is None:
        raise ValueError(f"delay must be a number of seconds within [0, {MAX_FAULT_DELAY:g}]")
    if status is None and "status" in plan:
        raise ValueError("status must be 429, 500 or 503: null is not a status")
    if status is None and not (drop or stall or delay):
        status = 503
    if status is not None and (type(status) is not int or status not in FAULT_STATUSES):
        raise ValueError("status must be 429, 500 or 503: the operation documents these")
    if (status is not None) + drop + stall > 1:
        raise ValueError("a fault is one of status, drop or stall")
    if retry_after is not None:
        if type(retry_after) is not int or not 0 <= retry_after <= MAX_RETRY_AFTER:
            raise ValueError(f"retry_after must be an integer within [0, {MAX_RETRY_AFTER}]")
        if status not in (429, 503):
            raise ValueError("retry_after goes with status 429 or 503")
    next_count = plan.get("next", 0)
    if type(next_count) is not int or not 0 <= next_count <= MAX_FAULT_COUNT:
        raise ValueError(f"next must be an integer within [0, {MAX_FAULT_COUNT}]")
    share = _number(plan.get("share", 0.0), 0.0, 1.0)
    if share is None:
        raise ValueError("share must be a finite number within [0, 1]")
    if seed is not None and (type(seed) is not int or not -(2**63) <= seed < 2**63):
        raise ValueError("seed must be a 64-bit integer")
    return Fault(status, retry_after, delay, drop, stall), next_count, share, seed


@dataclass
class FaultPlan:
    """Deliberate failures, so that clients' error paths meet a real server.

    `next_count` calls meet the fault first; after those, each call meets it with probability `share`.
    With a `shared` store (a file), the plan lives in it: set through any worker, it applies to calls that
    any worker answers, and the "next" calls are claimed there, one by one. A worker re-reads the plan only
    when the store's fault signal says it changed, so an unchanged plan costs no query per call.
    """

    fault: Fault = field(default_factory=lambda: Fault(status=503))
    next_count: int = 0
    share: float = 0.0
    shared: InvocationStore | None = field(default=None, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seen: int = field(default=-1, repr=False)  # the fault signal's value when the plan was last read

    @property
    def status(self) -> int | None:
        return self.fault.status

    def draw(self) -> Fault | None:
        """The fault this call meets, or None when it proceeds."""
        if self.shared is not None:
            self._sync()
        if not self.next_count and not self.share:  # no plan: the common case takes no lock
            return None
        with self._lock:
            if self.next_count > 0:
                if self.shared is None:
                    self.next_count -= 1
                    return self.fault
                # The store counts down for every worker; locally, 0 means "none left" until a new plan.
                if self.shared.claim_fault():
                    return self.fault
                self.next_count = 0
        if self.share > 0 and self._rng.random() < self.share:
            return self.fault
        return None

    def set(
        self,
        *,
        status: int | None = None,
        next_count: int = 0,
        share: float = 0.0,
        seed: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        drop: bool = False,
        stall: bool = False,
    ) -> None:
        """Replace the whole plan, or raise ValueError and change nothing.

        With no effect named (`status`, `delay`, `drop`, `stall`), calls fail with 503.
        """
        plan = {"status": status, "seed": seed, "retry_after": retry_after}
        self.set_from(
            {key: value for key, value in plan.items() if value is not None}
            | {"next": next_count, "share": share, "delay": delay, "drop": drop, "stall": stall}
        )

    def set_from(self, plan: Mapping[str, object]) -> None:
        """`set` from a document whose values are unchecked (as a control request sends them): the one
        place a plan is validated. Keys are those of `set`, with `next` for `next_count`."""
        fault, next_count, share, seed = _validated(plan)
        if self.shared is not None:
            document = {**asdict(fault), "share": share, "seed": seed}
            self.shared.put_faults(json.dumps(document), next_count)
            self._sync()
            return
        self._apply(fault, next_count, share, seed)

    def _apply(self, fault: Fault, next_count: int, share: float, seed: int | None) -> None:
        with self._lock:
            self.fault, self.next_count, self.share = fault, next_count, share
            if seed is not None:
                self._rng.seed(seed)

    def _sync(self) -> None:
        """Read the shared plan again if the signal moved since the last read (a memory load, not a query)."""
        assert self.shared is not None
        assert self.shared.fault_signal is not None
        seen = self.shared.fault_signal.read()
        if seen == self._seen:
            return
        self._seen = seen
        _, plan, next_count = self.shared.faults()
        document = json.loads(plan)
        if not document:  # a store no plan was ever set in
            return
        share, seed = document.pop("share"), document.pop("seed")
        self._apply(Fault(**document), next_count, share, seed)

    def clear(self) -> None:
        self.set()

    def snapshot(self) -> dict[str, object]:
        if self.shared is not None:
            self._sync()
            next_count = self.shared.faults()[2]  # what is left now, whoever claimed the rest
        with self._lock:
            fault = self.fault
            if self.shared is None:
                next_count = self.next_count
            plan: dict[str, object] = {"status": fault.status, "next": next_count, "share": self.share}
        if fault.retry_after is not None:
            plan["retry_after"] = fault.retry_after
        if fault.delay:
            plan["delay"] = fault.delay
        plan.update({key: True for key in ("drop", "stall") if getattr(fault, key)})
        return plan


class Backend:
    """Tenants (token -> project), their functions, and what they have had accepted."""

    def __init__(
        self, store: InvocationStore | None = None, *, speed: float = 1.0, clock: Callable[[], float] = STEADY
    ) -> None:
        self._projects_by_token: dict[str, str] = {}
        # (project, package, name) -> qualifiers (versions, and aliases with their "!")
        self._functions: dict[tuple[str, str, str], set[str]] = {}
        self._resolved: dict[tuple[str, str], FunctionRef] = {}  # (project, URN as the path gave it) -> function
        self.invocations: InvocationStore = store if store is not None else InMemoryInvocationStore()
        self.faults = FaultPlan(shared=self.invocations if self.invocations.fault_signal is not None else None)
        self._staged: list[Invocation] = []
        self.engine = Engine(self.invocations, self._deliver, speed=speed, clock=clock)
        self.region = "eu-de"  # for the full URNs of answers; with_defaults takes it from the function URN
        self.keys = KeyRing()  # access key pairs whose signatures are accepted
        self.iam = TokenIssuer(clock=clock)  # users who may log in at /v3/auth/tokens, and the tokens issued

    @classmethod
    def with_defaults(
        cls,
        *,
        token: str = DEFAULT_TOKEN,
        project_id: str = DEFAULT_PROJECT_ID,
        function_urn: str = DEFAULT_FUNCTION_URN,
        store: InvocationStore | None = None,
        speed: float = 1.0,
        clock: Callable[[], float] = STEADY,
    ) -> Backend:
        backend = cls(store, speed=speed, clock=clock)
        if function_urn.startswith("urn:"):
            backend.region = backend.engine.region = function_urn.split(":")[2]
        backend.add_token(token, project_id)
        backend.register_function(function_urn, project_id=project_id)
        return backend

    def add_token(self, token: str, project_id: str) -> None:
        # Never quote the token: the message may reach a terminal or a log.
        if not token or not all("!" <= c <= "~" for c in token):
            raise ValueError("the token must be non-empty visible ASCII")
        if not is_project_id(project_id):
            raise ValueError("project_id must be 1-64 letters, digits, '-' or '_'")
        self._projects_by_token[token] = project_id

    def add_access_key(self, access_key: str, secret_key: str, project_id: str) -> None:
        """Accept requests signed with this key pair (SDK-HMAC-SHA256) as calls of `project_id`."""
        if not is_project_id(project_id):
            raise ValueError("project_id must be 1-64 letters, digits, '-' or '_'")
        self.keys.add(access_key, secret_key, project_id)

    def add_iam_user(self, domain: str, user: str, password: str, project_id: str, project_name: str) -> None:
        """Let this user log in at `POST /v3/auth/tokens`, scoped to `project_name`, for tokens of `project_id`."""
        if not is_project_id(project_id):
            raise ValueError("project_id must be 1-64 letters, digits, '-' or '_'")
        self.iam.add_user(domain, user, password, project_id, project_name)

    def register_function(
        self,
        urn: str,
        *,
        project_id: str | None = None,
        behaviour: Behaviour | None = None,
        code: FunctionCode | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> FunctionRef:
        """Make a function (at the URN's version or alias) invocable. Short forms need `project_id`.

        Its runs end as `behaviour` says, or run `code` in the runtime's instances, whose context
        returns `credentials` (keys access_key, secret_key, security_access_key, security_secret_key,
        security_token, token; they stay in this process). Without either, a function the store
        already knows keeps its own; a new one gets the default behaviour.
        """
        if behaviour is not None and code is not None:
            raise ValueError("a function has a behaviour or code, not both")
        ref = self._owned(urn, project_id)
        self._functions.setdefault((ref.project_id or "", ref.package, ref.name), {DEFAULT_QUALIFIER}).add(
            ref.qualifier
        )
        known = self.invocations.functions()
        if code is not None:
            self.engine.runtime.credentials[ref.short_urn] = dict(credentials or {})
            self.invocations.put_function(ref, code.to_json())
        elif behaviour is not None or ref.short_urn not in known:
            self.invocations.put_function(ref, (behaviour or Behaviour()).to_json())
        # Registering a version also makes `latest` invocable, so the engine must know it too.
        latest = ref._replace(qualifier=DEFAULT_QUALIFIER)
        if latest.short_urn not in known and latest != ref:
            self.invocations.put_function(latest, Behaviour().to_json())
        return ref

    def code(self, urn: str, project_id: str | None = None) -> tuple[str, FunctionCode]:
        """The short URN and code of a function registered with code; ValueError for any other."""
        ref = self._owned(urn, project_id)
        found = code_of(self.invocations.functions().get(ref.short_urn, "{}"))
        if found is None:
            raise ValueError(f"{ref.short_urn} is not registered with code")
        return ref.short_urn, found

    def add_user_data(self, urn: str, key: str, value: str, project_id: str | None = None) -> None:
        """One more user data entry of a function registered with code (`context.getUserData(key)`)."""
        short_urn, code = self.code(urn, project_id)
        self.invocations.put_function(FunctionRef.of_short_urn(short_urn), code.with_user_data(key, value).to_json())

    def _owned(self, urn: str, project_id: str | None) -> FunctionRef:
        ref = parse_urn(urn)
        if project_id is not None and not is_project_id(project_id):
            raise ValueError("project_id is not a project id")
        if None not in (ref.project_id, project_id) and ref.project_id != project_id:
            raise ValueError(f"the URN names project {ref.project_id}, another than {project_id}")
        owner = ref.project_id or project_id
        if owner is None:
            raise ValueError("a short URN names no project: pass project_id")
        return ref._replace(project_id=owner)

    def _load_functions(self) -> None:
        """Functions another worker registered in the shared store."""
        for short_urn in self.invocations.functions():
            project, package, name, qualifier = short_urn.split(":")
            self._functions.setdefault((project, package, name), {DEFAULT_QUALIFIER}).add(qualifier)

    def functions(self) -> list[str]:
        """Every invocable function, as `<project>:<package>:<name>:<version or !alias>`, sorted."""
        self._load_functions()
        return sorted(
            FunctionRef(project, package, name, qualifier).short_urn
            for (project, package, name), qualifiers in list(self._functions.items())
            for qualifier in list(qualifiers)
        )

    def project_for(self, token: str | None) -> str | None:
        return None if token is None else self._projects_by_token.get(token)

    def resolve(self, project_id: str, urn: str) -> FunctionRef:
        """The function the URN names for a caller of `project_id`, or the Refusal that explains why not."""
        # Functions are never removed, so a URN once resolved stays resolved: the 202 path skips parsing.
        found = self._resolved.get((project_id, urn))
        if found is not None:
            return found
        ref = self._resolve(project_id, urn)
        if len(self._resolved) >= MAX_RESOLVED:
            self._resolved.clear()
        self._resolved[project_id, urn] = ref
        return ref

    def _resolve(self, project_id: str, urn: str) -> FunctionRef:
        try:
            ref = parse_urn(urn)
        except MalformedUrn:
            raise Refusal("FSS.1309") from None
        if ref.project_id is not None and ref.project_id != project_id:
            raise Refusal("FSS.0403", None if urn.startswith("urn:") else read_as(ref))
        ref = ref._replace(project_id=project_id)
        key = (project_id, ref.package, ref.name)
        if ref.qualifier not in self._functions.get(key, ()):
            self._load_functions()
        qualifiers = self._functions.get(key)
        if qualifiers is None:
            raise Refusal("FSS.1051")
        if ref.qualifier not in qualifiers:
            raise Refusal("FSS.1053" if ref.is_alias else "FSS.1052")
        return ref

    def accept(self, function: FunctionRef, body: bytes) -> Invocation:
        """Record an invocation now (from any thread: it takes no part in the staged group)."""
        invocation = self._invocation(function, body)
        self.invocations.add(invocation)
        self.engine.wake()
        return invocation

    def stage(self, function: FunctionRef, body: bytes) -> Invocation:
        """An invocation for the serving loop to record as one of a group, before its 202 leaves."""
        invocation = self._invocation(function, body)
        self._staged.append(invocation)
        return invocation

    def take_staged(self) -> list[Invocation]:
        """The invocations staged since the last call, for the serving loop to record together."""
        staged, self._staged = self._staged, []
        return staged

    def _invocation(self, function: FunctionRef, body: bytes) -> Invocation:
        assert function.project_id is not None
        return Invocation(ids.uuid7(), function.project_id, function, body, self.engine.clock())

    def _deliver(self, project_id: str, urn: str, body: bytes) -> str | None:
        """A FunctionGraph destination: invoke that function in the caller's project, if it exists."""
        try:
            return self.accept(self.resolve(project_id, urn), body).request_id
        except Refusal:
            return None
