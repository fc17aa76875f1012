"""BM25 relevance between a ticket's text and records such as bug reports."""

from __future__ import annotations

from investigate.relevance import bm25, tokens

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
