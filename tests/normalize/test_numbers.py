"""Number-word generators: Russian case/gender agreement and English readings; agreement with a counted noun in
sentences."""

from __future__ import annotations

import pytest

from qtts.normalize import Normalizer
from qtts.normalize import en_numbers as en
from qtts.normalize import ru_numbers as ru

NORM = Normalizer()


@pytest.mark.parametrize(("n", "case", "gender", "animate", "expected"), [
    (1, "nom", "f", False, "одна"),
    (21, "acc", "f", False, "двадцать одну"),
    (2, "acc", "m", True, "двух"),
    (22, "acc", "m", True, "двадцать два"),
    (3, "gen", "m", False, "трёх"),
    (4, "ins", "m", False, "четырьмя"),
    (8, "ins", "m", False, "восемью"),
    (40, "gen", "m", False, "сорока"),
    (90, "dat", "m", False, "девяноста"),
    (100, "gen", "m", False, "ста"),
    (300, "gen", "m", False, "трёхсот"),
    (500, "ins", "m", False, "пятьюстами"),
    (1000, "nom", "m", False, "тысяча"),
    (2000, "gen", "m", False, "двух тысяч"),
    (5000, "nom", "m", False, "пять тысяч"),
    (1_000_000, "nom", "m", False, "один миллион"),
    (2_000_003, "nom", "m", False, "два миллиона три"),
    (146_447_424, "nom", "m", False,
     "сто сорок шесть миллионов четыреста сорок семь тысяч четыреста двадцать четыре"),
    (0, "gen", "m", False, "ноля"),
])
def test_ru_cardinal(n: int, case: str, gender: str, animate: bool, expected: str) -> None:
    assert ru.cardinal(n, case, gender, animate) == expected


@pytest.mark.parametrize(("n", "case", "gender", "plural", "expected"), [
    (1, "nom", "n", False, "первое"),
    (3, "gen", "m", False, "третьего"),
    (3, "nom", "f", False, "третья"),
    (40, "prep", "m", False, "сороковом"),
    (1990, "gen", "m", False, "тысяча девятьсот девяностого"),
    (2000, "nom", "m", False, "двухтысячный"),
    (2024, "gen", "m", False, "две тысячи двадцать четвёртого"),
    (1960, "gen", "m", True, "тысяча девятьсот шестидесятых"),
    (300_000, "nom", "m", False, "трёхсоттысячный"),
    (1_000_000, "nom", "m", False, "миллионный"),
    (6, "nom", "m", False, "шестой"),
])
def test_ru_ordinal(n: int, case: str, gender: str, plural: bool, expected: str) -> None:
    assert ru.ordinal(n, case, gender, plural) == expected


def test_ru_noun_number() -> None:
    assert ru.noun_number(4, "acc", animate=True) == ("gen", True)  # на четырёх человек
    assert ru.noun_number(22, "acc", animate=True) == ("gen", False)  # на двадцать два человека
    assert ru.noun_number(1, "nom") == ("nom", False)
    assert ru.noun_number(3, "nom") == ("gen", False)
    assert ru.noun_number(12, "acc") == ("gen", True)
    assert ru.noun_number(5, "dat") == ("dat", True)


@pytest.mark.parametrize(("n", "use_and", "expected"), [
    (123, True, "one hundred and twenty three"),
    (123, False, "one hundred twenty three"),
    (18_081, True, "eighteen thousand and eighty one"),
    (123_000_012, True, "one hundred twenty three million twelve"),
    (-2, False, "minus two"),
])
def test_en_cardinal(n: int, use_and: bool, expected: str) -> None:
    assert en.cardinal(n, use_and) == expected


@pytest.mark.parametrize(("n", "expected"), [(1506, "fifteen oh six"), (2006, "two thousand six"),
                                             (2012, "twenty twelve"), (1900, "nineteen hundred"),
                                             (2000, "two thousand")])
def test_en_year(n: int, expected: str) -> None:
    assert en.year(n) == expected


def test_en_ordinal() -> None:
    assert [en.ordinal(n) for n in (1, 2, 3, 5, 12, 20, 21, 100)] == [
        "first", "second", "third", "fifth", "twelfth", "twentieth", "twenty first", "one hundredth"]


@pytest.mark.parametrize(("text", "want"), [
    # an animate noun counted by 2-4 in the accusative: the numeral and the noun in the genitive plural
    ("Палатка рассчитана на 4 человек.", "Палатка рассчитана на четырёх человек."),
    ("Я видел 3 студентов.", "Я видел трёх студентов."),
    ("Пришли 3 студента.", "Пришли три студента."),  # the noun's form shows the subject, not a verb's object
    ("Места на 4 человека.", "Места на четыре человека."),  # the inanimate-style accusative is Russian too
    ("Сидят по 3 человека в группе.", "Сидят по три человека в группе."),  # distributive "по"
    # a singular noun no count reading explains: the number names the item
    ("Поезд отправляется с 3 пути.", "Поезд отправляется с третьего пути."),
    ("Оплатите счёт к 15 числу.", "Оплатите счёт к пятнадцатому числу."),
    ("Работаем с 9 утра до 6 вечера.", "Работаем с девяти утра до шести вечера."),  # hours of the day still count
    ("Приходите с 3 детьми.", "Приходите с тремя детьми."),
    ("Встречаемся на 5-й авеню.", "Встречаемся на пятой авеню."),  # "-й" with a feminine noun is not accusative
    # compound prepositions govern the genitive
    ("Ответим в течение 10 дней.", "Ответим в течение десяти дней."),
    ("Штраф в размере 500 рублей.", "Штраф в размере пятисот рублей."),
    ("Для детей в возрасте 5 лет.", "Для детей в возрасте пяти лет."),
    ("В комнате 5 человек.", "В комнате пять человек."),  # a plain noun after в is no such preposition
    # a person's age after the person is genitive; a dative person is the copular "Сыну пять лет"
    ("Секция для детей 6–10 лет.", "Секция для детей шести-десяти лет."),
    ("Пропал мальчик 5 лет.", "Пропал мальчик пяти лет."),
    ("Сыну 5 лет.", "Сыну пять лет."),
    ("Видел детей 5 лет назад.", "Видел детей пять лет назад."),
    # "N из M": the first number counts the same noun
    ("В 2 из 3 случаев боль проходит.", "В двух из трёх случаев боль проходит."),
    ("Прочитал 2 из 3 книг.", "Прочитал две из трёх книг."),
    # an ordinal before a unit abbreviation: the unit as a noun in the ordinal's case
    ("Авария на 25-м км трассы.", "Авария на двадцать пятом километре трассы."),
    ("Гол на 5-й мин. матча.", "Гол на пятой минуте матча."),
    ("В 95% случаев всё хорошо.", "В девяноста пяти процентах случаев всё хорошо."),  # в + a measure of a whole
    # a verb that governs the genitive
    ("Температура достигла 90 градусов.", "Температура достигла девяноста градусов."),
    ("Мы ждали 2 часа.", "Мы ждали два часа."),  # (a duration: accusative)
    # a negated verb of having/lacking, and "нет", govern the genitive
    ("Не хватает 300 ₽ на счёте.", "Не хватает трёхсот рублей на счёте."),
    ("Нет 2 книг.", "Нет двух книг."),
    ("Хватает 3 стульев.", "Хватает трёх стульев."),  # (the genitive plural noun form decides without "не")
    # an intransitive verb of measure takes the accusative of its measure
    ("Файл весит 1,2 ГБ.", "Файл весит одну целую две десятых гигабайта."),
    ("Поезд стоит 1–2 минуты.", "Поезд стоит одну-две минуты."),
    ("Билет стоит 1 000 рублей.", "Билет стоит тысяча рублей."),  # (a price after стоит: the everyday nominative)
    ("Добавьте 1/2 ч. л. соли.", "Добавьте половину чайной ложки соли."),  # a transitive verb: a measure too
    # "по" before a dative plural noun is no distributive "по"
    ("Оплата по 3 позициям ещё не поступила.", "Оплата по трём позициям ещё не поступила."),
    ("Выдали по 3 яблока.", "Выдали по три яблока."),
    # people counted after a plural transitive verb with no plural subject before it are its subject
    ("Обращение подписали 1 200 жителей.", "Обращение подписали тысяча двести жителей."),
    ("Мы пригласили 1 200 жителей.", "Мы пригласили тысячу двести жителей."),  # (мы: the subject)
    ("Компания наняла 1 000 сотрудников.", "Компания наняла тысячу сотрудников."),  # (a singular verb)
    # a place known by its number, with a number ending in 1 in an oblique case: numbered, not counted
    ("Семинар пройдёт в 301 аудитории.", "Семинар пройдёт в триста первой аудитории."),
    ("Еду на 31 автобусе.", "Еду на тридцать первом автобусе."),
    ("Побывал в 21 стране.", "Побывал в двадцати одной стране."),  # (a country is counted)
    ("Сдам квартиру на 5 эт.", "Сдам квартиру на пятом этаже"),  # an abbreviated place after в/на: where
    ("Приём в 3 каб.", "Приём в третьем кабинете"),
    ("Поднимитесь на 5 этаж.", "Поднимитесь на пятый этаж."),  # (the written noun shows the accusative)
    # pluralia tantum counted by 1 and 2-4: collective numerals
    ("На дорогу уйдёт 3 суток.", "На дорогу уйдёт трое суток."),
    ("Возьму машину на 1 сутки.", "Возьму машину на одни сутки."),
    ("Ответ в течение 1 суток.", "Ответ в течение одних суток."),
    ("Купил 2 пары брюк и 4 ножниц.", "Купил две пары брюк и четверо ножниц."),
    ("Срок 2 суток.", "Срок двое суток."),
    ("Прошло 5 суток.", "Прошло пять суток."),
    ("Он набрал 2 очка.", "Он набрал два очка."),  # (points: the noun's form is no plurale tantum's)
    # 1,5 before a counted noun, with a word governing it: полтора/полторы (a bare "1,5 литра" keeps the corpus reading)
    ("Прибыль выросла в 1,5 раза.", "Прибыль выросла в полтора раза."),
    ("Прошло 1,5 года.", "Прошло полтора года."),
    ("Ждать 1,5 недели.", "Ждать полторы недели."),
    # in an oblique case it is полутора, and its noun goes to the plural of that case
    ("Дорога займёт около 1,5 часа.", "Дорога займёт около полутора часов."),
    ("Это длилось менее 1,5 недели.", "Это длилось менее полутора недель."),
    # with no governing word, a nominative singular noun that no count reading explains is numbered
    ("Сериал «Игра престолов», 8 сезон.", "Сериал «Игра престолов», восьмой сезон."),
    ("Вышла 3 серия.", "Вышла третья серия."),
    ("Занял 2 место.", "Занял второе место."),
    ("Прошло 22 года.", "Прошло двадцать два года."),  # (a count)
    ("Он пришёл 3-м.", "Он пришёл третьим."),  # after a verb, no preposition: no prepositional case
    ("ВОВ 1941-1945 гг.", "ВОВ тысяча девятьсот сорок первого — тысяча девятьсот сорок пятого годов."),  # after an acronym
    ("Продаются 2-3-комнатные квартиры.", "Продаются двух-трёхкомнатные квартиры."),  # a range before a compound
    ("В районе 5-6-этажные дома.", "В районе пяти-шестиэтажные дома."),
    # a compound with an abbreviated adjective agrees with its noun; "N-х" written apart before a compound's part
    ("2-х этажный дом.", "двухэтажный дом."),
    ("Сдаю 3-х комнатную квартиру.", "Сдаю трёхкомнатную квартиру."),
    ("Для 2-х взрослых.", "Для двух взрослых."),  # (no compound)
    ("Продаю 2-комн. кв-ру в р-не метро.", "Продаю двухкомнатную квартиру в районе метро."),
    ("Сдаётся 1-комн. квартира.", "Сдаётся однокомнатная квартира."),
    ("Живу в 5-этажном доме.", "Живу в пятиэтажном доме."),
    # a dative between a transitive verb and its object does not hide the verb
    ("Вчера перевёл другу $1 500.", "Вчера перевёл другу тысячу пятьсот долларов."),
    ("Отправил маме 1 000 рублей.", "Отправил маме тысячу рублей."),
    ("Подарил сестре 1 розу.", "Подарил сестре одну розу."),
    ("Сыну 5 лет.", "Сыну пять лет."),
    # a number after и/или in the case of the first conjunct's preposition
    ("Ноутбук с 12 потоками и 32 ГБ памяти.", "Ноутбук с двенадцатью потоками и тридцатью двумя гигабайтами памяти."),
    ("Я живу с 2 котами и 3 собаками.", "Я живу с двумя котами и тремя собаками."),
    ("Письмо о 5 кошках и 2 собаках.", "Письмо о пяти кошках и двух собаках."),
    ("Сервер с 64 ГБ RAM и 2 SSD.", "Сервер с шестьюдесятью четырьмя гигабайтами RAM и двумя SSD."),  # (no noun)
    ("Дети от 3 до 5 лет и 7 взрослых.", "Дети от трёх до пяти лет и семь взрослых."),  # (a range: no governor)
    ("Купил 3 яблока и 2 груши.", "Купил три яблока и две груши."),
])
def test_ru_counted_noun_agreement(text: str, want: str) -> None:
    assert NORM.normalize(text, "ru").text == want
