"""Log templates (masking the variable parts) and the pattern grouper's novelty rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from investigate.models import Level, Window
from investigate.sdk import patterns
from investigate.sdk.patterns import MAX_EXAMPLES, LogLine, PatternGrouper, default_keep, template

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = Window(start=START, end=END)


def t(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def line(
    minutes: float,
    message: str,
    level: Level = "error",
    service: str = "api",
    matched: frozenset[str] = frozenset(),
    **fields: object,
) -> LogLine:
    return LogLine(t(minutes), level, message, service, fields, matched)


# --- template() -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("user usr_81 took 532ms", "user <id> took <num>"),  # the module's own example
        (
            "export failed for acc_1042 after 3 retries",
            "export failed for <id> after <num> retries",
        ),
        ("job 3f2a9c1d-1111-2222-3333-444455556666 done", "job <uuid> done"),
        ("commit deadbeefcafe1234 deployed", "commit <hex> deployed"),
        ("pointer 0x7ffde4a0 freed", "pointer <hex> freed"),
        ("connect to 10.0.3.17:5432 refused", "connect to <ip> refused"),
        ("retry at 2026-11-24T09:13:02.123Z", "retry at <ts>"),
        ("retry at 2026-11-24 09:13:02,123", "retry at <ts>"),
        ("mail to dana.s+x@acme.co.uk bounced", "mail to <email> bounced"),
        ('lookup "Acme Corp" failed', "lookup <str> failed"),
        ("lookup 'Acme Corp' failed", "lookup <str> failed"),
        ("disk 91% full, 1.5gb free, load -0.25", "disk <num> full, <num> free, load <num>"),
        ("export   failed\tagain", "export failed again"),
        ("proxy.cse.cuhk.edu.hk:5070 open through proxy", "<host> open through proxy"),
        ("rhost=adsl-70-242.dsl.swbell.net refused", "rhost=<host> refused"),
        ("session opened at 20:55:07 for root", "session opened at <time> for root"),
        ("GET /v2/servers/detail returned 200", "GET <path> returned <num>"),
        (r"load C:\Windows\winsxs\cbscore.dll failed", "load <path> failed"),
        # a Java class name is not a host name: it names the code that failed
        ("NPE in org.apache.hadoop.DFSClient", "NPE in org.apache.hadoop.DFSClient"),
    ],
)
def test_template_masks_variable_parts(message: str, expected: str) -> None:
    assert template(message) == expected


def test_lines_that_differ_only_in_variable_parts_share_a_template() -> None:
    a = template('export 7781 for acc_1042 (dana@acme.io) from 10.0.0.1 in 532ms: "big.csv"')
    b = template('export 12 for acc_2001 (lee@globex.com) from 10.9.9.9 in 7ms: "x.csv"')

    assert a == b


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("user usr_81 logged in", "user usr_92 logged in"),
        ("job job_77 queued", "job job_88 queued"),
    ],
)
def test_short_ids_with_numbers_collapse_too(first: str, second: str) -> None:
    assert template(first) == template(second)


@pytest.mark.parametrize("word", ["node12", "usr_81", "abc123", "build_42", "http2"])
def test_masks_replace_whole_tokens_never_the_tail_of_one(word: str) -> None:
    masked = template(f"restart {word} now")

    assert re.search(r"[A-Za-z0-9_]<", masked) is None, masked


def test_codes_and_words_are_kept() -> None:
    assert template("ERR_EXPORT_SERIALIZE in exporter v2") == "ERR_EXPORT_SERIALIZE in exporter v2"


def test_template_is_bounded() -> None:
    assert len(template("word " * 100_000)) <= 2000


# --- PatternGrouper ---------------------------------------------------------------------------


def every_mask(message: str) -> str:
    """`template` by its definition: every mask applied in turn, none skipped."""
    text = message[:2000]
    for pattern, repl, _needs in patterns._MASKS:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


PIECES = st.sampled_from(  # a match for each mask, bare and in company, and their characters
    [
        *("user_id=7", "usr_81", "2026-11-28T12:00:01Z", "2026-11-28 12:00:01", "a@b.io"),
        *("10.0.0.1", "10.0.0.1:80", "12:30", "1:05:07.5", "api.example.com", "db.lan:5432"),
        *("/a/b", "/srv/app/x.py", "C:\\x\\y", "deadbeef99", "0xFFFFFFFF", "'q'", '"q"'),
        *("7ms", "-3.5", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "Id", "0x", "é"),
        *("-", ":", ".", "@", "_", "=", "/", "\\", "'", '"', " ", "x"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES | st.text(max_size=6), max_size=12))
def test_skipping_a_mask_the_text_cannot_match_changes_nothing(parts: list[str]) -> None:
    message = "".join(parts)
    patterns._CACHE.pop(message, None)
    assert template(message) == every_mask(message)


def test_no_replacement_adds_a_character_a_mask_needs() -> None:
    """`template` checks the needed characters against the message as it came in: sound only
    while no replacement brings in one that was not there."""
    needed = set("".join(needs for _, _, needs in patterns._MASKS))
    assert needed  # the check has something to check
    for pattern, repl, needs in patterns._MASKS:
        added = set(re.sub(r"\\\d", "", repl))  # a group (\1) brings back what its match held
        held = set(needs) if len(needs) == 1 else set()  # a match holds its one needed character
        assert not (added & needed) - held, (pattern.pattern, repl)


def test_a_pattern_absent_from_the_baseline_is_new() -> None:
    g = PatternGrouper(WINDOW)
    g.add_baseline(line(-30, "db pool exhausted"))
    g.add(line(5, "serializer crashed for job 1"))
    g.add(line(6, "serializer crashed for job 2"))

    (item,) = g.evidence("logs", "q")

    assert item.novelty == "new"
    assert item.count == 2
    assert item.attributes["baseline_count"] == 0


def test_three_times_the_baseline_rate_and_five_lines_is_a_spike() -> None:
    g = PatternGrouper(WINDOW)
    g.add_baseline(line(-60, "upstream timeout"))
    for minute in range(0, 60, 10):
        g.add(line(minute, "upstream timeout"))

    (item,) = g.evidence("logs", "q")

    assert item.novelty == "spike"
    assert item.count == 6
    assert item.attributes["baseline_count"] == 1


def test_fewer_than_five_lines_is_never_a_spike() -> None:
    g = PatternGrouper(WINDOW)
    g.add_baseline(line(-600, "upstream timeout"))  # once in ten hours
    for minute in range(4):
        g.add(line(minute, "upstream timeout"))

    key = g.key(line(0, "upstream timeout"))
    assert g.novelty(key, g.patterns[key]) == ("steady", 1)
    assert g.evidence("logs", "q") == []


def test_a_rate_below_three_times_the_baseline_is_steady() -> None:
    g = PatternGrouper(WINDOW)
    for minute in range(-60, 0, 10):  # 6 per hour before
        g.add_baseline(line(minute, "upstream timeout"))
    for minute in range(0, 60, 4):  # 15 per hour in the window
        g.add(line(minute, "upstream timeout"))

    key = g.key(line(0, "upstream timeout"))
    assert g.novelty(key, g.patterns[key]) == ("steady", 6)
    assert g.evidence("logs", "q") == []


def test_rates_are_per_hour_over_the_baseline_span() -> None:
    # 10 lines spread over 10 hours before is 1/hour; 6 in the window hour is a spike.
    g = PatternGrouper(WINDOW)
    for hour in range(10):
        g.add_baseline(line(-60 * (hour + 1), "upstream timeout"))
    for minute in range(0, 60, 10):
        g.add(line(minute, "upstream timeout"))

    (item,) = g.evidence("logs", "q")

    assert item.novelty == "spike"


def test_baseline_is_per_service_and_level() -> None:
    g = PatternGrouper(WINDOW)
    g.add_baseline(line(-30, "upstream timeout", service="worker"))
    g.add_baseline(line(-30, "upstream timeout", level="warning"))
    g.add(line(5, "upstream timeout"))

    (item,) = g.evidence("logs", "q")

    assert item.novelty == "new"


def test_default_keep_shows_matched_lines_and_new_or_spiking_errors_only() -> None:
    g = PatternGrouper(WINDOW)
    for minute in range(-60, 0, 10):
        g.add_baseline(line(minute, "steady error"))
        g.add(line(minute + 60, "steady error"))
    g.add(line(1, "new warning", level="warning"))
    g.add(line(2, "new info", level="info"))
    g.add(line(3, "new critical", level="critical"))
    g.add(line(4, "login for dana@acme.io", level="info", matched=frozenset({"dana@acme.io"})))

    titles = sorted(e.attributes["template"] for e in g.evidence("logs", "q"))

    assert titles == ["login for <email>", "new critical"]


def test_a_custom_keep_function_can_show_everything() -> None:
    g = PatternGrouper(WINDOW)
    g.add(line(1, "new warning", level="warning"))
    g.add(line(2, "new info", level="info"))

    assert len(g.evidence("logs", "q", keep=lambda _p, _n: True)) == 2


def test_grouping_counts_times_examples_services_and_accounts() -> None:
    g = PatternGrouper(WINDOW)
    g.add(line(30, "charge failed for acc_2001", account_id="acc_2001"))
    g.add(line(10, "charge failed for acc_2002", account_id="acc_2002"))
    g.add(line(50, "charge failed for acc_2001", account_id="acc_2001"))
    g.add(line(20, "charge failed for acc_2003", account_id="acc_2003"))
    g.add(line(40, "charge failed for acc_1042", matched=frozenset({"acc_1042"})))
    g.add(line(45, "charge failed for acc_2004"))

    (item,) = g.evidence("logs", "q")

    assert item.kind == "log_pattern"
    assert item.count == 6
    assert item.first_seen == t(10)
    assert item.last_seen == t(50)
    assert item.timestamp == t(10)
    assert len(item.examples) == MAX_EXAMPLES
    assert item.examples[0] == "charge failed for acc_1042"  # the matched line leads
    assert item.services == ["api"]
    assert item.matched == ["acc_1042"]
    # account_id fields, or account ids in the message when there is no field
    assert item.accounts_affected == 5
    assert "1 of them mention this ticket's entities" in item.detail
    assert "5 accounts affected" in item.detail


def test_a_single_line_is_a_log_item_not_a_pattern() -> None:
    g = PatternGrouper(WINDOW)
    g.add(line(5, "checkout failed: ERR_CARD_VAULT status=502", status="502"))

    (item,) = g.evidence("logs", "q")

    assert item.kind == "log"
    assert item.count == 1
    assert item.error_codes == ["ERR_CARD_VAULT"]
    assert item.http_statuses == [502]
    assert item.title == "ERROR api: checkout failed: ERR_CARD_VAULT status=<num>"


def test_matched_items_rank_before_bigger_unmatched_ones() -> None:
    g = PatternGrouper(WINDOW)
    for minute in range(10):
        g.add(line(minute, "queue overflow"))
    g.add(line(20, "quota hit for acc_1042", matched=frozenset({"acc_1042"})))

    items = g.evidence("logs", "q")

    assert [e.attributes["template"] for e in items] == ["quota hit for <id>", "queue overflow"]


def test_templates_beyond_the_cap_are_dropped_and_counted() -> None:
    g = PatternGrouper(WINDOW, max_templates=3)
    for word in ("alpha", "bravo", "charlie", "delta", "echo"):
        g.add(line(1, f"{word} failed"))
    g.add(line(2, "alpha failed"))

    assert len(g.patterns) == 3
    assert g.dropped == 2
    assert g.patterns[g.key(line(0, "alpha failed"))].count == 2


def test_default_keep_directly() -> None:
    g = PatternGrouper(WINDOW)
    g.add(line(1, "boom"))
    pattern = g.patterns[g.key(line(1, "boom"))]

    assert default_keep(pattern, "new")
    assert default_keep(pattern, "spike")
    assert not default_keep(pattern, "steady")


# --- Drain clustering inside the grouper ------------------------------------------------------


def test_lines_differing_in_a_free_word_share_a_drain_pattern() -> None:
    g = PatternGrouper(WINDOW)
    g.add(line(1, "worker shard alpha lost its lease after rebalance"))
    g.add(line(2, "worker shard bravo lost its lease after rebalance"))

    (item,) = g.evidence("logs", "q")

    assert item.count == 2
    assert item.attributes["template"] == "worker shard <*> lost its lease after rebalance"


def test_baseline_lines_train_the_same_clusters_so_word_variation_is_not_novelty() -> None:
    g = PatternGrouper(WINDOW)
    for minute in range(-600, 0, 60):
        g.add_baseline(line(minute, "worker shard alpha lost its lease after rebalance"))
    g.add(line(5, "worker shard zulu lost its lease after rebalance"))

    key = g.key(line(5, "worker shard zulu lost its lease after rebalance"))

    assert g.novelty(key, g.patterns[key]) == ("steady", 10)


def test_lines_that_differ_in_an_error_code_are_never_merged() -> None:
    g = PatternGrouper(WINDOW)
    for minute in range(-600, 0, 60):
        g.add_baseline(line(minute, "payment for order failed with ERR_CARD_EXPIRED at gateway"))
    g.add(line(5, "payment for order failed with ERR_GATEWAY_TIMEOUT at gateway"))

    (item,) = g.evidence("logs", "q")

    assert item.novelty == "new"
    assert "ERR_GATEWAY_TIMEOUT" in item.attributes["template"]


def test_exception_class_names_are_anchors_too() -> None:
    g = PatternGrouper(WINDOW)
    g.add(line(1, "export job crashed with NullPointerException in serializer"))
    g.add(line(2, "export job crashed with TimeoutError in serializer"))

    assert len(g.evidence("logs", "q")) == 2


# --- runs of lines: add_run / add_baseline_run are `add` / `add_baseline` line by line ---------

WORDS = ["cache miss for user", "cache miss for tenant", "payment declined", "timeout calling"]


@st.composite
def log_lines(draw: st.DrawFn, matched_ok: bool) -> LogLine:
    words = draw(st.sampled_from(WORDS))
    number = draw(st.integers(0, 3))
    fields: dict[str, object] = {}
    if draw(st.booleans()):
        fields["account_id"] = f"acc_{draw(st.integers(0, 400))}"
    if draw(st.booleans()):
        fields["status"] = draw(st.sampled_from([500, 503, "x"]))
    matched = frozenset(draw(st.sampled_from([[], ["acc_7"]]))) if matched_ok else frozenset()
    return LogLine(
        t(draw(st.floats(-120, 59))),
        draw(st.sampled_from(["error", "warning"])),
        f"{words} {number} u_{number}" if number else words,
        draw(st.sampled_from(["api", "", "worker"])),
        fields,
        matched,
    )


def state(grouper: PatternGrouper) -> object:
    return (
        [(k, vars(p)) for k, p in grouper.patterns.items()],
        list(grouper.baseline.items()),
        list(grouper.baseline_matched.items()),
        grouper.baseline_start,
        grouper.last_seen,
        grouper.dropped,
        {k: [c.template for c in m.clusters] for k, m in grouper._miners.items()},
        [e.model_dump() for e in grouper.evidence("logs", "q")],
    )


@settings(max_examples=300, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.booleans(), st.lists(log_lines(matched_ok=True), max_size=30)), max_size=6
    ),
    cap=st.sampled_from([2, 5, 20_000]),
)
def test_runs_of_lines_leave_the_grouper_as_line_by_line(
    runs: list[tuple[bool, list[LogLine]]], cap: int
) -> None:
    one_by_one, in_runs = (PatternGrouper(WINDOW, max_templates=cap) for _ in range(2))
    for baseline, lines in runs:
        for each in lines:
            (one_by_one.add_baseline if baseline else one_by_one.add)(each)
        (in_runs.add_baseline_run if baseline else in_runs.add_run)(lines)
    assert state(in_runs) == state(one_by_one)


def test_a_run_with_more_accounts_than_kept_keeps_the_first_ones() -> None:
    lines = [line(i / 10, "payment declined", account_id=f"acc_{i}") for i in range(300)]
    one_by_one, in_runs = PatternGrouper(WINDOW), PatternGrouper(WINDOW)
    for each in lines:
        one_by_one.add(each)
    in_runs.add_run(lines)
    assert state(in_runs) == state(one_by_one)
    assert len(next(iter(in_runs.patterns.values())).accounts) == patterns.MAX_ACCOUNTS


def test_lines_of_one_pattern_share_one_seen_value() -> None:
    # Grouping counts lines by `seen`; equal values as one object keep that at identity checks.
    first = LogLine(datetime(2026, 11, 24, 9, tzinfo=UTC), "error", "export 17 failed", "api")
    second = LogLine(datetime(2026, 11, 24, 9, 5, tzinfo=UTC), "error", "export 942 failed", "api")
    other = LogLine(datetime(2026, 11, 24, 9, 5, tzinfo=UTC), "error", "export 942 failed", "web")
    assert first.seen == second.seen == ("api", "error", "export <num> failed")
    assert first.seen is second.seen
    assert other.seen != first.seen


def test_a_shared_line_gives_each_grouper_the_accounts_of_its_own_keys() -> None:
    # A batch's tickets group the same line objects; what a line names is kept on it per keys.
    shared = line(30, "charge failed for acc_2001", tenant="t_9", account_id="acc_7")
    by_tenant = PatternGrouper(WINDOW, account_keys=("tenant",))
    by_default = PatternGrouper(WINDOW)
    for grouper in (by_tenant, by_default, by_tenant):
        grouper.add_run([shared])
    (tenant,) = by_tenant.evidence("logs", "q", keep=lambda p, n: True)
    (default,) = by_default.evidence("logs", "q", keep=lambda p, n: True)
    assert tenant.accounts == ["t_9"]
    assert default.accounts == ["acc_7"]
