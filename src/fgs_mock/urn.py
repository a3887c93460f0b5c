"""Function URNs in every form the function model allows, reduced to one canonical identity.

Full:  urn:fss:<region>:<project>:function:<package>:<name>[:<version> | :!<alias>]
Short: <name> | <package>:<name> | <project>:<package>:<name>[:<version> | :!<alias>]
A short form takes the project from the token, `default` as package and `latest` as version.
"""

from __future__ import annotations

import re
from typing import NamedTuple

DEFAULT_PACKAGE = "default"
DEFAULT_QUALIFIER = "latest"

_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PROJECT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_REGION = re.compile(r"[A-Za-z0-9_-]{1,64}")
_QUALIFIER = re.compile(r"!?[A-Za-z0-9_.-]{1,128}")


class MalformedUrn(ValueError):
    """The value is not a function URN in any accepted form."""


class FunctionRef(NamedTuple):
    project_id: str | None  # None: the short form left it to the token
    package: str
    name: str
    qualifier: str  # a version, or "!" + alias

    @property
    def short_urn(self) -> str:
        """The four-field form, `<project>:<package>:<name>:<version or !alias>`."""
        return f"{self.project_id}:{self.package}:{self.name}:{self.qualifier}"

    def full_urn(self, region: str) -> str:
        """The eight-field form, `urn:fss:<region>:<project>:function:<package>:<name>:<version or !alias>`."""
        if self.project_id is None:
            raise ValueError("a full URN needs the project: resolve the short form first")
        return f"urn:fss:{region}:{self.project_id}:function:{self.package}:{self.name}:{self.qualifier}"

    @property
    def is_alias(self) -> bool:
        return self.qualifier.startswith("!")


def is_project_id(value: str) -> bool:
    return _PROJECT.fullmatch(value) is not None


def _check(pattern: re.Pattern[str], value: str) -> str:
    if not pattern.fullmatch(value):
        raise MalformedUrn(value)
    return value


def parse_urn(urn: str) -> FunctionRef:
    fields = urn.split(":")
    if len(fields) in (7, 8):
        if fields[0] != "urn" or fields[1] != "fss" or fields[4] != "function":
            raise MalformedUrn(urn)
        _check(_REGION, fields[2])
        project, package, name, *qualifier = fields[3], fields[5], fields[6], *fields[7:]
    elif len(fields) in (3, 4):
        project, package, name, *qualifier = fields
    elif len(fields) == 2:
        project, (package, name), qualifier = None, fields, []
    elif len(fields) == 1:
        project, package, name, qualifier = None, DEFAULT_PACKAGE, fields[0], []
    else:
        raise MalformedUrn(urn)
    return FunctionRef(
        project_id=None if project is None else _check(_PROJECT, project),
        package=_check(_NAME, package),
        name=_check(_NAME, name),
        qualifier=_check(_QUALIFIER, qualifier[0]) if qualifier else DEFAULT_QUALIFIER,
    )
