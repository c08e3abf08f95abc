"""Laravel's naming conventions: a model's default table, foreign key and pivot table.

Ported from Illuminate\\Support\\Str::snake / Str::pluralStudly and Pluralizer (Laravel 8,
which pluralizes with doctrine/inflector's English rules); tests/test_models.py checks the
port against the real PHP functions. Rare English words may differ from doctrine's
larger uninflected list: set `$table` (as Laravel users do) when in doubt.
"""

from __future__ import annotations

import re

# Illuminate\Support\Pluralizer::$uncountable plus doctrine/inflector's common uninflected words
_UNCOUNTABLE = frozenset("""
audio bison cattle chassis compensation coreopsis data deer education emoji equipment evidence feedback
firmware fish furniture gold hardware information jedi kin knowledge love metadata money moose news
nutrition offspring plankton pokemon police rain recommended related rice series sheep software species
swine traffic wheat amoyese borghese congoese faroese foochowese genevese genoese gilbertese hottentotese
kiplingese kongoese lucchese maltese nankingese niasese pekingese piedmontese pistoiese portuguese
sarawakese shavese vermontese wenchowese yengeese advice art baggage butter clothing coal cotton
elk fruit garbage grass homework impatience luggage management mud oil patience research sand
scenery shopping soap staff sugar weather wood bream breeches britches carp chassis clippers cod
contretemps corps debris diabetes djinn eland elk flounder gallows graffiti headquarters herpes
high-jinks homework innings jackanapes mackerel measles mews mumps pincers pliers proceedings
rabies salmon scissors sea-bass shears siemens stadia swine testes trousers trout tuna whiting
wildebeest
""".split())  # noqa: SIM905 - a word list reads best as words

_IRREGULAR = {
    "atlas": "atlases", "axe": "axes", "beef": "beefs", "blouse": "blouses", "brother": "brothers", "cafe": "cafes",
    "chateau": "chateaux", "niveau": "niveaux", "child": "children", "canvas": "canvases", "cookie": "cookies",
    "corpus": "corpuses", "cow": "cows", "criterion": "criteria", "curriculum": "curricula", "demo": "demos",
    "domino": "dominoes", "echo": "echoes", "foot": "feet", "fungus": "fungi", "ganglion": "ganglions", "gas": "gases",
    "genie": "genies", "genus": "genera", "goose": "geese", "graffito": "graffiti", "hippopotamus": "hippopotami",
    "hoof": "hoofs", "human": "humans", "iris": "irises", "larva": "larvae", "leaf": "leaves", "lens": "lenses",
    "loaf": "loaves", "man": "men", "medium": "media", "memorandum": "memoranda", "money": "monies",
    "mongoose": "mongooses", "motto": "mottoes", "move": "moves", "mythos": "mythoi", "niche": "niches",
    "nucleus": "nuclei", "numen": "numina", "occiput": "occiputs", "octopus": "octopuses", "opus": "opuses",
    "ox": "oxen", "passerby": "passersby", "penis": "penises", "person": "people", "plateau": "plateaux",
    "runner-up": "runners-up", "safe": "safes", "sex": "sexes", "sieve": "sieves", "soliloquy": "soliloquies",
    "son-in-law": "sons-in-law", "syllabus": "syllabi", "testis": "testes", "thief": "thieves", "tooth": "teeth",
    "tornado": "tornadoes", "trilby": "trilbys", "turf": "turfs", "valve": "valves", "volcano": "volcanoes",
    "abuse": "abuses", "avalanche": "avalanches", "cache": "caches", "curve": "curves", "emphasis": "emphases",
    "foe": "foes", "grave": "graves", "hoax": "hoaxes", "neurosis": "neuroses", "save": "saves", "wave": "waves",
    "oasis": "oases", "zombie": "zombies",
}

# doctrine/inflector English plural transformations, first match wins (case-insensitive)
_RULES = [(re.compile(p, re.I), r) for p, r in [
    (r"(s)tatus$", r"\1tatuses"), (r"(quiz)$", r"\1zes"), (r"^(ox)$", r"\1en"), (r"([m|l])ouse$", r"\1ice"),
    (r"(matr|vert|ind)(ix|ex)$", r"\1ices"), (r"(x|ch|ss|sh)$", r"\1es"), (r"([^aeiouy]|qu)y$", r"\1ies"),
    (r"(hive|gulf)$", r"\1s"), (r"(?:([^f])fe|([lr])f)$", r"\1\2ves"), (r"sis$", "ses"), (r"([ti])um$", r"\1a"),
    (r"(tax)on$", r"\1a"), (r"(c)riterion$", r"\1riteria"), (r"(p)erson$", r"\1eople"), (r"(m)an$", r"\1en"),
    (r"(c)hild$", r"\1hildren"), (r"(f)oot$", r"\1eet"), (r"(buffal|her|potat|tomat|volcan)o$", r"\1oes"),
    (r"(alumn|bacill|cact|foc|fung|nucle|radi|stimul|syllab|termin|vir)us$", r"\1i"), (r"us$", "uses"),
    (r"(alias)$", r"\1es"), (r"(analys|ax|cris|test|thes)is$", r"\1es"), (r"s$", "s"), (r"$", "s"),
]]


def snake(value: str) -> str:
    """Str::snake: an underscore before every upper-case letter that follows a character."""
    if value.islower() and value.isalpha():
        return value
    value = re.sub(r"\s+", "", " ".join(w[:1].upper() + w[1:] for w in value.split(" ")))
    return re.sub(r"(.)(?=[A-Z])", r"\1_", value).lower()


def plural(word: str) -> str:
    """Pluralizer::plural (count 2) for one word, with its case matched like Laravel's matchCase."""
    if not word or word.lower() in _UNCOUNTABLE or not re.search(r"[A-Za-z0-9\u0080-\uffff]$", word):
        return word
    lower = word.lower()
    if lower in _IRREGULAR:
        out = word[0] + _IRREGULAR[lower][1:]
    else:
        out = word
        for pattern, repl in _RULES:
            if pattern.search(word):
                out = pattern.sub(repl, word, count=1)  # an unmatched group expands to ""
                break
    for fn in (str.lower, str.upper, _ucfirst):
        if fn(word) == word:
            return fn(out)
    return out


def _ucfirst(s: str) -> str:
    return s[:1].upper() + s[1:]


def plural_studly(value: str) -> str:
    """Str::pluralStudly: pluralize the last capitalized word."""
    parts = re.split(r"(.)(?=[A-Z])", value)
    last = parts.pop()
    return "".join(parts) + plural(last)


def default_table(class_basename: str) -> str:
    """Model::getTable() without `$table`: `Webhook` -> `webhooks`, `APIKey` -> `a_p_i_keys`."""
    return snake(plural_studly(class_basename))


def default_foreign_key(class_basename: str, primary_key: str = "id") -> str:
    """Model::getForeignKey(): `User` -> `user_id`."""
    return f"{snake(class_basename)}_{primary_key}"


def joining_table(a_basename: str, b_basename: str) -> str:
    """HasRelationships::joiningTable(): both snake names, sorted, joined by `_`."""
    return "_".join(sorted([snake(a_basename), snake(b_basename)])).lower()


def morph_pivot_table(name: str) -> str:
    """morphToMany's default table: `taggable` -> `taggables` (the last `_` word pluralized)."""
    head, sep, last = name.rpartition("_")
    return head + sep + plural(last)
