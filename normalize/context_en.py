"""Context decisions that are not Russian agreement: roman numerals, ranges, English abbreviations."""

from __future__ import annotations

from . import en_numbers as en
from .address_en import apply_addresses
from .morph_ru import is_adjective, is_noun
from .ranges import range_ends
from .ru_lexicon import PERIOD_HEADS, PREPOSITIONS, analyze, noun_text
from .ru_numbers import combining_form
from .scores import WORDS_EN, WORDS_RU, is_score
from .spans import Token

_CHAPTER_WORDS = {"chapter", "part", "volume", "vol.", "book", "act", "phase", "section", "article", "level",
                  "stage", "season", "episode", "grade", "class", "type", "war", "глава", "часть", "том",
                  "раздел", "статья", "пункт", "главу", "главе", "главы", "части", "разделе", "пункте", "статье",
                  "статьи", "тома", "томе"}
_NUMERIC = {"cardinal", "decimal", "money", "measure", "time", "date", "ordinal", "fraction"}
_DASHES = {"-", "–", "—"}
# Capitalized words that put a pronoun "I" after them ("Did I?", "Not I.", "So am I").
_NOT_NAMES = {"am", "are", "is", "was", "were", "be", "do", "does", "did", "can", "could", "shall", "should", "will",
              "would", "may", "might", "must", "have", "has", "had", "not", "nor", "so", "then", "now", "here",
              "there", "yes", "no", "and", "but", "or", "if", "when", "where", "why", "how", "what", "who", "whom",
              "than", "as", "because", "oh", "well", "me", "neither", "either", "too", "also", "only", "unless",
              "until", "while", "once", "since", "that", "which", "whether", "though", "although", "say", "said",
              "think", "thought", "know", "knew", "hope", "wish", "guess", "suppose", "believe", "ok", "okay"}
# English names that take a regnal number ("Henry VIII": the eighth); after other names a numeral is a sequel or a
# title number ("Rocky II": two).
_REGNAL = {"henry", "elizabeth", "louis", "charles", "george", "edward", "william", "james", "richard", "john",
           "peter", "catherine", "mary", "anne", "victoria", "benedict", "pius", "leo", "gregory", "paul",
           "alexander", "nicholas", "frederick", "philip", "ferdinand", "isabella", "napoleon", "ramesses",
           "constantine", "otto", "wilhelm", "francis", "innocent", "clement", "urban", "ivan", "gustav",
           "harald", "olaf", "juan", "felipe", "carlos", "david", "robert", "stephen", "matilda", "sam"}
# Expansions that precede a name: their dot never ends a sentence.
_TITLES = {"doctor", "mister", "misses", "miss", "professor", "saint", "junior", "senior", "mount", "governor",
           "senator", "captain", "sergeant", "lieutenant", "colonel", "general", "reverend", "also known as", "fort"}


def _non_space(tokens: list[Token]) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.cls != "space"]


def resolve_roman(tokens: list[Token]) -> None:
    """Keep roman-numeral candidates only where the context makes them numbers; mark ordinals."""
    idx = _non_space(tokens)
    for k, i in enumerate(idx):
        tok = tokens[i]
        if tok.cls != "roman":
            continue
        prev = tokens[idx[k - 1]] if k else None
        nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
        value, single = tok.fields["value"], len(tok.text) == 1
        prev_word = prev.text.lower() if prev is not None and prev.cls in ("word", "abbreviation", "letters") else ""
        latin_prev = prev is not None and prev.cls == "word" and prev.text.isascii()
        if i + 1 < len(tokens) and tokens[i + 1].text == "/":
            tok.cls, tok.out = "letters", tok.text  # "Google I/O"
            continue
        if prev is not None and nxt is not None and prev.lang == nxt.lang == "en" and prev.cls == nxt.cls == "word":
            tok.lang = "en"  # "..., like in the XVIII century": inside English words
        if tok.lang == "ru" and prev is not None and prev.cls == "letters" and prev.text.isascii() and not single \
                and (nxt is None or nxt.cls == "punct" or nxt.lang == "ru" and not analyze(nxt.text)):
            tok.lang = "en"  # "трейлер GTA VI": a title after a Latin acronym is numbered in English (six)
            continue
        if latin_prev and (prev_word in _REGNAL or prev_word in _CHAPTER_WORDS):
            tok.lang = "en"  # "Henry VIII и ...", "World War II на русском": read with the English name
        if tok.lang == "ru" and not single and prev_word in PERIOD_HEADS and (nxt is None or nxt.cls == "punct"):
            tok.fields.update(ordinal=True, century=True)  # "в кон. XIX — нач. XX вв.": конце девятнадцатого
            continue
        far = tokens[idx[k + 2]] if k + 2 < len(idx) else None
        spelled_range = tok.lang == "ru" and nxt is not None and nxt.text.lower() in ("по", "до", "и", "или") \
            and far is not None and far.cls == "roman" and not (single and len(far.text) == 1)  # "с XV по XVII век"
        if prev_word in _CHAPTER_WORDS or spelled_range or (i + 2 < len(tokens) and range_ends(tokens, i + 1) is not None):
            if tok.lang == "ru" and prev_word in _CHAPTER_WORDS:
                tok.fields.update(ordinal=True, title_noun=prev_word)  # "Глава IV": четвёртая
            continue  # the low end of "XVIII–XIX вв." (the high end decides)
        named_ru = tok.lang == "ru" and prev is not None and prev.cls == "word" and prev.text[:1].isupper() \
            and not prev.text.isascii() and value <= 40 and prev_word not in PREPOSITIONS \
            and not (nxt is not None and (nxt.text in ("в", "вв") or nxt.text.lower().startswith("век")))
        # (not "В XIX веке", nor "Памятник XII в.": a century)
        if named_ru:
            tok.fields.update(ordinal=True, after_name=prev.text)  # "при Екатерине II": case from the name
            continue
        if tok.lang == "ru" and nxt is not None and nxt.cls == "word" and is_adjective(nxt.text) and not single:
            tok.fields.update(ordinal=True, adjective=nxt.text)  # "II мировая война": вторая
            continue
        if tok.lang == "ru" and nxt is not None and nxt.text in ("в", "вв") and k + 2 < len(idx) \
                and tokens[idx[k + 2]].text == ".":
            continue  # "в XII в.": the agreement stage reads it as an ordinal century
        head = prev.text if prev is not None and prev.cls == "word" else \
            tokens[idx[k - 2]].text if k > 1 and prev is not None and prev.cls == "letters" else ""
        if tok.lang == "ru" and not single and head[:1].isalpha() and not head.isascii() and is_noun(head) and \
                (nxt is None or nxt.cls == "punct"):
            tok.fields.update(ordinal=True, title_noun=head)  # "Съезд КПСС XX": двадцатый, as its noun
            continue
        if tok.lang == "ru" and nxt is not None and (nxt.cls == "word" and analyze(nxt.text) or
                                                     nxt.cls == "abbreviation" and analyze(noun_text(nxt))) and \
                (not single or tok.text in "IVX"):
            continue  # the agreement stage makes it an ordinal agreeing with the noun ("IV кв.": квартал)
        named = prev is not None and prev.cls == "word" and prev.text[:1].isupper() and value <= 30 and \
            (tok.lang == "ru" or prev_word in _REGNAL)
        if tok.lang == "ru" and latin_prev and prev.text[:1].isupper() and not single:
            continue  # "Rocky II" in a Russian sentence: два
        # English "I" after a name is a regnal number only when no word follows ("Sam I", "Francis I--")
        regnal_i = tok.text == "I" and tok.lang == "en" and prev is not None and \
            prev.text.lower() not in _NOT_NAMES and (nxt is None or nxt.cls == "punct")
        if tok.lang == "en" and nxt is not None and nxt.text.lower() in ("century", "centuries") and not single:
            tok.fields["ordinal"] = True  # "in the XVIII century"
            tok.out = en.ordinal(value)
            continue
        if tok.lang == "en" and not named and prev is not None and prev.cls == "word" and prev.text[:1].isupper() \
                and prev_word not in _NOT_NAMES and (not single or tok.text in "VX") and value <= 100:
            continue  # a title number: "Rocky II", "Super Bowl LVIII", "Grand Theft Auto V"
        if named and (not single or (tok.text == "I" and tok.lang == "ru") or tok.text in "VX" or regnal_i):
            tok.fields["ordinal"] = True
            if tok.lang == "ru" and prev is not None and prev.text.endswith(("а", "я")):
                tok.gender = "f"
            continue
        tok.cls, tok.out = "letters", tok.text


# Weekday abbreviations that are also words: a weekday only before a date or a clock time.
_FREQUENCY = {"a", "an", "per", "every", "each", "daily", "weekly", "monthly", "yearly"}
_DETERMINERS = {"our", "my", "your", "his", "her", "its", "their", "the", "this", "that", "whose"}
_WEEKEND = {"Sat": "saturday", "Sun": "sunday"}
# Russian words before "N:M" that make it a ratio read with "к".
_RATIO_WORDS = ("пропорци", "соотношени", "масштаб", "отношени")
# Emergency and service numbers, read digit by digit after a dialling word or standing alone.
_SERVICE_NUMBERS = {"911", "999", "112", "311", "411", "988", "211", "511", "711", "811"}
_DIAL_WORDS = {"call", "dial", "text", "is", "or", "звоните", "позвоните", "наберите", "набери", "звони", "—"}
# Identifiers whose number is read digit by digit.
_ID_WORDS = {"ИНН", "ОГРН", "ОГРНИП", "КПП", "БИК", "СНИЛС", "ОКПО", "ОКВЭД", "ИНН:", "ID", "SSN", "EIN", "IBAN", "ИНДЕКС",
             "СЧЁТ", "СЧЕТ", "Р/С", "К/С"}
# (and any ungrouped number of 16 digits or more: an account or card number)
# Words around a number range that do not make it a count ("from 2-10", "1961–1965 and ...").
_FUNCTION_WORDS = {"a", "an", "the", "and", "or", "but", "nor", "from", "to", "in", "on", "at", "of", "by", "with",
                   "as", "than", "if", "so", "is", "are", "was", "were", "be", "vs", "x", "plus", "minus"}


def _counts(tokens: list[Token], i: int, hi: Token, after: Token | None) -> bool:
    """Whether the range whose dash is ``tokens[i]`` counts something: its high end has a unit, or a content word
    follows it ("10-12 weeks") or precedes it ("pages 10-15", "ages 6-8")."""
    if hi.cls in ("measure", "money"):
        return True
    low_at = i - 1
    before = next((t for t in reversed(tokens[:low_at]) if t.cls != "space"), None)
    return hi.cls == "time" or any(t is not None and t.cls in ("word", "abbreviation") and t.lang == "en" and
                                   t.text.lower() not in _FUNCTION_WORDS for t in (before, after))


def _slash_score(tokens: list[Token], idx: list[int], k: int, words: tuple[str, ...]) -> bool:
    """Whether the slash at ``idx[k]`` divides a score by its scale: ``rated 4.5/5``, ``рейтинг 4,8/5``."""
    prev = tokens[idx[k - 1]] if k else None
    nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
    return prev is not None and nxt is not None and prev.cls in ("cardinal", "decimal") and nxt.cls == "cardinal" \
        and is_score(tokens, idx, k - 1, k + 1, nxt.fields["int"], words)


def _slash_language(tok: Token, prev: Token | None, nxt: Token | None) -> str:
    """A slash between two words of one language takes theirs (``в 0.in/in``: English, as it is once the dot
    has become a sentence end), else the sentence's."""
    if prev is not None and nxt is not None and prev.cls == nxt.cls == "word":
        return prev.lang if prev.lang == nxt.lang else "ru"  # "в/in": kept as written, whatever the sentence
    return tok.lang


class EnglishContext:
    """English-side context: range dashes, year readings, dotted abbreviations (see module docstring)."""

    def apply(self, tokens: list[Token]) -> None:
        idx = _non_space(tokens)
        apply_addresses(tokens, idx)
        for k, i in enumerate(idx):
            tok = tokens[i]
            prev = tokens[idx[k - 1]] if k else None
            nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
            if tok.cls == "punct" and tok.text in _DASHES and prev is not None and nxt is not None:
                after = tokens[idx[k + 2]] if k + 2 < len(idx) else None
                self._dash(tok, prev, nxt, tokens, i, after)
            elif tok.cls == "punct" and tok.text == "/" and _slash_language(tok, prev, nxt) == "en" and \
                    (prev is not None or (nxt is not None and tokens[i + 1] is nxt)) and \
                    not (prev is not None and prev.text == "and" and nxt is not None and nxt.text == "or") and \
                    not self._spoken_chain(tokens, i, prev, nxt):
                tok.out = " out of " if _slash_score(tokens, idx, k, WORDS_EN) else " slash "  # "rated 4.5/5 stars": out of
            elif tok.text == "#" and nxt is not None and tokens[i + 1] is nxt and nxt.cls in ("cardinal", "serial"):
                tok.out = "номер" if tok.lang == "ru" else "number"  # "#1", "PR #42"
            elif tok.cls == "cardinal" and tok.fields["int"] in _SERVICE_NUMBERS and not tok.fields.get("sign") and (
                    prev is not None and prev.text.lower() in _DIAL_WORDS):
                if tok.lang == "en" or tok.fields["int"] == "911":  # Russian services are numbers: сто двенадцать
                    tok.fields["digits" if tok.lang == "en" else "spell"] = True  # "call 911": nine one one
            elif tok.cls == "serial" and tok.fields.get("by") and tok.lang == "en" and (nxt is None or nxt.cls != "word") \
                    and max(len(p) for p in tok.fields["parts"]) <= 2:
                tok.fields["by"] = False  # NeMo: a bare "2x8" is "two x eight"; "2x2 volleyball" is "two by two"
            elif tok.cls == "cardinal" and (prev is not None and prev.text.upper() in _ID_WORDS and len(
                    tok.fields["int"]) >= 6 or len(tok.fields["int"]) >= 16 and not tok.fields.get("grouped")):
                tok.fields["digits" if tok.lang == "en" else "spell"] = True  # "ИНН 7707083893": digit by digit
            elif tok.lang == "ru" and tok.text == "/" and prev is not None and prev.cls == "decimal" and \
                    _slash_score(tokens, idx, k, WORDS_RU):
                tok.out, nxt.case = " из ", "gen"  # "рейтинг 4,8/5": четыре целых восемь десятых из пяти
            elif tok.lang == "ru" and tok.text == ":" and prev is not None and nxt is not None and \
                    prev.cls == nxt.cls == "cardinal" and tokens[i - 1] is prev and tokens[i + 1] is nxt:
                if any(tokens[j].text.lower().startswith(_RATIO_WORDS) for j in idx[max(0, k - 3):k - 1]):
                    tok.out, nxt.case = " к ", "dat"  # "в пропорции 1:3": один к трём
                else:
                    tok.out = " "  # a score: "2:1" два один
            elif tok.cls == "abbreviation" and tok.out is None and tok.text == "St." and nxt is not None:
                self._abbreviation(tok, prev, nxt)  # "в St. Petersburg": saint, in a Russian sentence too
            elif tok.lang != "en":
                continue
            elif tok.cls == "punct" and tok.text in ":*" and prev is not None and nxt is not None and \
                    prev.cls == nxt.cls == "cardinal" and tokens[i - 1] is prev and tokens[i + 1] is nxt:
                tok.out = " to " if tok.text == ":" else " times "  # ratio "16:9", product "2*8"
            elif tok.cls == "cardinal" and prev is not None and len(tok.fields["int"]) <= 5 and (
                    prev.text.lower() in ("ext.", "ext", "x") and prev.cls == "abbreviation"
                    or prev.text.lower() == "extension"):
                tok.fields["extension"] = True
            elif tok.cls == "cardinal" and k >= 2 and [tokens[idx[k - 2]].text.lower(), prev.text.lower()] in (
                    ["ending", "in"], ["ends", "in"], ["ending", "with"]) and len(tok.fields["int"]) <= 6:
                tok.fields["digits"] = True  # "card ending in 8876": eight eight seven six
            elif tok.cls == "abbreviation" and tok.out is None:
                self._abbreviation(tok, prev, nxt)
            elif tok.cls == "measure" and tok.fields.get("unit") == "m" and prev is not None and prev.cls == "measure" \
                    and prev.fields.get("unit") in ("h", "hr", "hrs"):
                tok.fields["unit"] = "min"  # "2h 30m": minutes after hours, not meters
            elif tok.cls == "serial" and len(tok.fields.get("parts", ())) == 2 and tok.fields["parts"][1] == "x" and \
                    nxt is not None and (nxt.text in _FREQUENCY or prev is not None and prev.text.lower() in ("a", "an")
                                         and nxt.cls == "word" and nxt.text.islower()):
                times = en.cardinal(int(tok.fields["parts"][0]))  # (the corpus keeps "2x faster": two x)
                tok.out = times + (" times" if nxt.text in _FREQUENCY else " time")  # "3x a day"; "a 2x champion"
            elif tok.cls == "date" and "quarter" in tok.fields and prev is not None and \
                    prev.text.lower() in _DETERMINERS:
                tok.fields["determined"] = True  # "our Q1 2025 results": our first quarter twenty twenty five
            elif tok.cls == "word" and tok.text in _WEEKEND and nxt is not None:
                after = tokens[idx[k + 2]] if nxt.text == "," and k + 2 < len(idx) else nxt
                if after.cls in ("date", "time"):
                    tok.out = _WEEKEND[tok.text]  # "Party on Sat, Nov 8": saturday (not the verb "sat")
            elif tok.cls in ("money", "measure") and prev is not None and prev.text.lower() in ("a", "an") \
                    and nxt is not None and nxt.cls == "word" and nxt.text.islower() and nxt.text != "of":
                tok.fields["attributive"] = True  # "a $5 billion deal", "a 10 km race": ten kilometer race
            elif tok.cls == "fraction" and not tok.fields["whole"] and \
                    is_score(tokens, idx, k, k, tok.fields["den"], WORDS_EN):
                tok.out = f"{en.cardinal(int(tok.fields['num']))} out of {en.cardinal(int(tok.fields['den']))}"  # 8/10
            elif tok.cls == "cardinal" and nxt is not None and nxt.text.replace(".", "") in ("AD", "BC") \
                    and tok.fields["int"].isdigit() and len(tok.fields["int"]) <= 4:
                tok.fields["year"] = True

    @staticmethod
    def _spoken_chain(tokens: list[Token], i: int, prev: Token | None, nxt: Token | None) -> bool:
        """``five/two``: a slash inside an already spoken code keeps its written form (idempotence)."""
        if prev is None or nxt is None or tokens[i - 1] is not prev or tokens[i + 1] is not nxt:
            return False
        left, right = prev.text.rsplit("-", 1)[-1], nxt.text.split("-", 1)[0]  # "b-zero/c": the parts next to it
        return prev.cls == nxt.cls == "word" and bool({left.lower(), right.lower()} & en.NUMBER_WORDS)

    @staticmethod
    def _dash(tok: Token, prev: Token, nxt: Token, tokens: list[Token], i: int, after: Token | None) -> None:
        tight = tokens[i - 1] is prev and tokens[i + 1] is nxt
        if tok.lang == "en" and tight and prev.text.lower() == "mid" and nxt.cls in _NUMERIC:
            tok.out = " "
            return
        if after is not None and after.text == "=" and prev.cls in _NUMERIC:
            tok.out = " minus "
            return
        if tok.lang == "en" and tight and prev.cls in ("decimal", "measure") and nxt.cls == "word":
            tok.out = " "  # "7.2-millimeter bullet": seven point two millimeter
            return
        ends = range_ends(tokens, i)
        if tok.lang == "ru" and prev.cls == nxt.cls == "time" and not prev.fields.get("ap"):
            j = i - 1 if tokens[i - 1] is prev else i - 2  # prev's position
            j -= 1
            while j >= 0 and tokens[j].cls == "space":
                j -= 1
            prev.fields["short"] = nxt.fields["short"] = True  # "13:00–14:00": с тринадцати до четырнадцати
            prev.case = nxt.case = "gen"
            prev.fields["from"] = j < 0 or tokens[j].text.lower() not in ("с", "со", "от")
            tok.out = " до "
            return
        if tok.lang == "ru":
            if tight and prev.cls == "cardinal" and nxt.cls == "compound" and prev.fields["int"].isdigit() \
                    and 0 < int(prev.fields["int"]) < 1000 and not prev.fields.get("sign"):
                prev.out, tok.out = combining_form(int(prev.fields["int"])), "-"  # "2-3-комнатные": двух-трёх...
            elif prev.cls == nxt.cls == "abbreviation":
                tok.out = " — "  # "Пн–Пт": понедельник — пятница
            elif tight and (prev.cls in _NUMERIC) != (nxt.cls in _NUMERIC) and \
                    {"word", "letters"} & {prev.cls, nxt.cls}:
                tok.out = " "
            elif ends is not None:
                tok.out = "-" if len(prev.text) <= 2 or prev.cls == "roman" or prev.cls == "decimal" and len(prev.text) <= 3 \
                    else " — "  # четыре-пять, полтора-два; тысяча ... — тысяча ...
            elif prev.cls in _NUMERIC and nxt.cls in _NUMERIC:
                tok.out = " - "
            return
        if prev.cls not in _NUMERIC or nxt.cls not in _NUMERIC:
            return
        if prev.cls == "date" and nxt.cls == "cardinal" and prev.fields.get("d") and not prev.fields.get("y") \
                and not prev.fields.get("dm") and prev.fields["d"] < int(nxt.fields["int"]) <= 31:
            tok.out, nxt.out = " to ", en.ordinal(int(nxt.fields["int"]))  # "Jan 10-12": january tenth to twelfth
            return
        if tight and prev.cls == "money" and nxt.cls in ("cardinal", "decimal") and not prev.fields.get("q"):
            nxt.cls, prev.fields["bare"] = "money", True  # "$10–15": ten to fifteen dollars
            nxt.fields.update({k: prev.fields.get(k, "") for k in ("cur", "per", "us", "attributive")}, q="", minor="")
            nxt.fields.setdefault("frac", "")
            prev.fields["per"] = ""
        yearish = all(t.cls == "cardinal" and len(t.fields["int"]) in (2, 4) for t in (prev, nxt)) and \
            len(prev.fields["int"]) == 4
        hours = tok.text == "–" and tight and prev.cls == nxt.cls == "cardinal" and \
            all(t.fields["int"].isdigit() and int(t.fields["int"]) <= 24 for t in (prev, nxt))  # "work 9–5"
        if yearish or hours or {prev.cls, nxt.cls} <= {"money", "time", "date"} or prev.cls == nxt.cls == "measure" or (
                ends and _counts(tokens, i, nxt, after)):
            tok.out = " to "
        else:
            tok.out = " - "

    @staticmethod
    def _abbreviation(tok: Token, prev: Token | None, nxt: Token | None) -> None:
        value = tok.fields["value"]
        if value in ("number", "page", "circa") and (nxt is None or nxt.cls not in _NUMERIC):  # "No. 5", "c. 1850"
            tok.out = tok.text
        elif value == "street" and nxt is not None and nxt.cls == "word" and nxt.text[:1].isupper() and \
                not (prev is not None and prev.text[:1].isupper()):
            tok.out = "saint"
        elif value == "avenue" and tok.text.startswith("Ave") and nxt is not None and nxt.cls == "word" \
                and nxt.text.islower() and (prev is None or not prev.text[:1].isupper()):
            tok.out = "average"  # "Ave. price is $30" (after a street name it stays avenue)
        elif value == "doctor" and prev is not None and prev.cls == "word" and prev.text[:1].isupper() and \
                not (nxt is not None and nxt.cls == "word" and nxt.text[:1].isupper()):
            tok.out = "drive"  # "lives on Elm Dr.": after a street name, before no name
        else:
            if value == "street" and prev is not None and prev.text[:1].isupper():
                value = tok.out = "Street"
            if tok.text.endswith(".") and tok.text.isascii() and not value.endswith(".") and value not in _TITLES \
                    and nxt is not None and nxt.text[:1].isupper():  # (a Cyrillic "ул." opens no sentence)
                tok.out = value + "."
