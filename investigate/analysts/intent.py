"""What the ticket asks for: a question, a how-to, a feature request or vote, or a report of
something broken — in English, Spanish, German or French, in any phrasing.

These are weak priors only: they decide between `user_error` / `feature_request` and a fault
category when the evidence shows no problem, never against the evidence. A customer blaming
the wrong thing ("your deploy broke it") does not steer the category: the ticket's wording is
read for its intent, not for its diagnosis.

The reading is grammatical, not a list of sentences. The language is told first from its
function words (`language`; no library: four languages, a few dozen words each, deterministic
and free to import), then that language's cues (`intent.toml`) are read, with English's (support
tickets mix in English terms). Measured against a library made for the job on the held-out
phrasings (`tests/fixtures/intent/heldout.yaml`): py3langid 0.4 restricted to these four
languages tells 192 of 192, this 190 of 192, but py3langid costs ~0.7 s of CPU per process to
import and load its model and brings numpy (+35 MB), more than the whole offline investigation
of a ticket:

- a question: a question mark, an interrogative word or an inverted verb at the start of a
  sentence (`is it…`, `funktioniert…`, `couvre-t-elle…`), or an indirect question (a verb of
  asking or wondering + `if`/`si`/`ob`);
- a how-to: a question of manner or place (`how`, `where`, `cómo`, `wo`, `à quel endroit`), a
  way/steps/instructions noun, a need for help with doing something, or an impersonal ability
  question (`is there a way`, `se puede`, `lässt sich`, `peut-on`);
- a feature request or vote: a wish in the conditional mood (`it would`, `sería`/`ahorraría`,
  `wäre`/`würde`, `serait`/`paierions`) that is not about knowing or being told something, a
  polite imperative or obligation aimed at the product (`please let us`, `permitan`, `ihr
  solltet`, `vous devriez`), a question about the product's future (`will there be`, `habrá`,
  `wird es … geben`, `y aura-t-il`), a plan or roadmap, a vote or a label (`+1`, `suggestion:`);
- a problem: a negated verb (`won't load`, `no carga`, `öffnet sich nicht`, `ne s'ouvre pas`), a
  verb of disappearing, stopping or failing, or an onset (`since the update`, `desde`, `seit`,
  `depuis`). A wish with a problem in the same sentence is a problem ("we need the export fixed,
  it fails every night"), not a request.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

from investigate.lazyre import LazyPattern, lazy

Language = Literal["en", "es", "de", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "de", "fr")


def _rx(*parts: str) -> LazyPattern[str]:
    """One pattern of the alternatives, compiled when first used."""
    return lazy("|".join(parts), re.I)


# ----------------------------------------------------------------------------- language

_FUNCTION_WORDS: dict[Language, frozenset[str]] = {
    "en": frozenset(
        "the a an and or is are was were be been it this that to of in on for with my our "
        "your you we i do does did not can could would should will have has how what why "
        "where when which there if since".split()
    ),
    "es": frozenset(
        "el la los las un una unos unas y o es son está están ser de del en con por para mi "
        "mis nuestro nuestra su sus que qué se no lo le les nos cómo como dónde cuando desde "
        "pero muy hay al esta este".split()
    ),
    "de": frozenset(
        "der die das den dem des ein eine einen einem und oder ist sind war nicht kein keine "
        "mit von zu im in auf für bei seit wie wo was warum ich wir ihr sie es mein unser "
        "euer man sich auch noch nur bitte ob wenn".split()
    ),
    "fr": frozenset(
        "le la les un une des et ou est sont être de du en au aux avec pour par mon ma mes "
        "notre nos votre vos vous nous je il elle on ne pas plus que qui quoi comment où "
        "pourquoi depuis ce cette se sur dans".split()
    ),
}
_LETTERS: dict[Language, re.Pattern[str]] = {
    "en": re.compile(r"(?!)"),
    "es": re.compile(r"[ñ¿¡áíóú]"),
    "de": re.compile(r"[äöüß]"),
    "fr": re.compile(r"[çèêëàâîïôûœ]|\b[ldjnqs]'", re.I),
}


def language(text: str) -> Language:
    """The ticket's language by its function words and its letters (English when unsure)."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    scores: dict[Language, float] = {
        lang: sum(1 for w in words if w in _FUNCTION_WORDS[lang])
        + 1.5 * len(_LETTERS[lang].findall(text))
        for lang in LANGUAGES
    }
    best = max(LANGUAGES, key=lambda lang: scores[lang])
    return best if scores[best] > scores["en"] else "en"


# ----------------------------------------------------------------------------- cues


@dataclass(frozen=True)
class _Cues:
    question: LazyPattern[str]
    howto: LazyPattern[str]
    wish: LazyPattern[str]
    """Conditional mood, polite imperative, obligation or future question aimed at the product."""
    knowing: LazyPattern[str]
    """A wish to know or be told something (`I'd like to know how`): a question, not a request."""
    problem: LazyPattern[str]


_START = r"(?:^|[.!?¿¡:;\n]\s*)"
_COMMON_FEATURE = _rx(
    r"(?:^|\s)\+1\b",
    r"\bfeature(?:[- ]request| idea|wunsch)?\b|\benhancement\b|\broadmap\b",
    r"\b(?:suggestion|sugerencia|vorschlag|idea|idee|idée)\s*:",
)


@cache
def _cues() -> dict[Language, _Cues]:
    """Each language's cues, from `intent.toml` (read once, on first use; each pattern is
    compiled when first used: a ticket reads its language's cues and English's)."""
    tables = tomllib.loads(
        (files("investigate.analysts") / "intent.toml").read_text(encoding="utf-8")
    )
    return {
        lang: _Cues(
            **{
                name: _rx(*(part.replace("{start}", _START) for part in parts))
                for name, parts in tables[lang].items()
            }
        )
        for lang in LANGUAGES
    }


@dataclass(frozen=True)
class Intent:
    question: bool = False
    howto: bool = False
    feature: bool = False
    problem: bool = False
    language: Language = "en"

    @property
    def asks(self) -> bool:
        """A question or a how-to (answered by explaining, not by fixing)."""
        return self.question or self.howto


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?\n])\s+", text) if s.strip()]


def _wishes(cues: _Cues, sentence: str) -> bool:
    """A wish aimed at the product: a wish cue not about knowing something and with no problem
    in the same sentence."""
    for m in cues.wish.finditer(sentence):
        after = sentence[m.start() : m.end() + 30]
        if not cues.knowing.search(after):
            return not cues.problem.search(sentence)
    return False


def read(text: str, extra_feature: Iterable[str] = (), extra_howto: Iterable[str] = ()) -> Intent:
    """The intent of a ticket's subject and description; `extra_*` are configured phrases."""
    low = text.lower()
    lang = language(text)
    cues = _cues()
    sets = [cues[lang]] if lang == "en" else [cues[lang], cues["en"]]
    sentences = _sentences(text)
    question = any(c.question.search(s) for c in sets for s in sentences)
    howto = any(c.howto.search(s) for c in sets for s in sentences)
    howto = howto or any(p.lower() in low for p in extra_howto if p)
    feature = bool(_COMMON_FEATURE.search(text)) or any(
        _wishes(c, s) for c in sets for s in sentences
    )
    feature = feature or any(p.lower() in low for p in extra_feature if p)
    problem = any(c.problem.search(text) for c in sets)
    return Intent(question=question, howto=howto, feature=feature, problem=problem, language=lang)
