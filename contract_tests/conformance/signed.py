"""Endpoints that verify AK/SK signatures: the mock with a key pair registered, and copies with one lax rule each.

A defect is a looser verifier in front of the correct mock: what it lets through reaches the mock with
the valid token in place of the signature, so the mock accepts it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from contract_tests.auth.keys import AK, SK
from contract_tests.mock.mutants import Edit, Exchange, Known, Variant, set_header
from fgs_mock import Backend
from fgs_mock.auth import AuthRefusal, KeyRing
from fgs_mock.server import ASGIApp

# The suite signs instead of sending a token: FGS_AUTH_TOKEN is blanked, which the settings read as unset.
KEY_ENV = {"FGS_AUTH_TOKEN": "", "FGS_ACCESS_KEY": AK, "FGS_SECRET_KEY": SK}


@dataclass(frozen=True)
class SignedVariant(Variant):
    """The variant with the suite's key pair registered; the suite runs it with KEY_ENV."""

    def build(self, known: Known) -> tuple[ASGIApp, Backend]:
        app, backend = super().build(known)
        backend.add_access_key(AK, SK, known.project_id)
        return app, backend


def _as_valid_token(exchange: Exchange, known: Known) -> None:
    set_header(exchange, b"x-auth-token", known.token.encode())


def _signed(exchange: Exchange) -> bool:
    return exchange.header(b"authorization") is not None and exchange.header(b"x-auth-token") is None


def _accepts_what(ring: Callable[[], KeyRing]) -> Edit:
    """Lets through what `ring` verifies."""

    def edit(exchange: Exchange, known: Known) -> None:
        if not _signed(exchange):
            return
        lax = ring()
        lax.add(AK, SK, known.project_id)
        scope = exchange.scope
        try:
            lax.verify(scope["method"], scope["raw_path"], scope["query_string"], scope["headers"], exchange.body)
        except AuthRefusal:
            return
        _as_valid_token(exchange, known)

    return edit


class _WithoutHost(KeyRing):
    required_signed = frozenset({"x-sdk-date"})


accepts_stale_dates = _accepts_what(lambda: KeyRing(max_skew=float("inf")))
accepts_host_unsigned = _accepts_what(_WithoutHost)


def accepts_any_signature_of_a_known_key(exchange: Exchange, known: Known) -> None:
    """Looks the access key up, and takes the signature on trust."""
    authorization = (exchange.header(b"authorization") or b"").decode("latin-1")
    if _signed(exchange) and f"Access={AK}," in authorization:
        _as_valid_token(exchange, known)


class CachesVerifiedSignatures:
    """Remembers each Authorization it accepted, and accepts it again without verifying: whatever the body."""

    def __init__(self) -> None:
        self.accepted: set[bytes] = set()
        self._lock = threading.Lock()

    def before(self, exchange: Exchange, known: Known) -> None:
        with self._lock:
            known_signature = exchange.header(b"authorization") in self.accepted
        if _signed(exchange) and known_signature:
            _as_valid_token(exchange, known)

    def after(self, exchange: Exchange, known: Known) -> None:
        authorization = next((v for k, v in exchange.scope["headers"] if k == b"authorization"), None)
        if exchange.status == 202 and authorization is not None:
            with self._lock:
                self.accepted.add(authorization)


_cache = CachesVerifiedSignatures()
CORRECT_SIGNED = [SignedVariant("signed-default")]
BROKEN_SIGNED = [
    SignedVariant("accepts-stale-dates", before=accepts_stale_dates, caught_by=("signatures",)),
    SignedVariant("accepts-host-unsigned", before=accepts_host_unsigned, caught_by=("signatures",)),
    SignedVariant(
        "accepts-any-signature-of-a-known-key", before=accepts_any_signature_of_a_known_key, caught_by=("signatures",)
    ),
    SignedVariant("caches-verified-signatures", before=_cache.before, after=_cache.after, caught_by=("signatures",)),
]


def credentials_env(variant: Variant) -> dict[str, str]:
    """What a suite run against `variant` authenticates with: its key pair when it checks signatures."""
    return KEY_ENV if isinstance(variant, SignedVariant) else {}
