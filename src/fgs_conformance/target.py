"""The endpoint under test: one way to send to the operation, and the path and URN values checks need."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest

from fgs._signing import canonical_query
from fgs_conformance.context import Run
from fgs_conformance.expectations import ContractBreak, observe
from fgs_conformance.report import BUDGET_SKIP, NOT_APPLICABLE
from fgs_conformance.settings import Settings
from fgs_conformance.signing import credential_headers
from fgs_conformance.spec import OPERATION_PATH


@dataclass
class Target:
    run: Run = field(repr=False)
    client: httpx.Client = field(repr=False)

    @property
    def base_url(self) -> str:
        return self.run.base_url

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def token_or_skip(self) -> str:
        """The run's token; a test that varies it is skipped when the run signs with an access key instead."""
        if self.settings.token is None:
            pytest.skip(
                f"{NOT_APPLICABLE}: the run signs with an access key, so there is no token to vary "
                "(see the signatures check)"
            )
        return self.settings.token

    def cancels_or_skip(self) -> None:
        """Live, a check that sends a cancel runs only when asked: a cancel, even a refused one, may stop
        the function's running requests (the stop page)."""
        if self.settings.live and not self.settings.allow_cancel:
            pytest.skip(
                f"{NOT_APPLICABLE}: may stop the function's running requests: pass --allow-cancel (FGS_ALLOW_CANCEL=1)"
            )

    def config_changes_or_skip(self) -> None:
        """Live, a check that may change the function's async config runs only when asked."""
        if self.settings.live and not self.settings.allow_config_changes:
            pytest.skip(
                f"{NOT_APPLICABLE}: changes the function's async config: "
                "pass --allow-config-changes (FGS_ALLOW_CONFIG_CHANGES=1)"
            )

    def url(
        self,
        project_id: str | None = None,
        function_urn: str | None = None,
        params: dict[str, str] | None = None,
        operation: str | None = None,
    ) -> str:
        """The operation's absolute URL, the query as a signature expects it: pairs sorted and encoded.

        `operation` replaces the path's last segment (`invocations-async`), for a route beside it.
        """
        path = operation_path(
            self.settings.project_id if project_id is None else project_id,
            self.settings.function_urn if function_urn is None else function_urn,
        )
        if operation is not None:
            path = path.rsplit("/", 1)[0] + "/" + operation
        query = canonical_query(params.items()) if params else ""
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def send(
        self,
        *,
        method: str = "POST",
        project_id: str | None = None,
        function_urn: str | None = None,
        token: str | None = "valid",
        content: bytes | None = b"{}",
        content_type: str | None = "application/json",
        extra_headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        costs_invocation: bool = False,
        operation: str | None = None,
    ) -> httpx.Response:
        """One request to the operation. token="valid" sends the run's credential (the token, or a signature
        with the access key); another string is sent as X-Auth-Token; None sends no credential.

        costs_invocation: the call is meant to be accepted, so it waits for budget; any other call that
        is accepted anyway is still counted (see Budget).
        """
        if costs_invocation and not self.run.budget.allows():
            pytest.skip(f"{BUDGET_SKIP} (max invocations {self.run.settings.max_invocations})")
        headers: dict[str, str] = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        headers.update(extra_headers or {})
        url = self.url(project_id, function_urn, params, operation)
        return send(self.client, self.settings, method, url, headers=headers, content=content, token=token)


def send(
    client: httpx.Client,
    settings: Settings,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    content: bytes | None,
    token: str | None = "valid",
    quoted_token_breaks: bool = True,
) -> httpx.Response:
    """The one place a request of the run gets its credential, is sent, and has its answer observed.

    token="valid" adds the run's credential (the token, or a signature over exactly what is sent);
    another string goes as X-Auth-Token; None sends none. quoted_token_breaks=False keeps the answer
    when it quotes a token: the run notes it, and the reflection check reports it.
    """
    sent = dict(headers)
    if token == "valid":
        sent.update(credential_headers(settings, method, url, sent, content or b""))
    elif token is not None:
        sent["X-Auth-Token"] = token
    response = client.request(method, url, content=content, headers=sent)
    try:
        observe(response, [sent["X-Auth-Token"]] if "X-Auth-Token" in sent else [])
    except ContractBreak:
        if quoted_token_breaks:
            raise
    return response


def operation_path(project_id: str, function_urn: str) -> str:
    # safe="" keeps each value one path segment, as the spec's path template requires.
    return OPERATION_PATH.format(project_id=quote(project_id, safe=""), function_urn=quote(function_urn, safe=""))


def fresh_name(prefix: str = "fgs-contract-missing") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def another_project_id(project_id: str) -> str:
    other = uuid.uuid4().hex
    return other if other != project_id else uuid.uuid4().hex


@dataclass(frozen=True)
class Reference:
    """The target URN's parts, in any documented form; None where the form leaves a part out."""

    region: str | None
    project: str | None
    package: str
    name: str
    qualifier: str | None

    @classmethod
    def parse(cls, urn: str) -> Reference:
        fields = urn.split(":")
        if len(fields) in (7, 8) and fields[:2] == ["urn", "fss"]:
            return cls(fields[2], fields[3], fields[5], fields[6], fields[7] if len(fields) == 8 else None)
        if len(fields) in (3, 4):
            return cls(None, fields[0], fields[1], fields[2], fields[3] if len(fields) == 4 else None)
        if len(fields) == 2:
            return cls(None, None, fields[0], fields[1], None)
        return cls(None, None, "default", fields[-1], None)

    def full(self, project: str, *, name: str | None = None, qualifier: str | None = None) -> str:
        """The full form, with `qualifier` if given; the region is the target URN's, else eu-de."""
        urn = f"urn:fss:{self.region or 'eu-de'}:{project}:function:{self.package}:{name or self.name}"
        return f"{urn}:{qualifier}" if qualifier else urn


def urn_in_project(urn: str, project_id: str) -> str:
    """The same function reference, but naming `project_id` as its owner."""
    fields = urn.split(":")
    if len(fields) in (7, 8):
        fields[3] = project_id
    elif len(fields) in (3, 4):
        fields[0] = project_id
    elif len(fields) == 2:
        fields.insert(0, project_id)
    else:
        fields = [project_id, "default", *fields]
    return ":".join(fields)


def urn_of_missing_function(urn: str) -> str:
    """A well-formed URN, in the target URN's own form, of a function nobody has created."""
    fields = urn.split(":")
    name_index = {8: 6, 7: 6, 4: 2, 3: 2, 2: 1, 1: 0}.get(len(fields), len(fields) - 1)
    fields[name_index] = fresh_name()
    return ":".join(fields)
