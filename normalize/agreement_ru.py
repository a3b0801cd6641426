"""Russian context stage: choose case, gender, number and animacy of numeric spans.

Inputs are the governing preposition (the word right before the span) and the counted noun (the word
after it, skipping one adjective; for ranges ``с 1990 по 2000 год`` / ``5-7 лет`` the noun after the
second number).  When the noun is known its observed form decides the case among those the preposition
allows (``21 книгу`` -> accusative feminine); otherwise the preposition's most likely case is used.

Two fields record for :mod:`normalize.candidates_ru` what the context fixed: ``allowed`` (the cases the
governing preposition allows) and ``fixed`` (the ``(case, plural)`` readings an observed noun form agrees with;
the noun also fixes gender and animacy).
"""

from __future__ import annotations

from .abbrev_ru import agreeing_adjective, expansion
from .morph_ru import (
    adjective_case,
    adjective_cases,
    form_of,
    inflect_phrase,
    is_comparative,
    is_dative,
    is_feminine_past,
    is_finite_verb,
    is_genitive_noun,
    is_noun,
    is_plural_subject,
    is_plural_verb,
    is_transitive_verb,
    verb_lemma,
)
from .ranges import range_ends
from .ru_lexicon import (
    AFTER_NUMBER,
    MONTHS_GEN,
    PERIOD_HEADS,
    PREPOSITIONS,
    Noun,
    analyze,
    known,
    noun_text,
    ru_noun,
)
from .ru_numbers import cardinal, noun_number, ordinal
from .scores import WORDS_RU, is_score
from .spans import Token
from .units import QUANTITY_RU, RU_UNITS, SCALE_RU

NUMERIC = {"cardinal", "decimal", "ordinal", "fraction", "measure", "money", "roman", "date", "time"}
_ALL_CASES = ("nom", "acc", "gen", "dat", "ins", "prep")
_ADJ_ENDINGS = ("ых", "ые", "ый", "ой", "ая", "ую", "ое", "ого", "ому", "ым", "ыми", "их", "ие", "ий", "ей",
                "яя", "юю", "ее", "его", "ему", "им", "ими", "ом", "ем")
_RANGE_LINKS = {"-", "–", "—", "по", "до", "и", "или"}
_AND = {"и", "или"}
_DASHES = {"-", "–", "—"}
_DAY_PARTS = {"утро", "день", "вечер", "ночь"}
# Verbs whose object is genitive ("достигла 90 градусов": девяноста).
_GEN_VERBS = {"достигнуть", "достичь", "достигать", "добиться", "добиваться", "лишиться", "лишаться", "избежать",
              "избегать"}
# Verbs that govern the genitive when negated ("не хватает 300 ₽": трёхсот рублей), and "нет".
_NEG_GEN_VERBS = {"хватать", "хватить", "доставать", "достать", "оставаться", "остаться", "быть"}
# Intransitive verbs whose measure is accusative ("весит 1,2 ГБ": одну целую, "стоит 1–2 минуты": одну-две).
_MEASURE_VERBS = {"весить", "стоить", "стоять", "длиться", "продолжаться", "ехать", "идти", "лететь", "ждать",
                  "подождать", "прождать", "занять", "занимать", "тянуться", "простоять"}
# Places and vehicles known by their number: with a number ending in 1 (past 20) in an oblique case they are
# numbered rather than counted (в 301 аудитории: триста первой; в 21 стране still counts).
_NUMBERED = {"аудитория", "комната", "кабинет", "палата", "квартира", "школа", "гимназия", "лицей", "больница",
             "поликлиника", "маршрут", "автобус", "трамвай", "троллейбус", "дом", "офис", "корпус", "подъезд",
             "этаж", "вагон", "место", "ряд", "зал", "отделение", "участок", "павильон", "секция", "причал"}
# Person titles: after a common noun the abbreviation is its genitive (статья академика Лихачёва).
_PERSON_TITLES = {"академик", "профессор", "доцент", "заведующий", "заместитель", "генеральный", "директор",
                  "главный", "доктор", "кандидат", "начальник", "председатель", "руководитель", "инженер", "редактор",
                  "гражданин", "святой", "помощник"}
# Words before "с" that make it "together with" (instrumental): "рядом с пл. Победы", "вместе с зам. директора".
_WITH_INS = {"рядом", "вместе", "связи", "наряду", "сравнению", "соответствии", "согласии", "одновременно"}
# Numbered parts and classes: after a common noun the abbreviation is its genitive (требования п. 3: пункта).
# Titles that govern the noun after them (instrumental), not agree with it: "зав. кафедрой": заведующий кафедрой.
_GOVERNING_TITLES = {"заведующий", "управляющий", "командующий"}
_PERIOD_PARTS = {"начало", "конец", "середина", "половина"}  # "мода нач. XX в.": начала
_SECTIONS = {"категория", "глава", "статья", "пункт", "часть", "рисунок", "таблица", "раздел", "приложение", "том",
             "серия"}
# Verbs whose role noun is instrumental (работает заведующим, назначили директором).
_ROLE_VERBS = {"работать", "стать", "становиться", "являться", "назначить", "назначать", "избрать", "избирать",
               "служить", "трудиться", "быть", "оставаться", "остаться", "числиться"}
_FEMININE_WORDS = {"она", "её", "ее", "ей", "неё", "нее"}
# A price after "стоит" keeps the everyday nominative (стоит тысяча рублей).
_CURRENCY_STEMS = ("руб", "долл", "евро", "коп", "цент", "фунт", "юан")
# Pluralia tantum after a number (observed form -> "nom"/"gen"): 1 and 2-4 count them with a collective numeral
# ("на 1 сутки": одни сутки, "3 суток": трое суток).
_PLURALIA: dict[str, str] = {}
for _nom, _gen in (("сутки", "суток"), ("ножницы", "ножниц"), ("очки", "очков"), ("брюки", "брюк"),
                   ("джинсы", "джинсов"), ("ворота", "ворот"), ("сани", "саней"), ("санки", "санок"),
                   ("шорты", "шорт"), ("штаны", "штанов"), ("щипцы", "щипцов"), ("плоскогубцы", "плоскогубцев")):
    _PLURALIA[_nom], _PLURALIA[_gen] = "nom", "gen"
# Words before a section number ("п. 3.1", "раздел 2.4"): a dotted number after them is read like a version.
_SECTION_WORDS = ("пункт", "раздел", "глав", "стать", "част", "рисун", "таблиц", "приложени", "параграф", "§")
# Words before a shift pattern written as a fraction ("график 2/2": два через два).
_SCHEDULE_WORDS = ("график", "смен")
# Nouns that after в/на make a compound preposition governing the genitive.
_COMPOUND_GEN = {"течение", "течении", "протяжении", "размере", "количестве", "пределах", "районе", "возрасте",
                 "объёме", "объеме", "диапазоне", "ходе", "отсутствие", "сумме"}
# Abbreviated nouns after a year or century (with their dot): lemma and plural.
_YEAR_ABBR = {"г": ("год", False), "гг": ("год", True), "в": ("век", False), "вв": ("век", True)}
_LOCATIVE = {"в", "во", "на"}
_WEEKDAYS = {"понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"}
_WEEKDAYS_ACC = {"понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье"}
_COPULAR = {"сегодня", "завтра", "вчера", "это", "был", "была", "было", "будет", "есть", "—"}

# Ordinal suffix -> possible (case, gender, plural) readings, most likely first.
_SUFFIX: dict[str, list[tuple[str, str, bool]]] = {}
for _sufs, _opts in {
    "ый ий": [("nom", "m", False), ("acc", "m", False)],
    "й": [("nom", "m", False), ("acc", "m", False), ("gen", "f", False), ("dat", "f", False), ("ins", "f", False),
          ("prep", "f", False)],
    "ой": [("nom", "m", False), ("gen", "f", False), ("dat", "f", False), ("ins", "f", False),
           ("prep", "f", False)],
    "ей": [("gen", "f", False), ("dat", "f", False), ("ins", "f", False), ("prep", "f", False)],
    "го ого его ьего": [("gen", "m", False), ("gen", "n", False), ("acc", "m", False)],
    "му ому ему": [("dat", "m", False), ("dat", "n", False)],
    "м ом ем": [("prep", "m", False), ("prep", "n", False), ("dat", "m", True)],
    "ым ьим": [("ins", "m", False), ("ins", "n", False), ("dat", "m", True)],
    "я ая ья": [("nom", "f", False)],
    "ю ую ью": [("acc", "f", False)],
    "ое ье": [("nom", "n", False), ("acc", "n", False)],
    "е ые ьи": [("nom", "m", True), ("acc", "m", True), ("nom", "n", False), ("acc", "n", False)],
    "х ых ьих": [("gen", "m", True), ("prep", "m", True)],
    "ми ыми ьими": [("ins", "m", True)],
}.items():
    for _s in _sufs.split():
        _SUFFIX[_s] = _opts
SUFFIX_READINGS = _SUFFIX  # read by normalize.candidates_ru


def _neighbours(tokens: list[Token]) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.cls != "space"]


def _word(tok: Token | None) -> str:
    """The word a token reads as, lower-cased (an abbreviation's expansion: ``ок.`` -> ``около``; a Cyrillic acronym
    as written: ``ВОВ``, a noun)."""
    if tok is not None and tok.cls == "abbreviation":
        return str(tok.out or tok.fields["value"]).lower()  # (its reading in context: "в кон. 2024 г." -> конце)
    if tok is not None and tok.cls == "letters" and "." not in tok.text and not tok.text.isascii():
        return tok.text.lower()
    return tok.text.lower() if tok is not None and tok.cls == "word" else ""


def _count(tok: Token) -> int | None:
    """Integer that governs the noun, or None for decimals/fractions (they take the genitive singular)."""
    f = tok.fields
    if tok.cls in ("decimal", "measure", "money") and (f.get("frac") or f.get("fnum") or f.get("q")):
        return None
    if tok.cls == "fraction":
        return None
    digits = f.get("int", "")
    if digits.isdigit() and len(digits) <= 36:
        return int(digits)
    return None


class RussianAgreement:
    """Fills ``case``/``gender``/``animate``/``plural`` on Russian numeric tokens (see module docstring)."""

    def apply(self, tokens: list[Token]) -> None:
        idx = _neighbours(tokens)
        for k in range(len(idx) - 1, -1, -1):  # right to left: an abbreviated adjective agrees with the noun after it
            i = idx[k]
            if tokens[i].lang == "ru" and tokens[i].cls in ("abbreviation", "word"):
                self._abbreviation(tokens, idx, k)
            elif tokens[i].cls == "compound" and tokens[i].fields["abbreviated"]:  # "2-комн. кв-ру": комнатную
                tokens[i].fields["word"] = agreeing_adjective(tokens[i].fields["word"], tokens, idx, k) \
                    or tokens[i].fields["word"]
        for k in range(len(idx)):
            if tokens[idx[k]].cls == "fraction" and tokens[idx[k]].lang == "ru":
                _floor_of_floors(tokens, idx, k)
        for k in range(3, len(idx)):  # "в кон. XIX — нач. XX вв.": the second part in the first one's case (начале)
            tok, head = tokens[idx[k]], tokens[idx[k - 3]]
            if tok.cls == "abbreviation" and tokens[idx[k - 1]].text in _DASHES \
                    and tokens[idx[k - 2]].fields.get("century") and _word(tok) in _PERIOD_PARTS:
                form = form_of(_word(head))
                tok.out = inflect_phrase(_word(tok), form[0]) if form else tok.out
        for k in range(len(idx) - 1, -1, -1):
            tok = tokens[idx[k]]
            if tok.lang != "ru" or tok.cls not in NUMERIC:
                continue
            i = idx[k]
            as_low = range_ends(tokens, i + 1) if i + 1 < len(tokens) else None
            if as_low is not None and as_low[0] is tok:
                _copy_range(tok, as_low[1])  # the high end, to its right, is already done
                n = _count(tok)
                if k and _word(tokens[idx[k - 1]]) == "по" and tok.case == "acc" and n is not None and n % 10 == 1 \
                        and n % 100 != 11:
                    tok.case = "dat"  # distributive "по 1–2 капли": по одной-две
                continue
            as_high = range_ends(tokens, i - 1) if i > 0 else None
            day_range = tok.cls == "date" and k > 1 and tokens[idx[k - 1]].text in _DASHES \
                and tokens[idx[k - 2]].cls == "cardinal" and _opens_days(tokens[idx[k - 2]], tok)  # "12–13 октября"
            pk = k - 3 if day_range or (as_high is not None and as_high[1] is tok) else k - 1  # the range's governor
            if pk >= 0 and tokens[idx[pk]].text == "+" and idx[pk] + 1 == idx[pk + 1]:
                pk -= 1  # a sign: "до +3 °C" is governed by до (до плюс трёх градусов)
            if tok.cls in ("cardinal", "roman") and k + 2 < len(idx) and tokens[idx[k + 1]].text.lower() in _AND \
                    and tokens[idx[k + 2]].cls == tok.cls:
                _copy_range(tok, tokens[idx[k + 2]])  # "в XVIII и XIX веках": the same case as the second
                continue
            self._one(tok, tokens[idx[pk]] if pk >= 0 else None, tokens, idx, k, pk)
            if tok.cls == "date" and k + 2 < len(idx) and tokens[idx[k + 1]].text in _DASHES \
                    and tokens[idx[k + 2]].cls == "date" and "d" in tok.fields and "d" in tokens[idx[k + 2]].fields:
                tokens[idx[k + 2]].case = tok.case  # "пройдёт 12.10–13.10": both dates in the governed case
            spelled = k > 1 and tokens[idx[k - 1]].text.lower() in _RANGE_LINKS and tokens[idx[k - 2]].cls == tok.cls
            after_part = tok.cls == "roman" and k > 0 and _word(tokens[idx[k - 1]]) in PERIOD_HEADS  # "нач. XX вв."
            if (pk == k - 3 or spelled or after_part) and tok.cls in ("cardinal", "roman") and tok.fields.get("ordinal"):
                tok.plural = False  # "в 1812–1814 годах", "в XVIII и XIX веках": each year is one
        for i in idx:
            left = tokens[i].fields.pop("case_of", None)
            if left is not None and left.case:
                tokens[i].case = left.case  # "с 64 ГБ RAM и 2 SSD": с двумя, like the first conjunct
        for k, i in enumerate(idx):
            form = tokens[i].fields.get("year_form")
            if form and k + 1 < len(idx):
                lemma, case, plural = form
                tokens[i].out = "годов" if (lemma, case, plural) == ("год", "gen", True) else \
                    ru_noun(lemma).form(case, plural)  # "1914–1918 гг.": годов, not the counting form "лет"
                dot = tokens[idx[k + 1]]
                after = tokens[idx[k + 2]] if k + 2 < len(idx) else None
                if after is not None and not after.text[:1].isupper():
                    dot.out = ""

    @staticmethod
    def _abbreviation(tokens: list[Token], idx: list[int], k: int) -> None:
        """Inflect an abbreviation that stands for a noun phrase into the case its preposition governs
        (``на рис. 3`` -> ``на рисунке``, ``по тел.`` -> ``по телефону``); ``г.`` before a capitalized name is
        ``город`` (after a number it is ``год``, see :meth:`_ordinal_with_noun`)."""
        tok = tokens[idx[k]]
        if tok.text == "+":
            return  # "плюс" as a sign or an operator keeps its form
        if tok.cls == "word":
            if tok.text != "г" or k + 2 >= len(idx) or tokens[idx[k + 1]].text != "." \
                    or not tokens[idx[k + 2]].text[:1].isupper() or (k and tokens[idx[k - 1]].cls in NUMERIC):
                return
            value = "город"
            tokens[idx[k + 1]].out = " "  # (a space where none was written: "г.Москва")
        else:
            value = expansion(tokens, idx, k, str(tok.fields["value"]))
            if value in _SECTIONS and k > 1 and tokens[idx[k - 1]].cls == "cardinal" and _section_label(tokens[idx[k - 2]]):
                tok.out = inflect_phrase(value, "gen")  # "ч. 2 ст. 5": часть два статьи пять
                return
        j = k - 1
        if j >= 0 and tokens[idx[j]].cls in NUMERIC and tok.text.lower() in AFTER_NUMBER:
            value = AFTER_NUMBER[tok.text.lower()]  # "IV кв.": квартал, governed by the word before the number
            tok.out = value
            j -= 1
        elif j >= 0 and tokens[idx[j]].cls in ("ordinal", "compound"):
            j -= 1  # "на 3-м эт.", "Продам 3-комн. кв.": the adjective agrees with it, both governed by the word before
        word = _word(tokens[idx[j]]) if j >= 0 else ""
        adjective = ""
        if word and word not in PREPOSITIONS and j > 0 and word.endswith(_ADJ_ENDINGS):
            j -= 1  # "в Московской обл."
            adjective, word = word, _word(tokens[idx[j]])
        if word in _AND:
            word = _conjunct_governor(tokens, idx, j, ("abbreviation",)) or word  # "на о. Бали и оз. Байкал"
        cases = PREPOSITIONS.get(word)
        if word in ("с", "со") and j > 0 and _word(tokens[idx[j - 1]]) in _WITH_INS:
            cases = ("ins",)  # "рядом с пл. Победы": с площадью
        if cases is None and adjective:  # "в с. Ивановка Тульской обл.": the adjective's case (области)
            own = adjective_cases(adjective)
            cases = ("nom",) if "nom" in own else ("gen",) if "gen" in own else own[:1] or None
        nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
        if cases is None and word and nxt is not None and nxt.cls in NUMERIC and is_transitive_verb(word):
            cases = ("acc",)  # "Читайте гл. 5": главу (but "читает проф. Иванов": the subject)
        if cases is None and word and value not in _PERSON_TITLES and tokens[idx[j]].cls == "word" \
                and is_transitive_verb(word):
            cases = ("acc",)  # a thing right after a transitive verb is its object: "Продам 3-комн. кв.": квартиру
        plural = nxt is not None and idx[k + 1] + 1 < len(tokens) and range_ends(tokens, idx[k + 1] + 1) is not None
        if value in _WEEKDAYS and _weekday_list_after_po(tokens, idx, k):
            tok.out = inflect_phrase(value, "dat", plural=True)  # "по вт. и чт.": по вторникам и четвергам
            return
        if value in _PERSON_TITLES and verb_lemma(word) in _ROLE_VERBS:
            tok.out = inflect_phrase(value, "ins", feminine=_feminine_clause(tokens, idx, k))
            return  # "работает зам. директора": заместителем; "её назначили зав. кафедрой": заведующей
        if value in _PERSON_TITLES and word in ("с", "со"):
            tok.out = inflect_phrase(value, "ins")  # "с зам. директора": с заместителем
            return
        if (value in _PERSON_TITLES or value in _SECTIONS or value in _PERIOD_PARTS) and cases is None and word \
                and word != "не" and is_noun(word):
            tok.out = inflect_phrase(value, "gen")  # "статью акад. Лихачёва", "водитель кат. B": категории
            return
        head, _, last = value.rpartition(" ")  # "так называемый": the last word agrees
        agreed = agreeing_adjective(last, tokens, idx, k) if value not in _GOVERNING_TITLES else None
        agreed = f"{head} {agreed}" if agreed and head else agreed
        if agreed:  # "с/х техника": сельскохозяйственная, "на ж/д вокзале": железнодорожном
            tok.out = agreed
            return
        agree = adjective_case(value, nxt.text) if nxt is not None and nxt.cls == "word" else None
        name = form_of(nxt.text) if value in _PERSON_TITLES and cases and nxt is not None and nxt.cls == "word" \
            and nxt.text[:1].isupper() else None
        if agree:
            case = agree  # "эл. почту": the adjective takes the case of its noun
        elif name and name[0] in cases:
            case = name[0]  # "с проф. Ивановым": the title in its name's case
        elif not cases:
            case = "nom"
        elif word in _LOCATIVE:
            case = "acc" if value in _WEEKDAYS else "prep"
        else:
            case = cases[0]
        out = inflect_phrase(value, case, plural)  # "стр. 10–12": страницы
        if out != tok.fields.get("value") or tok.cls == "word":
            tok.out = out

    def _noun_after(self, tokens: list[Token], idx: list[int], k: int) -> tuple[int, bool]:
        """Position (in ``idx``) of the counted noun after position k, -1 if none, and whether it was found
        across a range link (at most three links: a longer chain of numbers counts nothing)."""
        j, across = k + 1, False
        while j < len(idx) and tokens[idx[j]].text.lower() in _RANGE_LINKS and j + 1 < len(idx) \
                and tokens[idx[j + 1]].cls in NUMERIC - {"date", "time"}:
            if j - k > 6:
                return -1, False
            j, across = j + 2, True
        if j >= len(idx) or not noun_text(tokens[idx[j]]):
            return -1, False
        if across:
            return self._noun_after(tokens, idx, j - 1)[0], True
        cand = tokens[idx[j]]
        if not analyze(cand.text) and cand.text.lower().endswith(_ADJ_ENDINGS) and j + 1 < len(idx) \
                and tokens[idx[j + 1]].cls == "word" and analyze(tokens[idx[j + 1]].text):
            return j + 1, False
        return j, False

    def _one(self, tok: Token, prev: Token | None, tokens: list[Token], idx: list[int], k: int, pk: int) -> None:
        """``prev`` (at ``idx[pk]``) is the governing word: the one before the number, or before its range."""
        prep = _word(prev)
        if prep in ("более", "менее") and pk > 0 and _word(tokens[idx[pk - 1]]) == "не":
            prep = "более"
        conjunct = prep in _AND and tok.cls != "date" and _conjunct_governor(tokens, idx, pk, NUMERIC)
        if conjunct:
            prep = conjunct  # "с 12 потоками и 32 ГБ памяти": с
        allowed = PREPOSITIONS.get(prep)
        if allowed is None and pk > 0 and tok.cls in ("cardinal", "money", "measure", "decimal") and is_dative(prep) \
                and is_transitive_verb(_word(tokens[idx[pk - 1]])):
            prep = _word(tokens[idx[pk - 1]])  # "перевёл другу $1 500": the verb's object (тысячу пятьсот долларов)
        if prep in _COMPOUND_GEN and pk > 0 and _word(tokens[idx[pk - 1]]) in ("в", "во", "на"):
            allowed = ("gen",)  # a compound preposition: "в течение 10 дней", "в размере 500 рублей"
        lemma = verb_lemma(prep) if allowed is None and prep else ""
        if lemma in _GEN_VERBS or prep == "нет" or (
                lemma in _NEG_GEN_VERBS and pk > 0 and _word(tokens[idx[pk - 1]]) == "не"):
            allowed = ("gen",)  # "достигла 90 °C": девяноста градусов; "не хватает 300 ₽": трёхсот рублей
        if allowed is None and prep and _ages_after_person(prep, tokens, idx, k):
            allowed = ("gen",)  # "для детей 6–10 лет", "мальчик 5 лет": шести-десяти, пяти
        if allowed is None and prep and is_comparative(prep):
            allowed = ("gen",)  # "старше 18 лет", "дешевле 500 рублей"
        counting = ("gen", "ins") if prep in ("с", "со") else allowed  # "с 3 пути": no accusative of measure
        if allowed is None and lemma in _MEASURE_VERBS and tok.cls in NUMERIC - {"date", "time", "ordinal", "money"} \
                and not (k + 1 < len(idx) and _word(tokens[idx[k + 1]]).startswith(_CURRENCY_STEMS)):
            allowed = ("acc",)  # "весит 1,2 ГБ": одну целую две десятых гигабайта
            counting = ("acc", *(c for c in _ALL_CASES if c != "acc"))
        if allowed is None and prep and tok.cls in ("cardinal", "fraction", "decimal", "measure", "money") \
                and is_transitive_verb(prep):
            allowed = ("acc",)  # "добавьте 1–2 ложки": одну-две
            counting = ("acc", *(c for c in _ALL_CASES if c != "acc"))  # a guess: "пришли 3 студента" (subject)
        j, across = self._noun_after(tokens, idx, k)
        noun_tok = tokens[idx[j]] if j >= 0 else None
        readings = analyze(noun_text(noun_tok)) if noun_tok is not None else []
        if conjunct and not readings:
            tok.fields["case_of"] = next((tokens[idx[g]] for g in range(pk - 1, max(-1, pk - 5), -1)
                                          if tokens[idx[g]].cls in NUMERIC), None)  # "с 64 ГБ RAM и 2 SSD"
        if allowed == ("acc",) and readings and readings[0][0].animate and _subject_after(prep, tokens, idx, pk):
            allowed = counting = None  # "обращение подписали 1 200 жителей": the people are the subject
        if allowed:
            tok.fields["allowed"] = allowed
        year_abbr = noun_tok is not None and noun_tok.text in _YEAR_ABBR and j + 1 < len(idx) \
            and tokens[idx[j + 1]].text == "."
        cls = tok.cls
        if tok.fields.get("v"):  # "v1.4.2": версия, unless the word before already says it
            tok.fields["v_word"] = not prep.startswith("верси")
            tok.case = allowed[0] if allowed else "nom"
            return
        if cls == "cardinal" and _section_label(prev) and len(tok.fields["int"]) <= 6:
            tok.case = "nom"  # a label, counting nothing: "ч. 1 ст. 12" -> часть один статьи двенадцать
            return
        if cls == "fraction" and not tok.fields["whole"] and any(
                _word(tokens[idx[g]]).startswith(_SCHEDULE_WORDS) for g in range(max(0, k - 3), k)):
            tok.fields["schedule"] = True  # "график работы 2/2": два через два
            return
        if cls == "fraction" and not tok.fields["whole"] and is_score(tokens, idx, k, k, tok.fields["den"], WORDS_RU, _word):
            tok.fields["out_of"] = True  # "оценка 9/10": девять из десяти
            return
        if cls == "fraction":
            tok.fields["quantity"] = noun_tok is not None  # "3/4 стакана": три четверти
            agree = [(c, noun.gender) for noun, c, _ in readings if not allowed or c in allowed]
            if tok.fields.get("years") and agree:  # "в 2024/2025 учебном году": двадцать четвёртом — ...
                tok.case, tok.gender = agree[0]
                return
        if cls == "decimal" and tok.fields.get("sep") == "." and prev is not None and not tok.fields.get("q") and (
                prep.startswith(("верси", *_SECTION_WORDS)) or (prev.cls in ("word", "letters") and prev.text.isascii())
                or (prep in PREPOSITIONS and pk > 0 and tokens[idx[pk - 1]].cls == "word"
                    and tokens[idx[pk - 1]].text.isascii())):  # "обнови Python до 3.12" (not "IELTS на 7.5")
            tok.fields["version"] = True  # "версия iOS 17.2", "Python 3.11", "п. 3.1": пункт три точка один
            return
        if cls == "date":
            if prep in _AND and pk >= 2 and tokens[idx[pk - 1]].cls == "cardinal":
                prev = tokens[idx[pk - 2]]  # "пройдут 5 и 6 мая": governed like the first day
                prep, pk = _word(prev), pk - 2
                allowed = PREPOSITIONS.get(prep)
            tok.case = "acc" if prep in ("по", "на") else (allowed[0] if allowed and prep not in ("в", "во") else "nom")
            if "quarter" in tok.fields and prep in ("в", "во"):
                tok.case = "prep"  # "в Q3 2025": в третьем квартале
            nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
            before = _word(tokens[idx[pk - 1]]) if pk > 1 and _word(tokens[idx[pk - 2]]) in ("в", "во") else ""
            if not allowed and prev is not None and prev.cls == "word" and prep not in _COPULAR:
                tok.case = "gen"  # adverbial date: "мы встретились 1 мая" -> "первого мая"
            elif (prev is None or prev.text in ".!?") and nxt is not None and nxt.cls == "word":
                tok.case = "gen"  # "9 мая 1945 года закончилась война"
            elif (prev is None or prev.text in ".!?,") and _verb_follows(tokens, idx, k):
                tok.case = "gen"  # "Ровно 10 лет назад, 6 декабря 2016 г., открылся наш магазин"
            elif prev is not None and prev.text == "," and before in _WEEKDAYS_ACC | _WEEKDAYS or (
                    prep in _WEEKDAYS_ACC and pk > 0 and _word(tokens[idx[pk - 1]]) in ("в", "во")):
                tok.case = "gen"  # "в субботу, 12 октября", "в пт 15.03"
            elif prep in ("с", "со") and tok.fields.get("words") and tok.text.split()[1][:1].isupper():
                tok.case = "ins"  # a holiday: "с 8 Марта" -> с восьмым марта
            elif tok.case == "nom" and k + 2 < len(idx) and _word(tokens[idx[k + 1]]) in ("в", "во") \
                    and tokens[idx[k + 2]].cls == "time":
                tok.case = "gen"  # a date with its hour is when something happens: "рейс — 14.08 в 06:45"
            return
        if prep == "по" and cls in ("cardinal", "measure", "money") and (_count(tok) or 1) % 10 != 1 and not any(
                c == "dat" and plural for _, c, plural in readings):  # (not "по 3 позициям": трём)
            allowed = counting = ("acc",)  # distributive "по": "по два яблока", "по двести рублей"
        if cls in ("time", "measure", "money"):
            tok.case = allowed[0] if allowed else "nom"
            if cls == "time" and prep == "на" and tok.fields["m"] and not tok.fields["s"] and not tok.fields.get("tz"):
                tok.fields["short"] = True  # a time set or moved to, as the clock shows it: "на 6:05": шесть ноль пять
            if prep in ("с", "со") and cls == "measure" and not (k + 1 < len(idx) and _word(tokens[idx[k + 1]])
                                                               in ("до", "по")):
                tok.case = "ins"  # "с 32 ГБ памяти" (but "с 5 до 10 кг")
            if prep in ("в", "во") and k + 1 < len(idx) and (tokens[idx[k + 1]].text == "от" or (
                    cls == "measure" and tokens[idx[k + 1]].cls == "word" and is_genitive_noun(tokens[idx[k + 1]].text)
                    and tokens[idx[k + 1]].text.lower() not in ("утра", "дня", "вечера", "ночи"))):
                tok.case = "prep"  # "в 5 км от города", "в 90 % случаев": в девяноста процентах
            return
        if cls == "cardinal" and k + 2 < len(idx) and tokens[idx[k + 1]].text in _RANGE_LINKS | {"на"} \
                and tokens[idx[k + 2]].cls == "date" and _opens_days(tok, tokens[idx[k + 2]]):  # "с 5 на 6 мая"
            tok.fields["ordinal"] = True  # "с 1 по 5 мая": the day before the date
            tok.case, tok.gender = (allowed[0] if allowed else "nom"), "n"
            link, date = tokens[idx[k + 1]].text.lower(), tokens[idx[k + 2]]
            if link in _AND and prep in PREPOSITIONS:
                date.case = tok.case  # "между 12 и 14 ноября": двенадцатым и четырнадцатым
            elif link in _DASHES or link in _AND:
                tok.case = date.case  # "12–13 октября", "пройдут 5 и 6 мая": both days in the date's case
            return
        if cls == "ordinal":
            day = noun_tok is not None and not across and noun_tok.text.lower() in MONTHS_GEN or (
                not readings and tok.fields["suf"] in ("е", "ое") and k > 1 and tokens[idx[k - 2]].cls == "ordinal"
                and tokens[idx[k - 2]].fields["suf"] in ("го", "ого"))  # "с 1-го по 5-е": по пятое (число)
            unit = RU_UNITS.get(noun_tok.text.rstrip(".")) if noun_tok is not None and not across and (
                noun_tok.cls == "word" or noun_tok.cls == "abbreviation" and noun_tok.text.endswith(".")) \
                and noun_tok.text not in PREPOSITIONS and noun_tok.text not in _YEAR_ABBR else None  # (or "мин.")
            if unit is not None and (unit[0] or unit[2]):
                unit = None  # (a unit with an adjective or a tail is no single noun)
            if unit is not None:  # "на 25-м км", "на 5-й мин.": the unit in the ordinal's case
                readings = [(ru_noun(unit[1]), c, False) for c in _ALL_CASES]
            self._ordinal(tok, readings, allowed, day, after_verb=not allowed and is_finite_verb(prep))
            if unit is not None and noun_tok is not None:
                noun_tok.out = ru_noun(unit[1]).form(tok.case, tok.plural)
                if j + 2 < len(idx) and tokens[idx[j + 1]].text == "." and tokens[idx[j + 2]].text[:1].islower():
                    tokens[idx[j + 1]].out = ""  # the unit's own dot
            if year_abbr and noun_tok is not None and tok.plural:  # "в 1990-х гг.": девяностых годах
                noun_tok.fields["year_form"] = (_YEAR_ABBR[noun_tok.text][0], tok.case, True)
            return
        if cls == "cardinal" and noun_tok is not None and noun_tok.cls == "abbreviation" and not across \
                and prep in _LOCATIVE and readings and readings[0][0].lemma in _NUMBERED and len(tok.fields["int"]) <= 4:
            noun = readings[0][0]  # "на 5 эт.", "в 3 каб.": where, so the prepositional (на пятом этаже)
            tok.fields["ordinal"] = True
            tok.case, tok.gender, tok.plural = "prep", noun.gender, False
            noun_tok.out = noun.form("prep", False)
            return
        after = tokens[idx[k + 1]] if k + 1 < len(idx) else None
        if cls == "cardinal" and after is not None and after.cls == "abbreviation" \
                and str(after.fields["value"]).startswith("года "):
            tok.fields["ordinal"] = True  # "1990 г.р.": тысяча девятьсот девяностого года рождения
            tok.case, tok.gender = "gen", "m"
            return
        n = _count(tok)
        count_case = self._count_case(n, readings, counting, noun_tok) if readings and not across else None
        if cls == "cardinal" and not tok.fields.get("sign") and len(tok.fields["int"]) <= 4 and n is not None and (
                year_abbr or self._numbering(n, readings, count_case, tok.fields["int"], allowed)):
            self._ordinal_with_noun(tok, readings, allowed, across, year_abbr, noun_tok, prep)
            return
        if cls == "roman" and tok.fields.get("century"):
            tok.case, tok.gender, tok.plural = "gen", "m", False  # "в конце XIX — ...": девятнадцатого (века)
            return
        if cls == "roman":
            source = tok.fields.get("after_name") or tok.fields.get("title_noun")
            form = form_of(source) if source else form_of(tok.fields["adjective"], "ADJF") \
                if tok.fields.get("adjective") else None
            if form is not None:
                case = form[0]
                if allowed and case not in allowed:  # "на XXII Олимпийских играх": the adjective's prepositional
                    own = [c for c in adjective_cases(tok.fields.get("adjective") or "") if c in allowed]
                    case = "prep" if "prep" in own and prep in _LOCATIVE else own[0] if own else allowed[0]
                tok.case, tok.gender = case, form[1]
                tok.plural = form[2] and not source  # "XXII зимние игры": двадцать вторые
                return
            if readings or year_abbr:
                self._ordinal_with_noun(tok, readings, allowed, across, year_abbr, noun_tok, prep)
            return
        pluralia = _PLURALIA.get(noun_text(noun_tok).lower()) if noun_tok is not None and not across else None
        if cls == "cardinal" and n is not None and pluralia and n % 100 not in (11, 12, 13, 14) and (
                n % 10 == 1 or (n % 10 in (2, 3, 4) and pluralia == "gen")):
            tok.fields["collective"] = True  # "на 1 сутки": одни, "уйдёт 3 суток": трое
            tok.case = allowed[0] if allowed and allowed != ("acc",) else "gen" if pluralia == "gen" and n % 10 == 1 \
                else "nom"
            return
        if count_case is not None:
            noun = count_case[1]
            tok.case, tok.gender, tok.animate = count_case[0], noun.gender, count_case[2]
            if prev is not None and prev.cls in ("word", "abbreviation"):
                tok.fields["counted"] = True  # "в 1,5 раза": полтора (a bare "1,5 литра" keeps the corpus reading)
                if cls == "decimal" and tok.fields.get("int") == "1" and tok.fields.get("frac") == "5" \
                        and tok.case not in ("nom", "acc") and noun_tok is not None and noun_tok.cls == "word":
                    noun_tok.out = noun.form(tok.case, True)  # "около 1,5 часа": около полутора часов
                    tok.fields["sesqui"] = True
            if n is not None and noun_tok is not None:
                word = noun_text(noun_tok).lower().replace("ё", "е")
                tok.fields["fixed"] = [(c, False) for c in _ALL_CASES
                                       if noun.form(*noun_number(n, c, noun.animate)).replace("ё", "е") == word]
            return
        if cls == "cardinal" and k + 2 < len(idx) and _word(tokens[idx[k + 1]]) == "из" \
                and tokens[idx[k + 2]].cls == "cardinal":  # "в 2 из 3 случаев": в двух (случаях) из трёх
            tok.case = "prep" if prep in ("в", "во") else allowed[0] if allowed else "nom"
            tok.gender = tokens[idx[k + 2]].gender
            return
        tok.case = allowed[0] if allowed else "nom"
        if readings:
            tok.gender, tok.animate = readings[0][0].gender, readings[0][0].animate
        elif noun_tok is not None and n is not None:
            tok.gender = _guess_gender(noun_text(noun_tok).lower(), n)

    @staticmethod
    def _count_case(n: int | None, readings: list[tuple[Noun, str, bool]], allowed: tuple[str, ...] | None,
                    noun_tok: Token | None) -> tuple[str, Noun, bool] | None:
        """Case in which ``n`` counts the observed noun form, if any, and whether the numeral takes the animate
        accusative (``на четырёх человек``; ``на четыре человека`` and distributive ``по три человека`` do not)."""
        if noun_tok is None:
            return None
        word = noun_text(noun_tok).lower().replace("ё", "е")
        for case in allowed or _ALL_CASES:
            for noun, _, _ in readings:
                for animate in (True, False) if noun.animate else (False,):
                    want_case, want_plural = noun_number(n, case, animate) if n is not None else ("gen", False)
                    if noun.form(want_case, want_plural).replace("ё", "е") == word:
                        return case, noun, animate
        return None

    @staticmethod
    def _numbering(n: int, readings: list[tuple[Noun, str, bool]], count_case: tuple[str, Noun, bool] | None,
                   digits: str, allowed: tuple[str, ...] | None = None) -> bool:
        """Whether the number names an item (year, century, page) rather than counting nouns: a singular noun that
        no count reading explains, in a case the preposition governs (``с 3 пути``, ``к 15 числу``)."""
        singular = [r for r in readings if not r[2]] or \
            [r for r in readings if r[0].lemma == "год" and r[0].form(r[1], r[2]) != "лет"]
        if not singular:
            return False  # a plural noun counts, except years ("в 1812–1814 годах")
        lemma = singular[0][0].lemma
        if lemma in _DAY_PARTS and singular[0][1] == "gen":
            return False  # an hour of the day: "с 9 утра", "в 3 дня"
        if lemma == "год" and len(digits) == 4:
            return True
        if lemma == "век" and not (count_case and n % 10 in (2, 3, 4)):
            return True
        if lemma in _NUMBERED and n > 20 and n % 10 == 1 and singular[0][1] not in ("nom", "acc"):
            return True  # "в 301 аудитории": триста первой (a room is numbered, not counted one by one)
        return count_case is None and (known(singular[0][0]) or any(r[1] in (allowed or ("nom",)) for r in singular))

    def _ordinal_with_noun(self, tok: Token, readings: list[tuple[Noun, str, bool]], allowed: tuple[str, ...] | None,
                           across: bool, year_abbr: bool, noun_tok: Token | None, prep: str) -> None:
        tok.fields["ordinal"] = True
        tok.gender = readings[0][0].gender if readings else "m"
        if year_abbr:
            lemma, plural = _YEAR_ABBR[noun_tok.text] if noun_tok is not None else ("год", False)
            case = "prep" if prep in ("в", "во") else "acc" if prep == "по" else allowed[0] if allowed else \
                "gen" if prep not in _COPULAR and is_noun(prep) else "nom"  # "война 1914–1918 гг.": годов
            tok.case, tok.plural = case, plural
            if noun_tok is not None and not across:
                noun_tok.fields["year_form"] = (lemma, case, plural)
                tok.fields["fixed"] = [(case, plural)]
            return
        if across:
            tok.case = allowed[0] if allowed else "nom"
            return
        ordered = [r for r in readings if not r[2]] + [r for r in readings if r[2]]
        for _noun, ncase, nplural in ordered:  # a number names one item: "в 301 аудитории", "орденом III степени"
            for case in allowed or _ALL_CASES:
                if ncase == case and (tok.cls != "roman" or not nplural or not any(not r[2] for r in readings)):
                    tok.case, tok.plural = case, nplural
                    tok.fields["fixed"] = [(c, p) for noun, c, p in readings if noun.gender == tok.gender]
                    return
        tok.case = allowed[0] if allowed else readings[0][1] if readings else "nom"

    def _ordinal(self, tok: Token, readings: list[tuple[Noun, str, bool]], allowed: tuple[str, ...] | None,
                 day: bool = False, after_verb: bool = False) -> None:
        """``day``: the ordinal is a day of the month (``3-е сентября``), a neuter singular; ``after_verb``: it follows a
        verb with no preposition, so it is in no prepositional case (``он пришёл 3-м``: третьим)."""
        suf = tok.fields["suf"]
        n = int(tok.fields["int"]) if len(tok.fields["int"]) <= 36 else 0
        small = n % 100 not in (12, 13, 14)
        if suf in ("ти", "и") or (suf == "ми" and n % 10 in (7, 8) and small) or \
                (suf == "х" and n % 10 in (2, 3, 4) and small):
            tok.fields["as_cardinal"] = True
            tok.case = allowed[0] if allowed and allowed[0] != "acc" else "gen"
            return
        opts = _SUFFIX.get(suf, [("nom", "m", False)])
        if after_verb and not readings:
            opts = [o for o in opts if o[0] != "prep"] or opts
        if day:
            opts = [(c, "n", False) for c, _, plural in opts if not plural] or opts
        chosen = None
        for case, gender, plural in opts:
            if allowed and case not in allowed:
                continue
            for noun, ncase, nplural in readings:
                if ncase == case and nplural == plural and (plural or noun.gender == gender or (
                        gender == "m" and noun.gender == "n" and case not in ("nom", "acc"))):  # "на 5-й авеню": f
                    chosen = (case, noun.gender if not plural else gender, plural)
                    break
            if chosen:
                tok.fields["fixed"] = [(c, p) for c, g, p in opts if any(
                    nc == c and np == p and (p or nn.gender == chosen[1]) for nn, nc, np in readings)]
                break
        if chosen is None:
            pool = [o for o in opts if not allowed or o[0] in allowed] or opts
            chosen = pool[0]
        tok.case, tok.gender, tok.plural = chosen


def _section_label(tok: Token | None) -> bool:
    """Whether ``tok`` names a numbered part (``ч.``, ``пункту``, ``глава``), so that the number after it is its label."""
    if tok is None or tok.cls not in ("word", "abbreviation"):
        return False
    if tok.cls == "abbreviation":
        return str(tok.fields["value"]) in _SECTIONS
    readings = analyze(tok.text)
    return bool(readings) and readings[0][0].lemma in _SECTIONS


def _verb_follows(tokens: list[Token], idx: list[int], k: int) -> bool:
    """Whether a finite verb follows ``idx[k]`` in its sentence (within a dozen tokens)."""
    for j in range(k + 1, min(len(idx), k + 13)):
        t = tokens[idx[j]]
        if t.text in (".", "!", "?", "…", "—", ":"):
            return False
        if t.cls == "word" and is_finite_verb(t.text):
            return True
    return False


def _conjunct_governor(tokens: list[Token], idx: list[int], j: int, kinds: tuple[str, ...] | set[str]) -> str:
    """The preposition governing the first conjunct when ``idx[j]`` is "и"/"или" after a conjunct led by a token of
    one of ``kinds`` (``с 12 потоками и 32 ГБ``: с; ``на о. Бали и оз. Байкал``: на); empty when there is none."""
    for g in range(j - 2, max(-1, j - 5), -1):
        word = _word(tokens[idx[g]])
        if word in PREPOSITIONS and tokens[idx[g + 1]].cls in kinds:
            return "" if word in _RANGE_LINKS else word  # ("от 3 до 5 лет и 7 взрослых": no common governor)
        if tokens[idx[g]].cls == "punct":
            return ""
    return ""


def _feminine_clause(tokens: list[Token], idx: list[int], k: int) -> bool:
    """Whether the clause before ``idx[k]`` speaks of a woman: a feminine pronoun or a feminine past verb."""
    for j in range(k - 1, -1, -1):
        t = tokens[idx[j]]
        if t.cls == "punct":
            return False
        if t.cls == "word" and (t.text.lower() in _FEMININE_WORDS or is_feminine_past(t.text)):
            return True
    return False


def _weekday_list_after_po(tokens: list[Token], idx: list[int], k: int) -> bool:
    """Whether the weekday at ``idx[k]`` is in a list of weekdays led by distributive ``по``."""
    j = k - 1
    while j >= 0 and (tokens[idx[j]].text in (",", "и", "или") or _word(tokens[idx[j]]) in _WEEKDAYS):
        j -= 1
    return j >= 0 and _word(tokens[idx[j]]) == "по"


def _subject_after(verb: str, tokens: list[Token], idx: list[int], pk: int) -> bool:
    """Whether a plural verb at ``idx[pk]`` has no plural subject before it in its clause, so that the counted
    people after it are its subject."""
    if not is_plural_verb(verb):
        return False
    for j in range(pk - 1, -1, -1):
        t = tokens[idx[j]]
        if t.cls == "punct" or t.cls in NUMERIC:
            break  # the clause starts here
        if t.cls == "word" and is_plural_subject(t.text):
            return False
    return True


def _ages_after_person(word: str, tokens: list[Token], idx: list[int], k: int) -> bool:
    """Whether the number at ``idx[k]`` gives an age (``лет``, ``года``, ``месяцев``) of the person ``word`` names,
    which Russian says in the genitive; a dative person is the copular "Сыну 5 лет" (nominative)."""
    j = k + 1
    while j + 1 < len(idx) and tokens[idx[j]].text in _RANGE_LINKS and tokens[idx[j + 1]].cls in NUMERIC:
        j += 2
    if j >= len(idx) or tokens[idx[j]].text.lower() not in ("лет", "года", "годика", "месяцев", "месяца") or (
            j + 1 < len(idx) and tokens[idx[j + 1]].text.lower() in ("назад", "спустя")):
        return False  # (a time span: "не видел детей 5 лет назад")
    readings = analyze(word)
    return bool(readings) and all(noun.animate for noun, _, _ in readings) and \
        not any(case == "dat" for _, case, _ in readings)


def _floor_of_floors(tokens: list[Token], idx: list[int], k: int) -> None:
    """``5/9 эт.``, ``этаж 5/9``: a floor of a building's floors, "пятый из девяти (этажей)"; after "на" the
    prepositional (``на 5/9 эт.``: на пятом из девяти этажей)."""
    tok = tokens[idx[k]]
    f = tok.fields
    if f.get("whole") or not (f["num"].isdigit() and f["den"].isdigit() and 0 < int(f["num"]) <= int(f["den"]) <= 200):
        return
    nxt = tokens[idx[k + 1]] if k + 1 < len(idx) else None
    prev = tokens[idx[k - 1]] if k else None
    after = nxt is not None and nxt.text.lower() in ("эт.", "эт", "этаж", "этаже", "этажа")
    if not after and not (prev is not None and prev.text.lower() in ("этаж", "этаж:", "эт.")):
        return
    case = "prep" if prev is not None and prev.text.lower() == "на" else "nom"
    tok.out = f"{ordinal(int(f['num']), case)} из {cardinal(int(f['den']), 'gen')}"
    if after and nxt is not None:
        nxt.out = "этажей"


def _opens_days(low: Token, date: Token) -> bool:
    """Whether the number ``low`` before ``date`` is the first day of a span ending on it: a day of the month
    earlier than the date's day (``12–13 октября``, not ``iOS 18 — 16.09.2024``)."""
    n, day = str(low.fields.get("int", "")), date.fields.get("d")
    return n.isdigit() and 1 <= int(n) <= 31 and (day is None or int(n) < int(day))


def _copy_range(low: Token, high: Token) -> None:
    """The low end of a range reads like its high end: ``4–5 раз`` -> четыре-пять, ``50–60-х`` -> пятидесятых."""
    low.case, low.gender, low.animate, low.plural = high.case, high.gender, high.animate, high.plural
    if high.fields.get("q") in QUANTITY_RU:  # "2–3 тыс. рублей": две-три (тысячи)
        low.gender = ru_noun(SCALE_RU[QUANTITY_RU[str(high.fields["q"])]]).gender
    if high.fields.get("ordinal") or (high.cls == "ordinal" and not high.fields.get("as_cardinal")):
        low.fields["ordinal"] = True
    for key in ("allowed", "fixed", "counted"):
        if key in high.fields:
            low.fields[key] = high.fields[key]


def _guess_gender(word: str, n: int) -> str:
    """Gender of an unknown counted noun from its ending (``2 кошки`` -> feminine)."""
    last, last2 = n % 10, n % 100
    if last in (2, 3, 4) and not 12 <= last2 <= 14:
        return "f" if word.endswith(("и", "ы")) else "m"
    if last == 1 and last2 != 11:
        return "f" if word.endswith(("а", "я", "у", "ю")) else "n" if word.endswith(("о", "е")) else "m"
    return "m"
