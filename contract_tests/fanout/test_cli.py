"""`fgs invoke` and `fgs invoke-many` in child processes against the mock: output, exit status, journal."""

from __future__ import annotations

import importlib
import io
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import fgs.cli as fgs_cli
from contract_tests.conftest import ROOT
from contract_tests.fanout.cli_harness import URN, Mock, fgs, journal_rows, mock, write_events
from fgs.cli.journal import Journal
from fgs.cli.progress import Progress


@pytest.fixture(scope="module")
def served() -> Iterator[Mock]:
    with mock() as m:
        yield m


def one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_invoke_prints_the_request_id_of_the_accepted_call(served: Mock, tmp_path: Path) -> None:
    (tmp_path / "event.json").write_text('{"seq": -1, "k": "é"}')
    inline = fgs(["invoke", URN, "--data", '{"seq": -2}'], served.env())
    from_file = fgs(["invoke", URN, "--data", f"@{tmp_path / 'event.json'}"], served.env())

    assert (inline.returncode, from_file.returncode) == (0, 0)
    ids = served.request_ids()
    assert inline.stdout == ids[-2] + "\n"
    assert from_file.stdout == ids[-1] + "\n"


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["invoke", URN, "--data", "{nope"], {}, "fgs: --data is not JSON"),
        (["invoke", URN, "--data", "[1]"], {}, "fgs: --data is not a JSON object but list"),
        (["invoke", URN, "--data", "@/no/such/file"], {}, "fgs: cannot read /no/such/file: No such file"),
        (["invoke", ".."], {}, "fgs: function_urn '..' would change the request path"),
        (["invoke", URN], {"FGS_AUTH_TOKEN": ""}, "fgs: set FGS_AUTH_TOKEN in the environment"),
        (["invoke", URN], {"FGS_ENDPOINT": "ftp://x"}, "fgs: endpoint 'ftp://x' needs an http(s) scheme"),
        (["invoke"], {}, "fgs invoke: the following arguments are required: URN (see fgs invoke --help)"),
        ([], {}, "fgs: the following arguments are required: COMMAND"),
        (["invoke-many", URN, "/no/such.jsonl"], {}, "fgs: no such file: /no/such.jsonl"),
        (["invoke-many", URN, "x.jsonl", "--concurrency", "0"], {}, "argument --concurrency: '0' is not a positive"),
        (["invoke-many", URN, "x.jsonl", "--rate", "nan"], {}, "argument --rate: 'nan' is not a positive float"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(served: Mock, args: list[str], env: dict[str, str], says: str) -> None:
    before = len(served.backend.invocations)
    result = fgs(args, served.env(**env))
    assert result.returncode == 2
    assert one_line_error(result.stderr).startswith(says) or says in result.stderr
    assert len(served.backend.invocations) == before


def test_a_refused_call_is_one_line_exit_1_and_never_shows_the_token(served: Mock) -> None:
    missing = fgs(["invoke", URN.replace(":hello:", ":nobody:")], served.env())
    assert missing.returncode == 1
    assert one_line_error(missing.stderr).startswith("fgs: HTTP 404 FSS.1051")

    token = "CLI-SECRET-7f3a9c"
    refused = fgs(["invoke", URN], served.env(FGS_AUTH_TOKEN=token))
    assert refused.returncode == 1
    assert one_line_error(refused.stderr).startswith("fgs: HTTP 401")
    assert token not in refused.stdout + refused.stderr


def test_invoke_many_skips_bad_lines_by_number_and_journals_every_line(served: Mock, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"seq": 100}\n\n{"seq": 101\n[1, 2]\n{"seq": 102, "x": NaN}\n{"seq": 103}\n')
    journal = tmp_path / "journal.db"
    before = served.seqs()

    first = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())

    assert first.returncode == 1  # bad lines count as failures
    assert "Traceback" not in first.stderr
    assert "fgs: line 3: skipped: not JSON" in first.stderr
    assert "fgs: line 4: skipped: not a JSON object but list" in first.stderr
    assert "fgs: line 5: skipped: not JSON (NaN is not JSON)" in first.stderr
    assert (served.seqs() - before) == {100: 1, 103: 1}
    rows = journal_rows(journal)
    ids = served.request_ids()
    assert rows == {
        1: ("accepted", ids[100]),
        3: ("failed", None),
        4: ("failed", None),
        5: ("failed", None),
        6: ("accepted", ids[103]),
    }
    assert "this run: 2 accepted, 0 failed, 3 bad lines skipped" in first.stdout

    again = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())
    assert again.returncode == 1
    assert (served.seqs() - before) == {100: 1, 103: 1}  # nothing sent twice
    assert "this run: 0 accepted" in again.stdout


def test_calls_with_unknown_outcome_are_listed_and_sent_again_only_when_asked(served: Mock, tmp_path: Path) -> None:
    events = write_events(tmp_path / "events.jsonl", 6)
    journal = tmp_path / "journal.db"
    with Journal(journal, URN) as j:  # as a killed run leaves it: lines 2 and 5 sent, no answer recorded
        for line in (2, 5):
            j.add_pending(line, _digest(events, line))
            j.mark_sent(line)
    before = served.seqs()

    rerun = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())

    assert rerun.returncode == 1
    assert "fgs: 2 calls have an unknown outcome (sent, no answer): lines 2, 5." in rerun.stderr
    assert served.seqs() - before == {0: 1, 2: 1, 3: 1, 5: 1}

    resend = fgs(["invoke-many", URN, str(events), "--journal", str(journal), "--resend-unknown"], served.env())

    assert resend.returncode == 0, resend.stderr
    assert served.seqs() - before == {n: 1 for n in range(6)}
    assert {state for state, _ in journal_rows(journal).values()} == {"accepted"}


def test_503s_are_retried_by_the_client_and_500s_are_failures_never_resent(served: Mock, tmp_path: Path) -> None:
    events, journal = write_events(tmp_path / "events.jsonl", 20), tmp_path / "journal.db"
    before = served.seqs()
    served.backend.faults.set(status=503, next_count=2)  # retried: 503 means the call was not taken

    retried = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())

    assert retried.returncode == 0, retried.stderr
    assert served.seqs() - before == {n: 1 for n in range(20)}

    events, journal = write_events(tmp_path / "more.jsonl", 3), tmp_path / "more.db"
    served.backend.faults.set(status=500, next_count=1)  # not retried: the service may have taken it
    failed = fgs(["invoke-many", URN, str(events), "--journal", str(journal), "--concurrency", "1"], served.env())
    rerun = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())

    assert (failed.returncode, rerun.returncode) == (1, 1)
    assert "fgs: line 1: HTTP 500" in failed.stderr
    assert journal_rows(journal)[1] == ("failed", None)
    assert served.seqs() - before == {n: 2 for n in (1, 2)} | {n: 1 for n in range(3, 20)} | {0: 1}


def test_a_journal_for_other_input_or_another_function_is_refused(served: Mock, tmp_path: Path) -> None:
    events = write_events(tmp_path / "events.jsonl", 3)
    journal = tmp_path / "journal.db"
    assert fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env()).returncode == 0
    before = len(served.backend.invocations)

    other_function = fgs(["invoke-many", URN + "x", str(events), "--journal", str(journal)], served.env())
    events.write_text('{"seq": 0}\n{"seq": 7}\n{"seq": 2}\n')
    changed = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())
    events.write_text('{"seq": 0}\n')
    shorter = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())

    assert (other_function.returncode, changed.returncode, shorter.returncode) == (2, 2, 2)
    assert "belongs to another function" in one_line_error(other_function.stderr)
    assert f"fgs: line 2 of {events} changed since journal" in one_line_error(changed.stderr)
    assert "has lines that" in one_line_error(shorter.stderr)
    assert len(served.backend.invocations) == before


def test_a_journal_in_use_by_another_run_is_refused(served: Mock, tmp_path: Path) -> None:
    events, journal = write_events(tmp_path / "events.jsonl", 2), tmp_path / "journal.db"
    before = len(served.backend.invocations)
    with Journal(journal, URN):
        second = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())
    assert second.returncode == 2
    assert one_line_error(second.stderr) == f"fgs: cannot use journal {journal}: another run is using it"
    assert len(served.backend.invocations) == before


def test_the_default_journal_sits_beside_the_events(served: Mock, tmp_path: Path) -> None:
    events = write_events(tmp_path / "events.jsonl", 2)
    assert fgs(["invoke-many", URN, str(events)], served.env()).returncode == 0
    assert set(journal_rows(tmp_path / "events.jsonl.journal")) == {1, 2}


def _digest(events: Path, line: int) -> str:
    import hashlib

    return hashlib.sha256(events.read_bytes().splitlines()[line - 1].strip()).hexdigest()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_redrawn_bar_with_rate_and_eta() -> None:
    now = [0.0]
    stream = _Terminal()
    progress = Progress(100, stream, clock=lambda: now[0])
    for _ in range(50):
        now[0] += 0.02
        progress.advance()
    assert 5 <= stream.getvalue().count("\r") <= 10  # redrawn every 0.1 s, not per answer
    last = stream.getvalue().rsplit("\r", 1)[1]
    assert re.fullmatch(r"\[#{11}\.{13}\] 4\d/100 \(4\d%\) 50/s ETA 0:00:01\x1b\[K", last), last
    for _ in range(50):
        progress.advance()
    progress.finish()
    assert "\n" not in stream.getvalue()[:-1]
    assert "100/100 (100%)" in stream.getvalue()


def test_progress_elsewhere_is_a_plain_line_per_tenth() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(50, stream, clock=lambda: now[0])
    for _ in range(50):
        now[0] += 0.1
        progress.advance()
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "5/50 (10%) 10/s ETA 0:00:05"
    assert lines[-1] == "50/50 (100%) 10/s ETA 0:00:00"
    assert "\r" not in stream.getvalue()


def test_the_fgs_script_is_declared_and_points_at_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["fgs"].partition(":")
    assert getattr(importlib.import_module(module), name) is fgs_cli.main
