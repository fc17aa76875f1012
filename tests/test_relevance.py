"""Text relevance between a ticket and records: tokenizer, Porter stemmer, BM25F Index, bm25()."""

from __future__ import annotations

from dataclasses import replace

import pytest

from investigate.sdk.relevance import (
    DEFAULT,
    MAX_TEXT,
    Index,
    Params,
    bm25,
    stem,
    strip_markup,
    terms,
    tokens,
)

BUGS = [
    "Dark mode for dashboards",
    "CSV export fails with ERR_EXPORT_SERIALIZE on large workspaces",
    "Export button misaligned on Safari",
    "SSO login loop after enabling Okta SAML",
    "Slow dashboard charts for accounts with many widgets",
]


def test_the_relevant_bug_ranks_first() -> None:
    query = "Our CSV export keeps failing with ERR_EXPORT_SERIALIZE since this morning"

    scores = bm25(query, BUGS)

    assert len(scores) == len(BUGS)
    best = max(range(len(BUGS)), key=scores.__getitem__)
    assert BUGS[best].startswith("CSV export fails")
    assert scores[best] > scores[2] > 0  # a shared "export" is weaker than the full match


def test_sso_ticket_finds_the_sso_bug() -> None:
    scores = bm25("Users stuck in a login loop with Okta SSO", BUGS)

    assert max(range(len(BUGS)), key=scores.__getitem__) == 3


def test_no_shared_term_scores_zero() -> None:
    scores = bm25("invoice refund request", BUGS)

    assert scores == [0.0] * len(BUGS)


def test_stop_words_alone_do_not_match() -> None:
    assert bm25("the and of with for on", BUGS) == [0.0] * len(BUGS)


def test_matching_is_case_insensitive() -> None:
    lower, upper = bm25("okta saml", BUGS), bm25("OKTA SAML", BUGS)

    assert lower == upper
    assert lower[3] > 0


def test_no_documents_gives_no_scores() -> None:
    assert bm25("anything", []) == []


def test_empty_documents_score_zero() -> None:
    assert bm25("export", ["", "export"])[0] == 0.0


def test_a_rarer_term_weighs_more_than_a_common_one() -> None:
    docs = ["export alpha", "export beta", "export gamma", "export serialize"]

    scores = bm25("export serialize", docs)

    assert scores[3] > scores[0] == scores[1] == scores[2] > 0


def test_error_codes_are_tokenised_whole_and_in_parts() -> None:
    assert tokens("ERR_EXPORT_SERIALIZE") == [
        "err_export_serialize",
        "err",
        "export",
        "serialize",
    ]


def test_an_error_code_part_matches_plain_words() -> None:
    scores = bm25("ERR_EXPORT_SERIALIZE", ["The serializer in export broke", "serialize export"])

    assert scores[1] > 0
    assert scores[0] > 0  # "export" alone


def test_the_exact_error_code_beats_its_parts() -> None:
    docs = ["export serialize problem", "ERR_EXPORT_SERIALIZE problem"]

    scores = bm25("ERR_EXPORT_SERIALIZE", docs)

    assert scores[1] > scores[0] > 0


def test_tokens_drop_stop_words_and_single_characters() -> None:
    assert tokens("The export of a CSV is x broken") == ["export", "csv", "broken"]


# --- tokenizer: markup, noise, identifiers, stemming ---


def test_jira_markup_is_stripped_but_its_text_kept() -> None:
    text = (
        "h2. Summary\n*Bold claim* from [~alice.smith] about {{DFSClient}}:\n"
        "{code:java}\nclient.close();\n{code}\n{noformat}timeout{noformat}\n"
        "see [the design doc|https://issues.example.org/secret/path] and {color:red}red{color}"
    )

    out = tokens(text)

    assert "alice" not in out and "smith" not in out  # mentions go
    assert "h2" not in out and "code" not in out and "noformat" not in out and "color" not in out
    assert "secret" not in out and "issues" not in out  # the link target goes...
    assert {
        "design",
        "doc",
        "summary",
        "bold",
        "claim",
        "dfsclient",
        "close",
        "timeout",
        "red",
    } <= set(out)


def test_markdown_links_keep_their_text_and_bare_urls_go() -> None:
    out = tokens(
        "Read [the runbook](https://wiki.example.com/ops) or http://example.com/tokenpath?x=1"
    )

    assert "runbook" in out
    assert not {"wiki", "ops", "tokenpath", "example", "http", "https"} & set(out)


def test_foreign_stack_frames_and_log_stamps_are_noise() -> None:
    trace = (
        "2021-09-08 13:35:29,528 ERROR Caused by: java.io.IOException: stream closed\n"
        "\tat java.lang.Thread.run(Thread.java:748)\n"
        "\tat sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)\n"
        "\tat org.apache.hadoop.hdfs.DFSInputStream.read(DFSInputStream.java:941)\n"
        "\t... 12 more"
    )

    out = tokens(trace)

    assert "thread" not in out and "nativemethodaccessorimpl" not in out and "sun" not in out
    assert "more" not in out and "2021" not in out and "528" not in out
    assert {"java.io.ioexception", "ioexception", "stream", "closed", "error"} <= set(out)
    assert {"dfsinputstream", "input", "read"} <= set(out)  # the project's own frame stays


def test_frames_squashed_onto_one_line_are_still_noise() -> None:
    out = tokens(
        "boom at java.lang.Thread.sleep(Native Method)  at java.util.Foo.bar(Foo.java:1) end"
    )

    assert out == ["boom", "end"]


def test_dotted_class_names_count_whole_and_in_parts() -> None:
    out = tokens("org.apache.hadoop.hdfs.DFSClient")

    assert out[0] == "org.apache.hadoop.hdfs.dfsclient"
    assert out[1:] == ["org", "apache", "hadoop", "hdfs", "dfsclient", "dfs", "client"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("getSubject", ["getsubject", "subject"]),  # "get" is a stop word
        ("S3AFileSystem", ["s3afilesystem", "s3a", "file", "system"]),
        (
            "ITestAbfsNetworkStatistics",
            ["itestabfsnetworkstatistics", "test", "abfs", "network", "statistics"],
        ),
        ("read_ahead_range", ["read_ahead_range", "read", "ahead", "range"]),
        ("jackson-databind", ["jackson-databind", "jackson", "databind"]),
        (
            "TestFoo#testBarBaz",
            ["testfoo#testbarbaz", "testfoo", "test", "foo", "testbarbaz", "bar", "baz"],
        ),
        ("CVE-2022-40149", ["cve-2022-40149", "cve"]),
    ],
)
def test_identifiers_split_on_case_and_separators(word: str, expected: list[str]) -> None:
    assert tokens(word) == expected


def test_versions_also_count_as_major_minor() -> None:
    assert tokens("netty 4.1.86") == ["netty", "4.1.86", "4.1"]
    assert "4.1" in tokens("Upgrade Netty to 4.1.45.Final")


def test_dates_and_times_are_not_terms_but_status_codes_are() -> None:
    assert tokens("on 2024-01-31 at 10:15:00.123 saw 503 after 4096 retries x 2 7") == [
        "saw",
        "503",
        "4096",
        "retries",
    ]


def test_sentence_punctuation_does_not_glue_words() -> None:
    assert tokens("It failed. Then (retrying) it failed, e.g. twice!") == [
        "failed",
        "retrying",
        "failed",
        "twice",
    ]


@pytest.mark.parametrize(
    ("word", "expected"),
    [  # reference outputs of Porter (1980)
        ("caresses", "caress"),
        ("ponies", "poni"),
        ("cats", "cat"),
        ("feed", "feed"),
        ("agreed", "agre"),
        ("plastered", "plaster"),
        ("motoring", "motor"),
        ("sing", "sing"),
        ("conflated", "conflat"),
        ("hopping", "hop"),
        ("falling", "fall"),
        ("filing", "file"),
        ("happy", "happi"),
        ("relational", "relat"),
        ("conditional", "condit"),
        ("generalization", "gener"),
        ("adjustment", "adjust"),
        ("adoption", "adopt"),
        ("effective", "effect"),
        ("controll", "control"),
        ("connections", "connect"),
        ("failing", "fail"),
        ("failures", "failur"),
        ("timeouts", "timeout"),
    ],
)
def test_porter_stemmer(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_terms_stem_words_but_not_identifiers() -> None:
    out = terms("Connections failing in ConnectionManager.closeConnections")

    assert {"connect", "fail", "connectionmanager.closeconnections", "connectionmanager"} <= set(
        out
    )
    assert "connections" not in out  # the plain word is stemmed...
    assert terms("connection") == terms("connections") == ["connect"]


def test_hostile_entity_values_are_just_text() -> None:
    text = "user's \"quote\" 100% ../../etc/passwd\n'; DROP TABLE users; -- \x00 %s {0}"

    out = terms(text)

    assert {"user", "quot", "passwd", "drop", "tabl"} <= set(out)  # "etc" is a stop word
    assert all(t.strip() == t and t for t in out)


def test_strip_markup_caps_huge_text() -> None:
    assert len(strip_markup("x" * (MAX_TEXT * 3))) <= MAX_TEXT + 1


# --- Index: BM25F over fields ---

DOCS = [
    {"title": "NPE in DFSClient after close", "body": "Reading a closed stream crashes."},
    {"title": "Slow listing of S3A buckets", "body": "DFSClient is not involved; listing is slow."},
    {"title": "Upgrade jackson-databind to 2.13.2", "body": "Fixes CVE-2020-36518."},
    {"title": "Docs typo", "body": ""},
]


def test_a_ticket_finds_the_known_bug_without_sharing_an_id() -> None:
    ticket = {
        "title": "Customer job dies with NullPointerException",
        "body": "org.apache.hadoop.hdfs.DFSClient blows up when the stream was already closed",
    }

    best = Index(DOCS).search(ticket, k=1)

    assert [i for i, _ in best] == [0]


def test_title_weight_decides_between_title_and_body_matches() -> None:
    docs = [
        {"title": "quota exceeded", "body": "other words here"},
        {"title": "other words here", "body": "quota exceeded"},
    ]
    title_heavy = Params(weights={"title": 5.0, "body": 1.0}, b={"title": 0.0, "body": 0.0})
    body_heavy = Params(weights={"title": 1.0, "body": 5.0}, b={"title": 0.0, "body": 0.0})

    assert Index(docs, title_heavy).search("quota exceeded")[0][0] == 0
    assert Index(docs, body_heavy).search("quota exceeded")[0][0] == 1


def test_query_field_weights_favour_the_ticket_title() -> None:
    docs = [{"title": "kerberos ticket renewal"}, {"title": "parquet footer corrupt"}]
    query = {"title": "kerberos renewal", "body": "parquet footer corrupt parquet"}
    title_first = replace(DEFAULT, query_weights={"title": 10.0, "body": 1.0})
    body_first = replace(DEFAULT, query_weights={"title": 0.1, "body": 1.0})

    assert Index(docs, title_first).search(query)[0][0] == 0
    assert Index(docs, body_first).search(query)[0][0] == 1


def test_field_match_adds_a_title_to_title_score() -> None:
    plain = Index(DOCS)
    matched = Index(DOCS, replace(DEFAULT, field_match={"title": 1.0}))
    query = {"title": "Slow listing", "body": ""}

    assert matched.scores(query)[1] > plain.scores(query)[1] > 0
    assert matched.scores(query)[3] == plain.scores(query)[3] == 0.0


def test_empty_query_and_empty_index() -> None:
    index = Index(DOCS)

    assert index.search("") == []
    assert index.search({"title": "", "body": "the and of"}) == []
    assert index.scores("") == [0.0] * len(DOCS)
    assert Index([]).search("anything") == []
    assert Index([]).scores("anything") == []


def test_search_excludes_limits_and_breaks_ties_by_position() -> None:
    docs = [
        {"title": "disk full"},
        {"title": "disk full"},
        {"title": "disk full"},
        {"title": "cpu"},
    ]
    index = Index(docs)

    assert [i for i, _ in index.search("disk", k=2)] == [0, 1]
    assert [i for i, _ in index.search("disk", exclude=[0])] == [1, 2]


def test_search_and_scores_agree_and_from_terms_matches() -> None:
    index = Index(DOCS)
    same = Index.from_terms([{f: terms(t) for f, t in d.items()} for d in DOCS])
    query = "DFSClient close stream"

    scores = index.scores(query)
    assert same.scores(query) == scores
    assert index.search(query, k=10) == sorted(
        ((i, s) for i, s in enumerate(scores) if s > 0), key=lambda x: (-x[1], x[0])
    )


def test_repeated_query_terms_saturate_with_k3() -> None:
    docs = [{"body": "alpha"}, {"body": "beta"}]
    query = "alpha beta beta beta beta beta beta"
    once = Index(docs, replace(DEFAULT, k3=0))
    counted = Index(docs, replace(DEFAULT, k3=100))

    assert once.scores(query)[0] == pytest.approx(once.scores(query)[1])
    assert counted.scores(query)[1] > 3 * counted.scores(query)[0]


def test_unicode_text_matches_itself_and_not_other_scripts() -> None:
    docs = [
        {"title": "Fehler beim Öffnen der Datei", "body": "Übergröße"},
        {"title": "数据库连接失败", "body": ""},
        {"title": "plain ascii", "body": "nothing"},
    ]
    index = Index(docs)

    assert index.search("öffnen DATEI")[0][0] == 0
    assert [i for i, _ in index.search("数据库连接失败")] == [1]
    assert index.search("ÜBERGRÖSSE")[0][0] == 0  # case-folded: ß == ss


def test_huge_documents_are_capped_and_still_fast() -> None:
    from busyclock import Stopwatch

    huge = {"title": "giant log", "body": "filler words " * 500_000 + "needle"}
    with Stopwatch() as watch:
        index = Index([huge, {"title": "needle in title", "body": ""}])

    assert watch.busy_free < 5.0, watch
    assert [i for i, _ in index.search("needle")] == [1]  # text past MAX_TEXT is not indexed
    assert index.search("filler")[0][0] == 0


def test_bm25_uses_the_improved_tokenizer() -> None:
    docs = ["Connection refused by DFSClient", "Disk full"]

    scores = bm25("connections refused in org.apache.hadoop.hdfs.DFSClient", docs)

    assert scores[0] > 0 and scores[1] == 0.0
