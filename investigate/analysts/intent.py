"""What the ticket asks for: a question, a how-to, a feature request or vote, or a report of
something broken — in English, Spanish, German or French, in any phrasing.

These are weak priors only: they decide between `user_error` / `feature_request` and a fault
category when the evidence shows no problem, never against the evidence. A customer blaming
the wrong thing ("your deploy broke it") does not steer the category: the ticket's wording is
read for its intent, not for its diagnosis.

The reading is grammatical, not a list of sentences. The language is told first from its
function words (`language`; no library: four languages, a few dozen words each, deterministic
and free to import), then that language's cues are read, with English's (support tickets mix in
English terms). Measured against a library made for the job on the held-out phrasings
(`tests/fixtures/intent/heldout.yaml`): py3langid 0.4 restricted to these four languages tells
192 of 192, this 190 of 192, but py3langid costs ~0.7 s of CPU per process to import and load
its model and brings numpy (+35 MB), more than the whole offline investigation of a ticket:

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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "es", "de", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "de", "fr")


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.I)


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
    question: re.Pattern[str]
    howto: re.Pattern[str]
    wish: re.Pattern[str]
    """Conditional mood, polite imperative, obligation or future question aimed at the product."""
    knowing: re.Pattern[str]
    """A wish to know or be told something (`I'd like to know how`): a question, not a request."""
    problem: re.Pattern[str]


_START = r"(?:^|[.!?¿¡:;\n]\s*)"
_COMMON_FEATURE = _rx(
    r"(?:^|\s)\+1\b",
    r"\bfeature(?:[- ]request| idea|wunsch)?\b|\benhancement\b|\broadmap\b",
    r"\b(?:suggestion|sugerencia|vorschlag|idea|idee|idée)\s*:",
)

_CUES: dict[Language, _Cues] = {
    "en": _Cues(
        question=_rx(
            _START + r"(?:can|could|is|are|was|were|do|does|did|how|where|what|why|when|which|"
            r"who|will|would|should|may|has|have|any)\b",
            r"\b(?:wonder(?:ing)?|ask(?:ing)?|know|tell me|curious|unsure|not sure) (?:if|whether)\b",
            r"\bquick question\b",
        ),
        howto=_rx(
            r"\bhow(?! come\b)(?: \w+){0,2}? (?:do|can|could|would|should|to|does|is|are|i|we)\b",
            r"\bwhere (?:do|can|could|should|is|are|does|would)\b",
            r"\b(?:a|any|the|some|best|right|easy) (?:way|option|setting|means|procedure) "
            r"(?:to|for|of)\b",
            r"\b(?:steps|instructions|guide|walkthrough|procedure|process) (?:to|for|on)\b",
            r"\bwalk (?:me|us) through\b|\bshow (?:me|us) how\b|\b(?:figure|find) out (?:how|where)\b",
            r"\bhelp (?:with |me |us )?(?:\w+ing|figuring|setting|to)\b",
            r"\bwhat (?:are|is) the (?:steps|way|procedure|process)\b",
            r"\b(?:know|tell (?:me|us)|explain|understand|learn|show (?:me|us)) (?:how|where)\b",
        ),
        wish=_rx(
            r"\b(?:would|'d|could) (?:\w+ )?(?:be|love|like|save|help|pay|appreciate|make|want)\b",
            r"\b(?:it|that|this)(?:'d| would) \w+",
            r"\bplease (?:\w+ )?(?:make|let|allow|add|support|build|consider|include|enable|offer|"
            r"provide|integrate|implement)\b",
            r"\b(?:you|they|it) (?:should|ought to) (?:add|support|offer|include|let|allow|have|"
            r"integrate|build|make)\b",
            r"\b(?:will|would|could) (?:there|you|it)(?: \w+)? ever\b|\bwill there be\b",
            r"\b(?:something|anything) you(?:'d| would| might| could)? (?:consider|build|add)\b",
            r"\b(?:thought|think(?:ing)?|considered|considering) (?:about |of )?(?:adding|"
            r"supporting|building|offering|integrating|including)\b",
            r"\bopen to (?:adding|supporting|building|offering|including)\b",
            r"\b(?:be|get) (?:added|supported|built|included|integrated)\b",
            r"\b(?:any|are there|do you have) plans?\b|\b(?:planning|going|intending) to "
            r"(?:add|support|build|offer|release|introduce|integrate)\b|\bany chance\b",
            r"\b(?:do(?:es)?|will) (?:you|it|the \w+) support\b|\bsupport for\b",
            r"\b(?:we|i) (?:need|want|miss|are missing|(?:would|'d) like) (?:the ability|a way|an "
            r"option|a feature|the option|support)\b|\bwish\b|\bvote\b|\bupvote\b|"
            r"\bi second\b|\bcount me in\b",
        ),
        knowing=_rx(r"\b(?:know|tell|explain|show|understand|learn|ask)\b"),
        problem=_rx(
            r"\b(?:won't|wont|doesn't|don't|didn't|isn't|aren't|can't|cannot|couldn't|not|no "
            r"longer|never)\b(?: \w+){0,2}? (?:work|load|open|show|sync|send|arriv|sav|upload|"
            r"print|add up|match|appear|connect|start|respond|updat|log)\w*",
            r"\bnothing happens\b|\bstopped\b|\bvanished\b|\bdisappeared\b|\bkeeps? \w+ing\b",
            r"\bbroken\b|\bfail(?:s|ed|ing|ure)?\b|\berrors?\b|\bcrash\w*|\bdown\b|\boutage\b",
            r"\bunable to\b|\bstuck\b|\bmissing\b|\bslow\b|\btimes? out\b|\bblank\b|\bskips?\b",
            r"\b(?:late|delayed|wrong|incorrect|duplicated?|lost|rejected|denied|bounc\w*|empty)\b",
            r"\b(?:charged|billed) (?:us |me )?twice\b|\bpending\b.{0,40}\bno (?:reply|answer)\b",
            r"\bsince (?:the|this|yesterday|last|monday|tuesday|wednesday|thursday|friday|"
            r"saturday|sunday|\d)",
        ),
    ),
    "es": _Cues(
        question=_rx(
            r"[¿?]",
            _START + r"(?:qu[eé]|c[oó]mo|d[oó]nde|cu[aá]ndo|cu[aá]nto|cu[aá]l|por qu[eé]|"
            r"puedo|podemos|pueden|hay|es|est[aá]|se puede)\b",
            r"\b(?:pregunt\w+|saber|s[eé]|sab[eé]is|saben) si\b",
        ),
        howto=_rx(
            r"\bc[oó]mo\b",
            r"\bd[oó]nde\b|\ben qu[eé] (?:parte|sitio|lugar|men[uú]|pantalla)\b",
            r"\bde qu[eé] (?:manera|forma|modo)\b|\b(?:manera|forma|modo) de\b",
            r"\bqu[eé] pasos\b|\bpasos (?:para|a seguir)\b|\binstrucciones\b|\bgu[ií]a (?:para|de)\b",
            r"\bayuda (?:para|con)\b|\bse puede\b|\bes posible\b|\bhay (?:alguna )?(?:forma|manera)\b",
        ),
        wish=_rx(
            # the conditional mood (sería, ahorraría, podría; not nouns: batería, categoría)
            r"\b\w+(?<![tlcdqr]er)(?<=ar|er|ir|dr|br|rr)(?:[ií]a|[ií]as|[ií]amos|[ií]ais|[ií]an)\b",
            r"\b(?:me|nos) gustar[ií]a\b|\bojal[aá]\b",
            r"\bpor favor,? (?:\w+ )?(?:permit|a[nñ]ad|agreg|incluy|incorpor|habilit|integr)\w*",
            r"\b(?:permitan|permitid|a[nñ]adan|a[nñ]adid|incluyan|incluid|agreguen)\b",
            r"\bdeber[ií]an\b|\bhabr[aá]\b|\bhab[eé]is pensado\b|\bhan pensado\b",
            r"\b(?:van|vais|piensan|pens[aá]is|planean|tienen previsto) (?:a )?(?:a[nñ]adir|"
            r"agregar|incluir|integrar|soportar|ofrecer)\b|\bplanes? (?:de|para)\b|\bhoja de ruta\b",
            r"\bvoto\b|\bapoyo la (?:petici[oó]n|solicitud|propuesta)\b|\bsoportan\b",
        ),
        knowing=_rx(r"\b(?:saber|explicar|decir|entender|ayudar|preguntar|conocer)\b"),
        problem=_rx(
            r"\bno (?:\w+ )?(?:funciona|carga|cargan|abre|llega|llegan|puedo|podemos|pasa nada|"
            r"cuadra|cuadran|aparece|aparecen|sale|salen|guarda|env[ií]a|responde|conecta)\w*",
            r"\bdej(?:[oó]|aron|a) de\b|\bdesaparec\w+|\bperd\w+|\bse salta\b|\bcaído\b|\bca[ií]do\b",
            r"\bfall[aóo]\w*|\berror(?:es)?\b|\blento\b|\ben blanco\b|\bbloquead\w+|\batascad\w+",
            r"\bdos veces\b|\bsin respuesta\b|\bdesde (?:la|el|esta|este|ayer|hace|el)\b",
        ),
    ),
    "de": _Cues(
        question=_rx(
            r"\?",
            _START + r"(?:wie|wo|was|warum|wann|welche\w*|wer|wieso|weshalb|ist|sind|kann|"
            r"k[öo]nnt?|k[öo]nnen|gibt|habt|hat|wird|werden|d[üu]rfen|darf|l[äa]sst|funktioniert|"
            r"deckt|bewahrt|wisst|wei[ßs]t|geht)\b",
            r"\b(?:frage\w*|fragen|wissen|wisst ihr|wei[ßs] (?:jemand|ich nicht)),? ob\b",
        ),
        howto=_rx(
            r"\bwie\b",
            r"\bwo\b|\bauf welche (?:weise|art)\b|\bwas muss (?:ich|man) tun\b",
            r"\banleitung\b|\bschritte\b|\bhilfe (?:beim|bei|mit|zum|zur)\b",
            r"\bl[äa]sst sich\b|\bkann man\b|\bist es m[öo]glich\b|\bgibt es eine m[öo]glichkeit\b",
            r"\bich finde\b.{0,60}\bnicht\b",
        ),
        wish=_rx(
            r"\b(?:w[äa]re|w[äa]ren|w[üu]rde|w[üu]rden|h[äa]tte|h[äa]tten|k[öo]nnte|k[öo]nnten)\b",
            r"\bbitte (?:\w+ )?(?:erm[öo]glich|f[üu]gt|baut|integriert|unterst[üu]tzt|bietet|"
            r"nehmt)\w*",
            r"\b(?:ihr|sie) solltet?\b|\bsollten (?:sie|ihr)\b",
            r"\bwird es\b.{0,60}\bgeben\b|\bhabt ihr (?:schon )?(?:mal )?(?:[üu]berlegt|"
            r"nachgedacht)\b|\bgeplant\b|\bplan(?:t|en) (?:ihr|sie)\b",
            r"\bw[üu]nsch\w*|\bstimme f[üu]r\b|\bmeine stimme\b|\bschlie[ßs]e mich\b",
            r"\b(?:einbauen|hinzuf[üu]gen|erg[äa]nzen|anbieten|integrieren|umsetzen)\b.{0,20}\?",
            r"\bunterst[üu]tz(?:t|en) (?:ihr|sie)\b",
        ),
        knowing=_rx(r"\b(?:wissen|erkl[äa]ren|sagen|zeigen|verstehen|fragen|erfahren)\b"),
        problem=_rx(
            r"\bnicht\b|\bnichts\b|\bkeine?n?\b.{0,40}\bmehr\b|\bgar nichts\b",
            r"\bverschwunden\b|\bausgefallen\b|\bweg\b|\bfehl(?:t|en|er\w*)\b|\bkaputt\b",
            r"\bst[äa]ndig\b|\bdoppelt\b|\bh[äa]ngt\b|\bleer(?:e|en)?\b|\blangsam\b|\b[üu]berspring\w*",
            r"\bschl[äa]gt\b[^.?!\n]{0,40}\bfehl\b",
            r"\bseit (?:dem|der|heute|gestern|montag|dienstag|mittwoch|donnerstag|freitag|"
            r"samstag|sonntag|\d)",
        ),
    ),
    "fr": _Cues(
        question=_rx(
            r"\?",
            _START + r"(?:comment|o[uù]|quand|pourquoi|quel\w*|que|qui|combien|est-ce|"
            r"peut-on|puis-je|y a-t-il)\b",
            r"\b\w+-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles)\b",  # inversion: couvre-t-elle
            r"\b(?:demand\w+|savoir|sais|savez-vous|sauriez-vous) si\b",
        ),
        howto=_rx(
            r"\bcomment\b",
            r"\bo[uù]\b|\b[àa] quel (?:endroit|menu|[ée]cran)\b",
            r"\bde quelle (?:fa[çc]on|mani[èe]re)\b|\b(?:moyen|fa[çc]on|mani[èe]re) de\b",
            r"\b(?:quelles sont les )?[ée]tapes\b|\bmarche [àa] suivre\b|\bproc[ée]dure\b",
            r"\baide pour\b|\bpeut-on\b|\best-ce qu'on peut\b|\best-il possible\b",
        ),
        wish=_rx(
            # the conditional mood (serait, paierions; not frais, extrait, portrait)
            r"\b\w{2,}(?<!t)(?:rais|rait|rions|riez|raient)\b",
            r"\bmerci de (?:permettre|pouvoir|ajouter|pr[ée]voir|int[ée]grer)\b",
            r"\bvous devr(?:iez|ez)\b|\by aura-t-il\b|\bavez-vous (?:pens[ée]|envisag[ée])\b",
            r"\b(?:comptez|pr[ée]voyez|envisagez)-vous\b|\bfeuille de route\b|\bpr[ée]vu\b",
            r"\b(?:comptez|pr[ée]voyez|envisagez|allez|pensez)(?:-vous)? (?:d'|de )?(?:ajouter|"
            r"int[ée]grer|proposer|prendre en charge|supporter|offrir)\b",
            r"\bvote\b|\bsoutiens la demande\b|\bdemande de fonctionnalit[ée]\b",
            r"\benvisager\b|\bsupportez-vous\b|\bprenez-vous en charge\b",
        ),
        knowing=_rx(r"\b(?:savoir|expliquer|dire|comprendre|aider|demander|conna[îi]tre)\b"),
        problem=_rx(
            r"\bne\b.{0,40}\b(?:pas|plus|rien|jamais)\b|\bn'\w+ (?:pas|plus|rien)\b",
            r"\bdisparu\w*|\ben panne\b|\bperdu\w*|\bsaute\b|\bbloqu[ée]\w*|\bplant[ée]\w*",
            r"\berreur\w*|\b[ée]chou\w*|\bimpossible de\b|\blent\w*|\bpage blanche\b|\bfaux\b",
            r"\bdeux fois\b|\bsans arr[êe]t\b|\bsans r[ée]ponse\b|\bdepuis (?:la|le|ce|cette|"
            r"hier|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|\d)",
        ),
    ),
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
    sets = [_CUES[lang]] if lang == "en" else [_CUES[lang], _CUES["en"]]
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
