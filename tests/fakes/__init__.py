"""Loopback fakes of the Anthropic Messages API and the OpenAI chat-completions API that speak
the real wire formats, for testing the real `anthropic` SDK and plain `httpx2` clients.

Importing: `tests/` has no `__init__.py`, so pytest (the default `prepend` import mode) puts
`tests/` on `sys.path` when it loads `tests/conftest.py`; every test module under `tests/`
(including `tests/connectors/`) can therefore `import fakes`. To use the fixtures, import them
into the test module (pytest finds fixtures among the module's globals):

    from fakes import FakeAnthropic, anthropic_api  # classes and reply builders
    from fakes import fake_anthropic_fixture, fake_openai_fixture  # noqa: F401

    async def test_something(fake_anthropic: FakeAnthropic) -> None:
        fake_anthropic.reply_tool("report_analysis", {...})

The fixtures are *named* `fake_anthropic` and `fake_openai` (`@pytest.fixture(name=...)`), so the
`*_fixture` import registers them under those names without ruff's F811 ("redefinition of unused
name") firing on every test argument. `from fakes import fake_anthropic  # noqa: F401` works at
runtime too, but then ruff reports F811 at each test that takes `fake_anthropic` as an argument,
and a `noqa` on the import line does not silence it.

Each fixture yields a started server, and at teardown stops it and calls `fake.check()`, which
fails the test if a request found no scripted reply (`fake.overruns`) or the fake itself raised
(`fake.errors`) — so an unexpected extra call fails even when the code under test swallows the
500 it got. A test that means to overrun clears `fake.overruns` before it ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import anthropic_api, openai_api
from .anthropic_api import FakeAnthropic, Recorded, Reply
from .openai_api import FakeOpenAI

__all__ = [
    "FakeAnthropic",
    "FakeOpenAI",
    "Recorded",
    "Reply",
    "anthropic_api",
    "fake_anthropic",
    "fake_anthropic_fixture",
    "fake_openai",
    "fake_openai_fixture",
    "openai_api",
]


@pytest.fixture(name="fake_anthropic")
def fake_anthropic_fixture() -> Iterator[FakeAnthropic]:
    """A started FakeAnthropic (any key accepted; set `.expected_key` to require one)."""
    with FakeAnthropic() as fake:
        yield fake
        fake.check()


@pytest.fixture(name="fake_openai")
def fake_openai_fixture() -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI (no key required; set `.expected_key` to require one)."""
    with FakeOpenAI() as fake:
        yield fake
        fake.check()


# The names the fixtures are registered under, for `from fakes import fake_anthropic` (see above).
fake_anthropic = fake_anthropic_fixture
fake_openai = fake_openai_fixture
