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


FORMS = (
    "urn:fss:<region>:<project>:function:<package>:<name>[:<version>|:!<alias>], or a short form: "
    "<name>, <package>:<name>, <project>:<package>:<name>[:<version>|:!<alias>]"
)


class MalformedUrn(ValueError):
    """The value is not a function URN in any accepted form; the message says which part is wrong."""


class FunctionRef(NamedTuple):
    project_id: str | None  # None: the short form left it to the token
    package: str
    name: str
    qualifier: str  # a version, or "!" + alias

    @classmethod
    def of_short_urn(cls, short_urn: str) -> FunctionRef:
        """The function a stored `short_urn` names: always four fields, its project resolved."""
        project, package, name, qualifier = short_urn.split(":")
        return cls(project, package, name, qualifier)

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


def _check(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        raise MalformedUrn(f"{value[:64]!a} is not a valid {what} (expected {FORMS})")
    return value


def parse_urn(urn: str) -> FunctionRef:
    fields = urn.split(":")
    if len(fields) in (7, 8):
        if fields[0] != "urn" or fields[1] != "fss" or fields[4] != "function":
            raise MalformedUrn(f"a URN of {len(fields)} fields must read urn:fss:...:function:... (expected {FORMS})")
        _check(_REGION, fields[2], "region")
        project, package, name, *qualifier = fields[3], fields[5], fields[6], *fields[7:]
    elif len(fields) in (3, 4):
        project, package, name, *qualifier = fields
    elif len(fields) == 2:
        project, (package, name), qualifier = None, fields, []
    elif len(fields) == 1:
        project, package, name, qualifier = None, DEFAULT_PACKAGE, fields[0], []
    else:
        raise MalformedUrn(f"{len(fields)} colon-separated fields (expected {FORMS})")
    return FunctionRef(
        project_id=None if project is None else _check(_PROJECT, project, "project"),
        package=_check(_NAME, package, "package"),
        name=_check(_NAME, name, "function name"),
        qualifier=_check(_QUALIFIER, qualifier[0], "version or alias") if qualifier else DEFAULT_QUALIFIER,
    )


def read_as(ref: FunctionRef) -> str:
    """How a short form was read, for a refusal that would otherwise puzzle: `default:hello:latest`
    names project `default`, not package `default`."""
    version = "" if ref.qualifier == DEFAULT_QUALIFIER else f", version {ref.qualifier}"
    return (
        f"the short form was read as <project>:<package>:<name>: project {ref.project_id}, package {ref.package}, "
        f"function {ref.name}{version}"
    )
