"""What the ticket asks for: a question, a how-to, a feature request or vote, or a report of
something broken — in English, Spanish, German or French, in any of the usual phrasings.

These are weak priors only: they decide between `user_error` / `feature_request` and a fault
category when the evidence shows no problem, never against the evidence. A customer blaming
the wrong thing ("your deploy broke it") does not steer the category: the ticket's wording is
read for its intent, not for its diagnosis.

No language detection: the phrasings of the four languages are recognised together (they do not
collide), which is cheaper and as accurate as detecting the language first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.I)


QUESTION = _rx(
    r"\?",
    r"¿",
    r"^\s*(?:can|could|is|are|do|does|how|where|what|why|when|which|will|would|should)\b",
    r"\b(?:wondering|i'd like to know|is it possible|is there a way)\b",
    r"\b(?:c[oó]mo|d[oó]nde|es posible|hay (?:alguna )?(?:forma|manera))\b",
    r"\b(?:wie kann|wie k[öo]nnen|gibt es|ist es m[öo]glich|l[äa]sst sich|kann man)\b",
    r"\b(?:comment|est-ce que|peut-on|puis-je|y a-t-il|est-il possible)\b",
)
HOWTO = _rx(
    r"\bhow (?:do|can|would|should|to)\b",
    r"\bis (?:it|there) (?:possible|a way)\b",
    r"\bwhere (?:do|can|is|are)\b",
    r"\bwhat(?:'s| is) the (?:best |right )?way\b",
    r"\b(?:can|could) (?:i|we)\b[^.?!\n]*\?",
    r"\bsteps to\b|\binstructions (?:for|to)\b",
    r"\bhow(?! come)\b[^.?!\n]*\?",  # any how-question ("can you check how we split…?")
    r"\bc[oó]mo\b[^.?!\n]*\?|\bcomment\b[^.?!\n]*\?|\bwie\b[^.?!\n]*\?",
    r"\bc[oó]mo (?:puedo|podemos|se|hago|hacer)\b|\bhay (?:alguna )?(?:forma|manera)\b|\bes posible\b",
    r"\bwie (?:kann|k[öo]nnen|l[äa]sst|mache|geht)\b|\bgibt es eine m[öo]glichkeit\b|\bist es m[öo]glich\b",
    r"\bcomment (?:faire|puis-je|peut-on|pouvons-nous|on)\b|\by a-t-il un moyen\b|\best-il possible\b",
    # where to find or set something, a way or procedure, "I need to know how"
    r"\bis there (?:any|an|some) (?:way|option|setting)\b|\bwhat(?:'s| is) the (?:procedure|process)\b",
    r"\bd[oó]nde (?:se|puedo|podemos|est[aá]n?|encuentro|veo)\b|\bsaber c[oó]mo\b",
    r"\bwo (?:finde|finden|kann|k[öo]nnen|stelle|sehe)\b|\bwissen,? wie\b",
    r"\bo[uù] (?:puis-je|peut-on|trouver|se trouve|trouve-t-on)\b|\bsavoir comment\b",
)
FEATURE = _rx(
    r"\bfeature request\b|\bfeature idea\b|\benhancement request\b",
    r"\bwould (?:be|love) (?:great|nice|helpful|useful|awesome|to see|to have)\b",
    r"\b(?:please|could you|can you|would you) (?:add|build|support|implement|consider)\b",
    r"\bany plans? (?:to|for)\b|\b(?:on|in) (?:your|the) roadmap\b|\broadmap\b",
    r"\bdo(?:es)? (?:you|it|the \w+) support\b|\bsupport for\b",
    r"\b(?:consider|count) this (?:as )?a vote\b|\bupvote\b|\b\+1\b|\bvote for\b",
    r"\bwish (?:list|we could|you had|there was)\b|\bwe(?:'d| would) like to be able\b",
    r"\bser[ií]a (?:genial|[uú]til|estupendo|bueno)\b|\bpodr[ií]an (?:a[nñ]adir|agregar|incluir)\b",
    r"\bhoja de ruta\b|\bsoportan\b|\bcuenten? (?:esto )?como (?:un )?voto\b|\bplanes? (?:de|para)\b",
    r"\bw[äa]re (?:toll|sch[öo]n|hilfreich|super|praktisch)\b|\bk[öo]nnt(?:et|en)? (?:ihr|sie) .{0,40}hinzuf[üu]gen\b",
    r"\bfunktionswunsch\b|\bfeature-wunsch\b|\bunterst[üu]tz(?:t|en) (?:ihr|sie)\b|\bgeplant\b",
    r"\bserait (?:g[ée]nial|utile|bien|pratique|super)\b|\bpourriez-vous ajouter\b",
    r"\bfeuille de route\b|\bdemande de fonctionnalit[ée]\b|\bprenez-vous en charge\b|\bsupportez-vous\b",
    r"\best-ce pr[ée]vu\b|\bpr[ée]vu (?:de|pour)\b",
    # a wish ("it'd be handy", "I'd like to be able"), a plan ("are you planning to add"), a
    # need for a capability ("we need the ability to"), in each language
    r"\b(?:it|that)?(?:'d| would) be (?:really |very |so |super |extremely )?(?:great|nice|handy|"
    r"helpful|useful|awesome|cool|amazing)\b",
    r"\b(?:are|is) (?:you|the team) (?:planning|going|intending|thinking of) to (?:add|support|"
    r"build|offer|release|introduce|integrate)\b|\bany chance (?:you(?:'ll| will)|of) (?:add|support|"
    r"build|offer|get)\w*",
    r"\b(?:we|i) (?:need|want|would like|'d like|are missing|miss) (?:the ability|a way|an option|"
    r"a feature|the option) to\b",
    r"\b(?:me|nos) gustar[ií]a (?:que|poder|tener)\b|\b(?:van|vais|piensan|planean|tienen previsto) "
    r"(?:a )?(?:a[nñ]adir|agregar|incluir|integrar|soportar|ofrecer)\b",
    r"\bk[öo]nnt(?:et|en)? (?:ihr|sie) .{0,40}(?:einbauen|erg[äa]nzen|anbieten|integrieren|"
    r"unterst[üu]tzen)\b|\b(?:ich|wir) w[üu]nsche?n? (?:mir|uns)\b|\bplan(?:t|en) (?:ihr|sie)\b",
    r"\b(?:j'aimerais|nous aimerions|on aimerait|je voudrais|nous voudrions) (?:pouvoir|que|avoir)\b",
    r"\b(?:comptez|pr[ée]voyez|envisagez)-vous\b|\bvous (?:comptez|pr[ée]voyez|envisagez) "
    r"(?:d'|de )?(?:ajouter|int[ée]grer|proposer)\b",
)
PROBLEM = _rx(
    r"\b(?:not|n't|no longer|stopped) (?:work|load|sync|send|arriv|show|open|sav|upload)\w*",
    r"\bbroken\b|\bfail(?:s|ed|ing|ure)?\b|\berrors?\b|\bcrash\w*|\bdown\b|\boutage\b",
    r"\b(?:can't|cannot|unable to|couldn't)\b|\bstuck\b|\bmissing\b|\bslow\b|\btimes? out\b",
    r"\b(?:late|delayed|wrong|incorrect|duplicated?|lost|rejected|denied|bounc\w*|empty|blank)\b",
    r"\bno funciona\b|\bfall[aóo]\w*|\berror(?:es)?\b|\bno (?:puedo|podemos|carga|llega)\b|\blento\b",
    r"\bfunktioniert nicht\b|\bfehler\w*|\bgeht nicht\b|\bkaputt\b|\blangsam\b",
    r"\bschl[äa]gt\b[^.?!\n]{0,40}\bfehl\b",  # a separable verb: "schlägt seit gestern fehl"
    r"\bne (?:fonctionne|marche) (?:pas|plus)\b|\berreur\w*|\b[ée]chou\w*|\bimpossible de\b|\blent\b",
)


@dataclass(frozen=True)
class Intent:
    question: bool = False
    howto: bool = False
    feature: bool = False
    problem: bool = False

    @property
    def asks(self) -> bool:
        """A question or a how-to (answered by explaining, not by fixing)."""
        return self.question or self.howto


def read(text: str, extra_feature: Iterable[str] = (), extra_howto: Iterable[str] = ()) -> Intent:
    """The intent of a ticket's subject and description; `extra_*` are configured phrases."""
    low = text.lower()
    sentences = [s for s in re.split(r"(?<=[.!?\n])\s+", text) if s.strip()]
    question = any(QUESTION.search(s) for s in sentences)
    howto = bool(HOWTO.search(text)) or any(p.lower() in low for p in extra_howto if p)
    feature = bool(FEATURE.search(text)) or any(p.lower() in low for p in extra_feature if p)
    return Intent(
        question=question, howto=howto, feature=feature, problem=bool(PROBLEM.search(text))
    )
