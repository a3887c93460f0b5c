"""Following next_marker lists the filtered set once each: no record twice, none left out."""

from __future__ import annotations

from collections import Counter

from fgs_conformance.expectations import ContractBreak
from fgs_conformance.lifecycle import Lifecycle, Record

RUNS = 3  # own runs in the window: with pages of two, the listing spans at least two pages


def _ids(records: list[Record]) -> list[str]:
    return [str(r["request_id"]) for r in records]


def _no_repeats(listed: list[str], how: str) -> None:
    repeated = [request_id for request_id, n in Counter(listed).items() if n > 1]
    if repeated:
        raise ContractBreak(f"{how}, {len(repeated)} request_ids came twice, e.g. {repeated[0]}")


def test_pages_list_the_filtered_set_once_each(lifecycle: Lifecycle) -> None:
    own = lifecycle.runs(RUNS)
    window = lifecycle.window()
    listing = lifecycle.pages(64, **window)
    _no_repeats(_ids(listing.records), "in pages of 64")  # the window is closed: a repeat is never a shift
    whole = _ids(listing.complete())
    lifecycle.target.run.profile.listed(lifecycle.own, whole)
    missing = [request_id for request_id in own if request_id not in whole]
    if missing:
        raise ContractBreak(f"in pages of 64, {len(missing)} of the suite's own runs were left out: {missing[:3]}")
    # Small pages, but few enough of them for a busy function: the set in a closed window does not change.
    size = max(2, -(-len(whole) // 20))
    small = lifecycle.pages(size, **window)
    paged = _ids(small.records)
    _no_repeats(paged, f"in pages of {size}")
    extra = sorted(set(paged) - set(whole))
    if extra:
        raise ContractBreak(f"pages of {size} listed {len(extra)} records outside the set, e.g. {extra[0]}")
    left_out = sorted(set(whole) - set(_ids(small.complete())))
    if left_out:
        raise ContractBreak(f"in pages of {size}, {len(left_out)} records were skipped, e.g. {left_out[0]}")


def test_count_is_the_size_of_the_filtered_set(lifecycle: Lifecycle) -> None:
    lifecycle.runs(RUNS)
    window = lifecycle.window()
    whole = lifecycle.pages(64, **window).complete()
    count = lifecycle.query(**window, limit="1").get("count")
    if count is not None and count != len(whole):
        raise ContractBreak(f"count says {count} records match, the pages hold {len(whole)}")


def test_limit_is_read_as_the_page_allows(lifecycle: Lifecycle) -> None:
    # The page gives two maximums, 500 and 64: 64 must be served; above it, a 400 is one allowed reading.
    profile = lifecycle.target.run.profile
    response, _ = lifecycle.call("listAsyncInvocations", params={"limit": "64"})
    profile.limit(64, response)
    if response.status_code != 200:
        raise ContractBreak(f"limit=64 was answered {response.status_code}: {response.text[:200]!r}")
    response, _ = lifecycle.call("listAsyncInvocations", params={"limit": "500"})
    profile.limit(500, response)
    if response.status_code not in (200, 400):
        raise ContractBreak(f"limit=500 was answered {response.status_code}, neither a page nor a 400")
    # One above the highest served: refused, or served capped; the page allows no more than 500 either way.
    above = (profile.max_limit() or 64) + 1
    response, _ = lifecycle.call("listAsyncInvocations", params={"limit": str(above)})
    profile.answer("limit-above-maximum", response)
    if response.status_code not in (200, 400):
        raise ContractBreak(f"limit={above} was answered {response.status_code}, neither a page nor a 400")
