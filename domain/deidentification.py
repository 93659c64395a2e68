"""Does a summary still identify someone? The check before a summary may be published
in the reg 56 register (pure rules, no I/O).

A summary is refused when it repeats the contribution word for word, or carries an
e-mail address, a phone number (UK forms: 07..., 01/02/03/08..., +44 or 0044, with
or without spaces, hyphens or brackets; and any number written with a leading + and 8
to 15 digits), a UK postcode, the contributor's full name, or any one part of it.

Name parts are matched as whole words, ignoring case. A part that is also an ordinary
word ("Hall", "Will", "May", "Young") is refused too, and the refusal names the word:
a false refusal costs a rephrase ("the sports venue"), a false acceptance publishes a
family's name in a statutory register. Left out, since alone they identify no one
and would make every summary impossible: initials (one letter), titles ("Mrs", "Dr"),
name particles ("van", "de", "al") and a few short English words that are also names
in some languages ("An", "Do", "Le", "So"); the full name is still refused. Words in
brackets after a name ("Sam (Year 9)") describe the contributor and are not part of
the name. An organisation's name identifies no individual: only the full name is
refused, not its words ("Autism Support").
"""

from __future__ import annotations

import re

# Starting only where a local part can start keeps the search linear in the summary.
_EMAIL = re.compile(r"(?<![\w.%+'-])[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")

# A run of digits, possibly with a leading +, broken by single spaces, hyphens or
# brackets: the candidates a phone number is looked for in. (Not dots: "01.09.2026".)
_NUMBER_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d()]*(?:[ \-]\(?\d[\d()]*)*")

_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|(?P<outward>[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?) ?"
    r"(?P<inward>\d[ABD-HJLNP-UW-Z]{2}))\b",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"1st|2nd|3rd|[04-9]th")

_NAME_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")  # O'Neill, Mary-Jane
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_TITLES = frozenset(("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "lord"))
_PARTICLES = frozenset((
    "van", "von", "de", "da", "di", "du", "del", "der", "den", "la", "le", "bin", "ibn", "al",
    "el", "ap", "st",
))  # fmt: skip
# Short English words that are also a given name or surname somewhere.
_COMMON_WORDS = frozenset((
    "a", "an", "and", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is", "it", "me",
    "my", "no", "of", "oh", "on", "or", "so", "to", "up", "us", "we",
))  # fmt: skip
_NOT_IDENTIFYING_ALONE = _TITLES | _PARTICLES | _COMMON_WORDS


def identifying_detail(
    summary: str, *, contributor_name: str, organisation: bool, contribution_text: str
) -> str | None:
    """What in `summary` could identify someone, as a phrase ("contains a postcode"),
    or None when it finds nothing."""
    text = summary.strip()
    if contribution_text.strip() and text.lower() == contribution_text.strip().lower():
        return "repeats the contribution word for word"
    if _EMAIL.search(text):
        return "contains an e-mail address"
    if has_phone_number(text):
        return "contains a phone number"
    if has_postcode(text):
        return "contains a postcode"
    words = _NAME_WORD.findall(_BRACKETED.sub(" ", contributor_name))
    named = [w for w in words if w.lower() not in _TITLES] or words
    if named and _find_words(text, named):
        return "repeats the contributor's name"
    if organisation:
        return None
    for part in name_parts(contributor_name):
        found = _find_words(text, [part])
        if found:
            return f"contains {found!r}, which is part of the contributor's name"
    return None


def has_phone_number(text: str) -> bool:
    for run in _NUMBER_RUN.finditer(text):
        raw = run.group().replace("(0)", " ")
        plus = raw.startswith("+")
        groups = [g for g in re.split(r"[ \-()+]+", raw) if g]
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if _is_phone_number(digits, plus=plus and start == 0):
                    return True
                if len(digits) > 15:
                    break
    return False


def _is_phone_number(digits: str, *, plus: bool) -> bool:
    if plus:
        return 8 <= len(digits) <= 15
    if digits.startswith("0044"):
        return 9 <= len(digits) - 4 <= 10
    return digits.startswith("0") and not digits.startswith("00") and 10 <= len(digits) <= 11


def has_postcode(text: str) -> bool:
    for match in _POSTCODE.finditer(text):
        inward = match.group("inward")
        if inward and inward.islower() and _ORDINAL.fullmatch(inward):
            continue  # "KS2 3rd", "Y6 2nd": an ordinal (so "m1 1st" in lowercase passes)
        return True
    return False


def name_parts(name: str) -> list[str]:
    """The parts of a name that identify on their own: each word, and each piece of a
    hyphenated word, but for initials, titles, particles and short common words."""
    parts: list[str] = []
    for word in _NAME_WORD.findall(_BRACKETED.sub(" ", name)):
        pieces = word.split("-")
        for part in [word, *pieces] if len(pieces) > 1 else [word]:
            if len(part) > 1 and part.lower() not in _NOT_IDENTIFYING_ALONE:
                parts.append(part)
    return list(dict.fromkeys(parts))


def _find_words(text: str, words: list[str]) -> str | None:
    """The words, in order and as whole words (any spacing, any case), as they appear."""
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = re.search(rf"(?<![^\W_]){pattern}(?![^\W_])", text, re.IGNORECASE)
    return found.group() if found else None
