"""A fake IAM for the login tests: the mock's TokenIssuer behind a send function, on a settable clock."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field

from contract_tests.auth.keys import PASSWORD, PROJECT
from fgs.credentials import HttpRequest, HttpResponse, IamPassword
from fgs_mock.auth import AuthRefusal, TokenIssuer

IAM = "http://127.0.0.1:9/iam"
DOMAIN, USER, PROJECT_NAME = "acme", "alice", "eu-de"


def login(password: str = PASSWORD) -> IamPassword:
    return IamPassword(IAM, DOMAIN, USER, password, PROJECT_NAME)


@dataclass
class FakeIam:
    """Answers logins as the mock's issuer would over HTTP; counts them; can be slowed to widen races."""

    lifetime: float = 60.0
    now: float = 1_000_000.0
    delay: float = 0.0
    logins: int = 0
    issuer: TokenIssuer = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.issuer = TokenIssuer(self.lifetime)
        self.issuer.add_user(DOMAIN, USER, PASSWORD, PROJECT, PROJECT_NAME)

    def _answer(self, request: HttpRequest) -> HttpResponse:
        assert (request.method, request.url) == ("POST", f"{IAM}/v3/auth/tokens")
        with self._lock:
            self.logins += 1
        try:
            token = self.issuer.issue(request.body, self.now)
        except AuthRefusal as refusal:
            return HttpResponse(401, {}, b'{"error": {"code": 401, "message": "%s"}}' % refusal.reason.encode())
        body = json.dumps(token.body()).encode()
        return HttpResponse(201, {"x-subject-token": token.value}, body)

    def send(self, request: HttpRequest) -> HttpResponse:
        time.sleep(self.delay)
        return self._answer(request)

    async def asend(self, request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(self.delay)
        return self._answer(request)

    def project_for(self, token: str) -> str | None:
        return self.issuer.project_for_token(token, self.now)
