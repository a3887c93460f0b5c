"""`fgs-conformance`: flags and environment, preflight, the checks under pytest, summary, exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

from fgs._version import package_version
from fgs_conformance import checks, context, report
from fgs_conformance.preflight import CannotTest, preflight
from fgs_conformance.settings import ConfigError, Settings
from fgs_mock import DEFAULT_TOKEN, Backend, create_app, serve_in_thread

CONFORMANT, BROKEN, USAGE, CANNOT_TEST, INCOMPLETE = 0, 1, 2, 3, 4
PROG = "fgs-conformance"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line, no usage block: CI logs show the problem, --help shows the rest.
        self.exit(USAGE, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Check a FunctionGraph async-invocation endpoint against the documented contract. "
        "The credential comes from the environment only: FGS_AUTH_TOKEN, or FGS_ACCESS_KEY and FGS_SECRET_KEY. "
        "Exit codes: 0 conformant, 1 contract broken, 2 usage error, "
        "3 cannot test (unreachable, the preflight call was refused, or nothing was tested), "
        "4 incomplete (with --fail-on-skip: a check could not conclude).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument("--endpoint", help="base URL (FGS_ENDPOINT); without one, the embedded mock is started")
    parser.add_argument("--project-id", help="project the token belongs to (FGS_PROJECT_ID)")
    parser.add_argument("--function-urn", help="an existing function the suite may invoke (FGS_FUNCTION_URN)")
    parser.add_argument("--max-invocations", help="accepted calls the run may cause (FGS_MAX_INVOCATIONS, 25)")
    parser.add_argument(
        "--lifecycle-timeout",
        metavar="SECONDS",
        help="how long an accepted run may take to be listed, and to end (FGS_LIFECYCLE_TIMEOUT, 30)",
    )
    parser.add_argument(
        "--allow-config-changes",
        action="store_const",
        const="1",
        help="live: let the async-config checks change the function's async settings, then restore them "
        "(FGS_ALLOW_CONFIG_CHANGES=1); the embedded mock always allows it",
    )
    parser.add_argument(
        "--allow-cancel",
        action="store_const",
        const="1",
        help="live: let the checks send cancels, which may stop the function's running requests even when "
        "refused (FGS_ALLOW_CANCEL=1); the embedded mock always allows it",
    )
    parser.add_argument(
        "--max-pages",
        metavar="N",
        help="pages one listing may take before a check that needs all of it is skipped as too busy "
        "(FGS_MAX_PAGES, 60)",
    )
    parser.add_argument(
        "--fail-on-skip",
        action="store_const",
        const="1",
        help="exit 4 when a check could not conclude: too busy, budget spent, a run that did not end "
        "(FGS_FAIL_ON_SKIP=1); checks that do not apply to the run never count",
    )
    parser.add_argument("--junit-xml", type=Path, metavar="PATH", help="write a JUnit XML report")
    parser.add_argument("--report", type=Path, metavar="PATH", help="write a Markdown report")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="PATH",
        help="after the checks, write the dialect profile observed (JSON; fgs-mock --dialect PATH serves it)",
    )
    parser.add_argument("--seed", type=int, help="seed for the generated cases, to repeat a run")
    parser.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    parser.add_argument("--check", action="append", default=[], metavar="NAME", help="run only this check (repeat)")
    parser.add_argument("--skip", action="append", default=[], metavar="NAME", help="leave this check out (repeat)")
    return parser


def _selected(chosen: list[str], skipped: list[str]) -> list[str]:
    unknown = sorted(set(chosen + skipped) - set(checks.NAMES))
    if unknown:
        raise ConfigError(f"no check named {', '.join(unknown)}; --list-checks shows them")
    selected = [n for n in checks.NAMES if (not chosen or n in chosen) and n not in skipped]
    if not selected:
        raise ConfigError("--check and --skip leave no check to run")
    return selected


@contextmanager
def _endpoint(settings: Settings) -> Iterator[tuple[str, Backend | None]]:
    if settings.endpoint is not None:
        yield settings.endpoint, None
        return
    backend = Backend.with_defaults(
        token=settings.token or DEFAULT_TOKEN, project_id=settings.project_id, function_urn=settings.function_urn
    )
    if settings.access_key is not None and settings.secret_key is not None:
        backend.add_access_key(settings.access_key, settings.secret_key, settings.project_id)
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


@contextmanager
def _without_plugin_autoload() -> Iterator[None]:
    # Plugins installed beside the user's pytest (reorderers, reseeders, xdist) stay out of the run.
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous


def _pytest_args(selected: list[str], junit: Path | None) -> list[str]:
    args = [str(checks.module_path(name)) for name in selected]
    args += ["-c", os.devnull, "--rootdir", str(checks.CHECKS_DIR.parent), "-o", "python_files=*.py"]
    # Pytest's own terminal output is replaced by the plugin's lines.
    args += ["-p", "no:terminal", "-p", "no:cacheprovider", "-p", "fgs_conformance.plugin", "-W", "ignore"]
    if "property" in selected:
        args += ["-p", "schemathesis.pytest.plugin"]
    if junit is not None:
        args += ["--junit-xml", str(junit)]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    if options.list_checks:
        for name in checks.NAMES:
            print(f"{name:<16} {checks.describe(name)}")
        return CONFORMANT
    try:
        selected = _selected(options.check, options.skip)
        settings = Settings.resolve(
            os.environ,
            {
                "FGS_ENDPOINT": options.endpoint,
                "FGS_PROJECT_ID": options.project_id,
                "FGS_FUNCTION_URN": options.function_urn,
                "FGS_MAX_INVOCATIONS": options.max_invocations,
                "FGS_LIFECYCLE_TIMEOUT": options.lifecycle_timeout,
                "FGS_ALLOW_CONFIG_CHANGES": options.allow_config_changes,
                "FGS_ALLOW_CANCEL": options.allow_cancel,
                "FGS_MAX_PAGES": options.max_pages,
                "FGS_FAIL_ON_SKIP": options.fail_on_skip,
            },
        )
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        _reports_without_run(options.report, options.junit_xml, f"usage error: {exc}")
        return USAGE
    with _endpoint(settings) as (base_url, backend):
        run = context.Run(settings=settings, base_url=base_url, backend=backend, seed=options.seed)
        context.begin(run)
        mode = "live" if settings.live else "embedded mock"
        budget = "unlimited" if settings.max_invocations is None else str(settings.max_invocations)
        header = [
            f"{PROG} {package_version()}: the FunctionGraph async-invocation contract",
            f"Target: {base_url} ({mode}); function {settings.function_urn}; project {settings.project_id}",
            f"Checks: {', '.join(selected)}; invocation budget: {budget}"
            + ("" if options.seed is None else f"; seed {options.seed}"),
        ]
        print("\n".join(header))
        try:
            print(preflight(run), flush=True)
        except CannotTest as exc:
            print(f"cannot test: {exc}", file=sys.stderr)
            _reports(run, header, [f"cannot test: {exc}"], options.report, options.junit_xml, CANNOT_TEST, False)
            return CANNOT_TEST
        with _without_plugin_autoload():
            code = pytest.main(_pytest_args(selected, options.junit_xml))
    code = _finish(run, int(code), header, options.report, options.junit_xml)
    if options.profile is not None:
        _write_profile(run, options.profile)
    return code


def _write_profile(run: context.Run, path: Path) -> None:
    # Named by the host alone: a URL may carry credentials in its user part.
    host = urlsplit(run.base_url).hostname or "endpoint"
    name = f"recorded from {host}" if run.settings.live else "recorded from the embedded mock"
    try:
        run.profile.write(path, name, run.secrets)
    except OSError as exc:
        print(f"{PROG}: cannot write the profile {path}: {exc.strerror or exc}", file=sys.stderr)
        return
    except ValueError as exc:  # it would hold a secret: nothing is written
        print(f"{PROG}: the profile was not written: {exc}", file=sys.stderr)
        return
    print(f"profile: {path}")


def _verdict(run: context.Run, pytest_code: int) -> tuple[int, str]:
    """The exit code and the line that says it."""
    counts = run.recorder.counts()
    if pytest_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        # The suite itself did not run through: interrupted, or an internal error.
        return CANNOT_TEST, f"cannot test: the suite did not run through (pytest exit code {pytest_code})"
    if counts["failed"] or pytest_code == pytest.ExitCode.TESTS_FAILED:
        return BROKEN, "the contract is broken"
    if not counts["passed"]:
        # A selection that ran nothing shows nothing about the endpoint: never "conformant".
        reasons = run.recorder.skip_reasons()
        why = f"every test was skipped: {'; '.join(reasons[:3])}" if reasons else "no test was collected"
        return CANNOT_TEST, f"nothing was tested: {why}"
    if run.settings.fail_on_skip and counts["inconclusive"]:
        return INCOMPLETE, f"incomplete: {counts['inconclusive']} tests could not conclude, and --fail-on-skip is set"
    return CONFORMANT, "conformant"


def _left_out(by_check: Counter[str], why: str) -> list[str]:
    if not by_check:
        return []
    return [f"{why}: " + ", ".join(f"{check} ({n})" for check, n in by_check.items())]


def _finish(run: context.Run, code: int, header: list[str], markdown: Path | None, junit: Path | None) -> int:
    counts = run.recorder.counts()
    verdict, said = _verdict(run, code)
    footer = [
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped "
        f"({counts['skipped for budget']} for the invocation budget)",
        run.budget.describe(),
        *_left_out(run.recorder.skipped_for_budget(), "left out for the budget"),
        *_left_out(run.recorder.too_busy(), "skipped as too busy to check"),
        said,
    ]
    print("\n".join(footer))
    _reports(run, header, footer, markdown, junit, verdict, True)
    return verdict


def _reports(
    run: context.Run,
    header: list[str],
    footer: list[str],
    markdown: Path | None,
    junit: Path | None,
    verdict: int,
    after_pytest: bool,
) -> None:
    """Both reports, on every exit; on one that is neither a pass nor a break, each says why."""
    if markdown is not None:
        report.write(markdown, report.redact(run.recorder.markdown(header=header, footer=footer), run.secrets))
        print(f"report: {markdown}")
    if junit is not None:
        if verdict not in (CONFORMANT, BROKEN):
            report.write_junit(junit, report.redact(footer[-1], run.secrets), after_pytest=after_pytest)
        print(f"junit: {junit}")


def _reports_without_run(markdown: Path | None, junit: Path | None, reason: str) -> None:
    # A usage error: nothing ran, and the settings (so the secrets too) may be unknown; the reason names none.
    if markdown is not None:
        report.write(markdown, f"# Conformance report\n\n{PROG} {package_version()}: {reason}\n")
    if junit is not None:
        report.write_junit(junit, reason, after_pytest=False)
