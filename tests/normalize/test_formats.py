"""Everyday formats: fractions as quantities, NxN, versions, compound units, service numbers, '#' before a number."""

from __future__ import annotations

import pytest

from qtts.normalize import Normalizer

NORM = Normalizer()


@pytest.mark.parametrize(("text", "lang", "want"), [
    ("Добавьте 3/4 стакана муки.", "ru", "Добавьте три четверти стакана муки."),
    ("Положите 1/2 чайной ложки соли.", "ru", "Положите половину чайной ложки соли."),
    ("1/2", "ru", "одна вторая"),  # nothing counted: the fraction itself
    ("Add 1/2 tsp of salt.", "en", "Add half a teaspoon of salt."),
    ("Играем 2x2 во дворе.", "ru", "Играем два на два во дворе."),
    ("We played 2x2 volleyball.", "en", "We played two by two volleyball."),
    ("2x8", "en", "two x eight"),  # NeMo's reading of a bare product
    ("Скачайте v2.3.1 с сайта.", "auto", "Скачайте версию два точка три точка один с сайта."),
    ("Доклад по ГОСТ 7.0.5.", "ru", "Доклад по ГОСТ семь точка ноль точка пять."),
    ("Это Ubuntu 22.04 LTS.", "auto", "Это Ubuntu двадцать два точка ноль четыре LTS."),
    ("Расход 100 кВт·ч в месяц.", "ru", "Расход сто киловатт-часов в месяц."),
    ("Скорость до 300 Мбит/с.", "ru", "Скорость до трёхсот мегабит в секунду."),
    ("Ноутбук с 32 ГБ памяти.", "ru", "Ноутбук с тридцатью двумя гигабайтами памяти."),
    ("In an emergency, call 911.", "en", "In an emergency, call nine one one."),
    ("Room 911", "en", "Room nine hundred and eleven"),
    ("He is #1 in sales.", "en", "He is number one in sales."),
    ("Рейс прибывает в 14:20 UTC.", "ru", "Рейс прибывает в четырнадцать часов двадцать минут UTC."),
    # money per unit: the unit is read, never dropped
    ("Plans start at $9.99/month.", "en", "Plans start at nine dollars ninety nine cents per month."),
    ("Parking is $5/day.", "en", "Parking is five dollars per day."),
    ("Подписка за 199 ₽/мес. Отмена в любой момент.", "ru",
     "Подписка за сто девяносто девять рублей в месяц. Отмена в любой момент."),
    ("Номер стоит 5000 руб./сутки.", "ru", "Номер стоит пять тысяч рублей в сутки."),
    ("Яйца по 12 руб./шт.", "ru", "Яйца по двенадцать рублей за штуку"),
    # "г." after a number: grams before a genitive noun, after a weight word or with a number that is no year
    ("Вес нетто 250 г.", "ru", "Вес нетто двести пятьдесят граммов"),
    ("Добавьте 250 г. сахара.", "ru", "Добавьте двести пятьдесят граммов сахара."),
    ("Вес 1500 г. Хранить в холоде.", "ru", "Вес тысяча пятьсот граммов. Хранить в холоде."),
    ("Он родился в 1985 г. в Туле.", "ru", "Он родился в тысяча девятьсот восемьдесят пятом году в Туле."),
    ("Город основан в 862 г. Рюриком.", "ru", "Город основан в восемьсот шестьдесят втором году. Рюриком."),
    ("Это было в 250 г. до н. э.", "ru", "Это было в двести пятидесятом году до нашей эры"),
    # two numbers across a slash that are no fraction; 24/7 is a set phrase
    ("Давление 120/80 — норма.", "ru", "Давление сто двадцать на восемьдесят — норма."),
    ("My BP was 135/85 today.", "en", "My BP was one hundred thirty five over eighty five today."),
    ("Поддержка 24/7.", "ru", "Поддержка двадцать четыре на семь."),
    ("We are open 24/7.", "en", "We are open twenty four seven."),
    ("It is 22/3 exactly.", "en", "It is twenty two thirds exactly."),  # an improper fraction stays one
    ("It is a 50/50 chance.", "en", "It is a fifty fifty chance."),
    ("Шансы 50/50.", "ru", "Шансы пятьдесят на пятьдесят."),
    # sizes: both sides, the unit counted by the last one
    ("Монитор с разрешением 1920×1080.", "ru", "Монитор с разрешением тысяча девятьсот двадцать на тысячу восемьдесят."),
    ("The screen is 1920x1080.", "en", "The screen is one thousand nine hundred and twenty by one thousand and eighty."),
    ("Размер комнаты 3×4 м.", "ru", "Размер комнаты три на четыре метра."),
    # N:M that is no clock time: a ratio after a ratio word, else a score
    ("Разведите в пропорции 1:3.", "ru", "Разведите в пропорции один к трём."),
    ("Карта в масштабе 1:100.", "ru", "Карта в масштабе один к ста."),
    ("Матч закончился 2:1.", "ru", "Матч закончился два один."),
    # a compound word led by 1,5
    ("Купил 1,5-литровую бутылку.", "ru", "Купил полуторалитровую бутылку."),
    ("Это 3-литровая банка.", "ru", "Это трёхлитровая банка."),
    # kitchen measures and other unit abbreviations
    ("Добавьте 2 ст. л. муки.", "ru", "Добавьте две столовые ложки муки."),
    ("Посолите: 1/2 ч. л. соли.", "ru", "Посолите: половина чайной ложки соли."),
    ("Смартфон с камерой 50 Мп.", "ru", "Смартфон с камерой пятьдесят мегапикселей."),
    ("Заряд за 30 min.", "ru", "Заряд за тридцать минут."),
    ("Оплата в т.ч. НДС.", "ru", "Оплата в том числе НДС."),  # an acronym after the dot opens no sentence
    ("Приём в каб. 12.", "ru", "Приём в кабинете двенадцать."),
    ("Офис на пр-те Мира.", "ru", "Офис на проспекте Мира."),
    ("My address is ул. Тверская, д. 7.", "auto", "My address is улица Тверская, дом семь."),  # inside English
    ("Наш офис в NYC, 5th Ave.", "auto", "Наш офис в NYC, fifth avenue"),  # an English ordinal suffix: English
    ("Цена $1,299 или 120 000 ₽.", "ru", "Цена тысяча двести девяносто девять долларов или сто двадцать тысяч рублей."),
    ("Телевизор 55\" в подарок.", "ru", "Телевизор пятьдесят пять дюймов в подарок."),
    ("Он сказал \"5\" и ушёл.", "ru", "Он сказал \"пять\" и ушёл."),  # a closing quote is no inch mark
    ("Живу в пос. Лесной.", "ru", "Живу в посёлке Лесной."),  # a dot before a name ends no sentence
    ("Пн.–Пт. работаем, сб., вс. — выходные.", "ru", "понедельник — пятница работаем, суббота, воскресенье — выходные."),
    ("Офис: эт. 3, оф. 305.", "ru", "Офис: этаж три, офис триста пять."),
    ("Назначен и.о. директора.", "ru", "Назначен исполняющий обязанности директора."),
    ("Встреча на ж/д вокзале, с/х техника.", "ru", "Встреча на железнодорожном вокзале, сельскохозяйственная техника."),
    ("См. п. 3.1 и ч. 2.", "ru", "смотри пункт три точка один и часть два."),  # a section number reads like a version
    ("Итого 3.5 кг.", "ru", "Итого три целых пять десятых килограмма."),
    ("Встаю в 10 ч. утра.", "ru", "Встаю в десять часов утра."),
    ("Стихи написал А.С. Пушкин.", "ru", "Стихи написал А С Пушкин."),  # initials stay apart
    ("Группа до 15 чел. Запись открыта.", "ru", "Группа до пятнадцати человек. Запись открыта."),
    ("Пришло 2 чел.", "ru", "Пришло два человека"),
    ("Сдача 50 коп., цена за шт. — 21 коп.", "ru", "Сдача пятьдесят копеек, цена за штуку — двадцать одна копейка"),
    ("Гарантия 6 мес. на всё.", "ru", "Гарантия шесть месяцев на всё."),
    ("Мотор на 100 л. с.", "ru", "Мотор на сто лошадиных сил"),  # written with a space too
    ("Заседание в 10 ч. 30 мин.", "ru", "Заседание в десять часов тридцать минут."),  # a unit's dot before a number
    # a unit per another unit: the second with its number and adjective, a period with "в"
    ("Расход топлива 7,5 л/100 км.", "ru", "Расход топлива семь целых пять десятых литра на сто километров."),
    ("Плотность 5 кг/м3.", "ru", "Плотность пять килограммов на кубический метр."),
    ("Насос качает 3 л/мин.", "ru", "Насос качает три литра в минуту."),
    ("ВВП вырос на 3,6% г/г.", "ru", "ВВП вырос на три целых шесть десятых процента год к году."),
    ("Only 99¢!", "en", "Only ninety nine cents!"),
    ("Бюджет проекта $1.5M.", "ru", "Бюджет проекта полтора миллиона долларов."),  # M/B after $ in Russian text
    ("Собрали 1,5 тыс. рублей.", "ru", "Собрали полторы тысячи рублей."),
    ("Около 1,5 млн человек.", "ru", "Около полутора миллионов человек."),
    ("We sold 1.2M units.", "en", "We sold one point two million units."),
    ("It costs 100$.", "en", "It costs one hundred dollars."),
    ("Скачай Windows 11 с сайта.", "auto", "Скачай Windows одиннадцать с сайта."),  # "с" before a word: no seconds
    ("Бег на 100 м за 10 с.", "ru", "Бег на сто метров за десять секунд."),
    ("Купил iPhone 15 с 256 ГБ памяти.", "auto",  # "с" before a number: the preposition
     "Купил iPhone пятнадцать с двумястами пятьюдесятью шестью гигабайтами памяти."),
    ("Лампа 60 Вт с 2 режимами.", "ru", "Лампа шестьдесят ватт с двумя режимами."),
    # everyday Russian units (medicine, food, land, pressure, sound, engines); a unit over a unit
    ("Уровень глюкозы 5,6 ммоль/л.", "ru", "Уровень глюкозы пять целых шесть десятых миллимоля на литр."),
    ("Холестерин 200 мг/дл.", "ru", "Холестерин двести миллиграммов на децилитр."),
    ("Порция — 250 ккал.", "ru", "Порция — двести пятьдесят килокалорий."),
    ("Продаю участок 6 сот. у реки.", "ru", "Продаю участок шесть соток у реки."),
    ("Урожай 30 ц с гектара.", "ru", "Урожай тридцать центнеров с гектара."),
    ("Давление 2,5 атм.", "ru", "Давление две целых пять десятых атмосферы."),
    ("Двигатель 3000 об/мин.", "ru", "Двигатель три тысячи оборотов в минуту."),
    ("Пульс в покое 60 уд/мин.", "ru", "Пульс в покое шестьдесят ударов в минуту."),
    ("Пульс до 120 уд./мин после бега.", "ru", "Пульс до ста двадцати ударов в минуту после бега."),
    ("Частота дыхания 16 раз/мин.", "ru", "Частота дыхания шестнадцать раз в минуту."),
    # a minus after an ellipsis is a sign; т. before a phone number is телефон, before a number том (not Том)
    ("Температура −5…−10 °C.", "ru", "Температура минус пять… минус десять градусов Цельсия."),
    ("Ночью -3...-7 градусов.", "ru", "Ночью минус три... минус семь градусов."),
    ("Т. 8-900-123-45-67.", "ru", "телефон восемь девятьсот сто двадцать три сорок пять шестьдесят семь."),
    ("Смотрите т. 2.", "ru", "Смотрите том два."),
    # заведующий governs its noun (instrumental) and does not agree with it
    ("Иванов И. И., зав. кафедрой.", "ru", "Иванов И И, заведующий кафедрой."),
    ("Встреча с зав. отделом.", "ru", "Встреча с заведующим отделом."),
    ("Её назначили зав. кафедрой.", "ru", "Её назначили заведующей кафедрой."),
    # a name in quotes after an abbreviation that takes a name
    ("Выход из м. «Арбат».", "ru", "Выход из метро «Арбат»."),
    ('Встреча у ст. м. "Сокол".', "ru", 'Встреча у станции метро "Сокол".'),
    # вкл./искл. before a word: включая/исключая; after a number or date: включительно
    ("Цена указана вкл. НДС.", "ru", "Цена указана включая НДС."),
    ("Цены вкл. доставку и сборку.", "ru", "Цены включая доставку и сборку."),
    ("Приём заявок по 15 мая вкл.", "ru", "Приём заявок по пятнадцатое мая включительно"),
    ("Все дни, искл. праздники.", "ru", "Все дни, исключая праздники."),
    # a clock time after "на" (set or moved to) reads as the clock shows it; whole hours keep "часов"
    ("Совещание перенесли на 14:30.", "ru", "Совещание перенесли на четырнадцать тридцать."),
    ("Поставь будильник на 6:05.", "ru", "Поставь будильник на шесть ноль пять."),
    ("Билет на 19:45 уже куплен.", "ru", "Билет на девятнадцать сорок пять уже куплен."),
    ("Запишите меня на 10:00.", "ru", "Запишите меня на десять часов."),
    ("Вода 10 куб. м в месяц.", "ru", "Вода десять кубических метров в месяц."),
    ("Купил 3 уп. таблеток.", "ru", "Купил три упаковки таблеток."),
    ("Доставка до 3 сут.", "ru", "Доставка до трёх суток"),  # a plurale tantum: collective numerals
    ("Срок 3 сут., аренда на 1 сут.", "ru", "Срок трое суток, аренда на одни сутки"),
    # kopecks as к. after rubles; Russian service numbers are numbers, 911 is spelled
    ("Сдача: 42 р. 50 к.", "ru", "Сдача: сорок два рубля пятьдесят копеек"),
    ("Итого 15 руб. 5 к. за штуку.", "ru", "Итого пятнадцать рублей пять копеек за штуку."),
    ("Скорая помощь — 103, спасатели — 112.", "ru", "Скорая помощь — сто три, спасатели — сто двенадцать."),
    ("В США звоните 911.", "ru", "В сэ шэ а звоните девять один один."),
    # a shift pattern after график/смена
    ("Ищем продавца, график работы 2/2.", "ru", "Ищем продавца, график работы два через два."),
    ("Работа по графику 5/2.", "ru", "Работа по графику пять через два."),
    ("Добавьте 3/4 стакана молока.", "ru", "Добавьте три четверти стакана молока."),
    ("Давай встретимся в 7 pm.", "ru", "Давай встретимся в девятнадцать часов."),  # a 12-hour time in Russian
    ("3M makes tape.", "en", "three M makes tape."),  # a whole number with M is a name
    ("Approx. 20 people came.", "en", "approximately twenty people came."),
    ("It starts on p. 45.", "en", "It starts on page forty five."),
    ("John P. Smith came.", "en", "John P. Smith came."),  # an initial, not a page
    ("He lives on Elm Dr. now.", "en", "He lives on Elm drive now."),  # after a street name: drive
    ("Ask Dr. Brown.", "en", "Ask doctor Brown."),
    ("Gov. Newsom and Lt. Col. Smith met.", "en", "governor Newsom and lieutenant colonel Smith met."),
    ("He is 5 ft. tall.", "en", "He is five feet tall."),  # the unit's dot before a lower-case word
    ("It goes 3-4 times a week.", "en", "It goes three to four times a week."),
    ("They signed a $5 billion deal.", "en", "They signed a five billion dollar deal."),  # before its noun
    ("I paid $5 for it.", "en", "I paid five dollars for it."),
    # UK numbers in their written groups, digit by digit
    ("Call us at 020 7946 0958.", "en", "Call us at zero two zero, seven nine four six, zero nine five eight."),
    ("Ring +44 20 7946 0958 now.", "en", "Ring plus four four, two zero, seven nine four six, zero nine five eight now."),
    ("My mobile is 07700 900123.", "en", "My mobile is zero seven seven zero zero, nine zero zero one two three."),
    ("It costs 100 200 dollars.", "en", "It costs one hundred two hundred dollars."),  # no leading zero: no phone
    ("Phone: +33 1 23 45 67 89.", "en", "Phone: plus three three, one, two three, four five, six seven, eight nine."),
    ("Temp +5 10 20", "en", "Temp plus five ten twenty"),  # too few digits for a phone number
    # Russian numbers without a country code, or without any spaces
    ("Наш телефон 495-123-45-67.", "ru", "Наш телефон четыреста девяносто пять сто двадцать три сорок пять шестьдесят семь."),
    ("Факс: (495) 123-45-67.", "ru", "Факс: четыреста девяносто пять сто двадцать три сорок пять шестьдесят семь."),
    ("Звоните +79991234567.", "ru",
     "Звоните плюс семь девятьсот девяносто девять сто двадцать три сорок пять шестьдесят семь."),
    ("Номер: 89161234567.", "ru", "Номер: восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь."),
    ("Итого 89161234567 шт.", "ru",  # no dialling word: a plain number
     "Итого восемьдесят девять миллиардов сто шестьдесят один миллион двести тридцать четыре тысячи пятьсот шестьдесят"
     " семь штук"),
    ("Машина стоит $40k.", "ru", "Машина стоит сорок тысяч долларов."),
    ("Всего 500р за вход.", "ru", "Всего пятьсот рублей за вход."),  # р without a dot after a number
    ("В 5 р-не.", "ru", "В пятом районе."),  # (not rubles)
    ("Принимать 3 р/д после еды.", "ru", "Принимать три раза в день после еды."),  # a lower-case k after a currency sign
    # identifiers digit by digit: after an identifier word, or any ungrouped number of 16 digits or more
    ("Индекс 123456.", "ru", "Индекс один два три четыре пять шесть."),
    ("Счёт № 40817810099910004312.", "ru", "Счёт номер четыре ноль восемь один семь восемь один ноль ноль девять девять"
     " девять один ноль ноль ноль четыре три один два."),
    ("Card 4111111111111111 was declined.", "en",
     "Card four one one one one one one one one one one one one one one one was declined."),
    ("Раб. тел.: 8 (495) 123-45-67, внутр. 123.", "ru", "рабочий телефон: восемь четыреста девяносто пять сто двадцать"
     " три сорок пять шестьдесят семь, внутренний сто двадцать три."),  # phone labels
    ("Построили 2-этажный дом.", "ru", "Построили двухэтажный дом."),
    ("Я не из тех. Купил мед.", "ru", "Я не из тех. Купил мед."),  # words before a full stop, no abbreviations
    ("Нужна мед. справка и тех. поддержка.", "ru", "Нужна медицинская справка и техническая поддержка."),  # ("дом." is the word and a full stop)
    ("Моб. 8-912-345-67-89.", "ru",
     "мобильный восемь девятьсот двенадцать триста сорок пять шестьдесят семь восемьдесят девять."),
    # a Russian number written in spaced groups after 8 (eleven digits); a round four-digit group as a number
    ("Телефон доверия 8 800 2000 122.", "ru", "Телефон доверия восемь восемьсот две тысячи сто двадцать два."),
    ("Мой новый номер 8 916 555 12 34.", "ru",
     "Мой новый номер восемь девятьсот шестнадцать пятьсот пятьдесят пять двенадцать тридцать четыре."),
    ("Итого 8 800 рублей.", "ru", "Итого восемь тысяч восемьсот рублей."),  # (too few digits: a number)
    # Russian local numbers in pairs, a four-digit group in two pairs
    ("Звоните по тел. 22-33-44.", "ru", "Звоните по телефону двадцать два тридцать три сорок четыре."),
    ("Офис в Лондоне: +44 20 7946 0958.", "ru",
     "Офис в Лондоне: плюс сорок четыре двадцать семьдесят девять сорок шесть ноль девять пятьдесят восемь."),
    # US numbers: 1- before the area code, 800 as a number; a seven-digit local number; a short extension as a number
    ("Toll-free: 1-800-555-0199.", "en", "Toll-free: one eight hundred, five five five, zero one nine nine."),
    ("Call 1-888-234-5678.", "en", "Call one eight eight eight, two three four, five six seven eight."),
    ("Call 555-0100, ext. 12.", "en", "Call five five five, zero one zero zero, extension twelve."),
    ("Extension 4521.", "en", "Extension four five two one."),
    ("It rose 100-2000 times.", "en", "It rose one hundred to two thousand times."),  # (no phone)
    # mixed text: St. before a name is saint in a Russian sentence too; a dotted number after a product name and a
    # preposition is a version, not a date; a Latin unit after a number does not make a sentence English
    ("Я живу в St. Petersburg, Florida.", "auto", "Я живу в saint Petersburg, Florida."),
    ("Офис на Baker St. в Лондоне.", "auto", "Офис на Baker Street в Лондоне."),
    ("Обнови Python до 3.12.", "auto", "Обнови Python до три точка двенадцать."),
    ("Акция до 15.01.", "ru", "Акция до пятнадцатого января."),
    ("Я сдал IELTS на 7.5.", "auto", "Я сдал IELTS на семь целых пять десятых."),  # (an acronym: a score, no version)
    ("Скорость Wi-Fi — 300 Mbps.", "auto", "Скорость Wi-Fi — триста мегабит в секунду."),
    ("Speed is 300 Mbps.", "auto", "Speed is three hundred megabits per second."),
    ("Тариф 500 Mbit/s, экран 6.1 inch.", "auto", "Тариф пятьсот мегабит в секунду, экран шесть целых одна десятая дюйма."),
    # Russian abbreviations: a person title after a common noun is genitive, after a preposition in its name's case
    ("Статью акад. Лихачёва перепечатали.", "ru", "Статью академика Лихачёва перепечатали."),
    ("Прошу назначить меня на должность зав. отделом.", "ru",
     "Прошу назначить меня на должность заведующего отделом."),
    ("Приказ зам. директора.", "ru", "Приказ заместителя директора."),
    ("Лекцию прочитает проф. Иванов.", "ru", "Лекцию прочитает профессор Иванов."),  # (the subject)
    ("Встреча с проф. Ивановым.", "ru", "Встреча с профессором Ивановым."),
    ("Склад находится в Центральном р-не.", "ru", "Склад находится в Центральном районе."),
    ("Наш ген. директор в отпуске.", "ru", "Наш генеральный директор в отпуске."),
    ("Дом культуры открылся в с. Ивановка.", "ru", "Дом культуры открылся в селе Ивановка."),  # с. before a name
    ("Смотри с. 15.", "ru", "Смотри страницу пятнадцать."),  # с. before a number: a page
    ("Встреча с зам. директора.", "ru", "Встреча с заместителем директора."),  # с + a person: instrumental
    ("Он работает зам. директора.", "ru", "Он работает заместителем директора."),  # a role after a role verb
    ("Её назначили зав. кафедрой.", "ru", "Её назначили заведующей кафедрой."),  # (a woman: feminine)
    ("Она стала зав. отделом.", "ru", "Она стала заведующей отделом."),
    ("Подпись гл. бухгалтера.", "ru", "Подпись главного бухгалтера."),  # гл. before a noun: главный
    ("Живёт в мкр. Северный.", "ru", "Живёт в микрорайоне Северный."),
    ("Д-р Иванов принимает по средам.", "ru", "доктор Иванов принимает по средам."),
    ("Зарплата 50 т.р. в месяц.", "ru", "Зарплата пятьдесят тысяч рублей в месяц."),
    ("Приём врача по вт. и чт.", "ru", "Приём врача по вторникам и четвергам"),  # distributive по: dative plural
    ("Встречаемся во вт.", "ru", "Встречаемся во вторник"),
    ("Кв. 45, под. 3, эт. 7.", "ru", "квартира сорок пять, подъезд три, этаж семь."),
    ("Ставка выросла на 2 п. п.", "ru", "Ставка выросла на два процентных пункта"),
    # an ambiguous abbreviation read by what follows: a number, a name, a noun it agrees with, an address before it
    ("Его осудили по ст. 159.", "ru", "Его осудили по статье сто пятьдесят девять."),
    ("Выход к ст. м. Сокол.", "ru", "Выход к станции метро Сокол."),
    ("Доехали до ст. Лесная.", "ru", "Доехали до станции Лесная."),
    ("Лекцию читает ст. преподаватель Орлова.", "ru", "Лекцию читает старший преподаватель Орлова."),
    ("Он ст. научный сотрудник.", "ru", "Он старший научный сотрудник."),
    ("Звание мл. сержанта.", "ru", "Звание младшего сержанта."),
    ("Офис: ул. Мира, д. 5, стр. 2.", "ru", "Офис: улица Мира, дом пять, строение два."),
    ("Москва, Варшавское ш., д. 12, к. 2.", "ru", "Москва, Варшавское шоссе, дом двенадцать, корпус два."),
    ("Тверской б-р, д. 3.", "ru", "Тверской бульвар, дом три."),
    ("Он живёт в д. Петровка.", "ru", "Он живёт в деревне Петровка."),  # д. before a name: a village
    ("Отдых на о. Бали и оз. Байкал.", "ru", "Отдых на острове Бали и озере Байкал."),
    ("Живу в п. Солнечный.", "ru", "Живу в посёлке Солнечный."),
    ("Мин. сумма заказа 500 руб.", "ru", "минимальная сумма заказа пятьсот рублей"),
    ("Макс. скорость 200 км/ч.", "ru", "максимальная скорость двести километров в час."),
    ("Ср. балл вырос.", "ru", "средний балл вырос."),
    ("Приём: пн., ср., пт.", "ru", "Приём: понедельник, среда, пятница"),  # among weekdays: среда
    ("Ср. 10:00–18:00.", "ru", "среда с десяти до восемнадцати."),  # before a clock time: среда
    ("Ср. с прошлым годом.", "ru", "сравни с прошлым годом."),  # (no noun right after it: сравни)
    ("Подождите пару мин.", "ru", "Подождите пару мин."),  # no noun to agree with: as written
    ("Зачёт в ауд. 214.", "ru", "Зачёт в аудитории двести четырнадцать."),
    ("Зайдите в комн. 5.", "ru", "Зайдите в комнате пять."),
    ("Выступил канд. техн. наук Петров.", "ru", "Выступил кандидат технических наук Петров."),
    ("Приказ подписал нач. отдела.", "ru", "Приказ подписал начальник отдела."),
    ("Отпуск в авг.", "ru", "Отпуск в августе"),
    # an abbreviation after an agreeing adjective takes its case; a capital initial before a name stays a letter
    ("Бабушка жила в с. Ивановка Тульской обл.", "ru", "Бабушка жила в селе Ивановка Тульской области"),
    ("Жители Ленинградской обл. довольны.", "ru", "Жители Ленинградской области довольны."),
    ("Стихи С. Есенина.", "ru", "Стихи С. Есенина."),
    ("Роман Т. Драйзера.", "ru", "Роман Т. Драйзера."),
    ("Уточните по тел. 2-15-40.", "ru", "Уточните по телефону два пятнадцать сорок."),  # a local number, one phone
    ("На рус. яз.", "ru", "На русском языке"),  # an abbreviated adjective agrees with the abbreviated noun after it
    ("Учебник по англ. яз.", "ru", "Учебник по английскому языку"),
    ("Он живёт на 3-м эт.", "ru", "Он живёт на третьем этаже"),  # after an ordinal: the ordinal's governor
    ("Проспект Мира, 10, стр. 1.", "ru", "Проспект Мира, десять, строение один."),  # after a street: строение
    ("Гр. Иванов задержан.", "ru", "гражданин Иванов задержан."),
    ("Храм св. Николая.", "ru", "Храм святого Николая."),
    ("См. прим. 3 на с. 12.", "ru", "смотри примечание три на странице двенадцать."),
    ("Спасибо за внимание, с ув., Иван.", "ru", "Спасибо за внимание, с уважением, Иван."),
    ("Экран 15,6\".", "ru", "Экран пятнадцать целых шесть десятых дюйма."),  # inches after a decimal comma
    ("Жители Пермского кр.", "ru", "Жители Пермского края"),  # кр. after a capitalized adjective: край
    ("Работаем ежедн., кр. вс.", "ru", "Работаем ежедневно, кроме воскресенья"),
    ("Нет в наличии т.н. «серых» моделей.", "ru", "Нет в наличии так называемых «серых» моделей."),  # agrees
    ("О т.н. реформе.", "ru", "О так называемой реформе."),
    ("Офис: ул. Мира, д. 5, пом. 12.", "ru", "Офис: улица Мира, дом пять, помещение двенадцать."),
    ("Работает пом. бухгалтера.", "ru", "Работает помощником бухгалтера."),  # (a person: помощник)
    # a hyphenated abbreviation written with a case ending: its noun's form that ends so
    ("Учится в ун-те.", "ru", "Учится в университете."),
    ("Студент ин-та.", "ru", "Студент института."),
    ("Отдых на п-ове Крым.", "ru", "Отдых на полуострове Крым."),
    ("Кол-во мест ограничено.", "ru", "количество мест ограничено."),
    ("Уточните кол-во товара.", "ru", "Уточните количество товара."),
    # abbreviations written without a space after their dot
    ("Адрес: г.Москва, ул.Ленина, д.5, кв.10.", "ru", "Адрес: город Москва, улица Ленина, дом пять, квартира десять."),
    ("См.рис.3.", "ru", "смотри рисунок три."),
    ("т.к.нет", "ru", "так как нет"),
    # начало/конец/середина/половина before a year, a century, a decade or a word of time
    ("В нач. XX в.", "ru", "В начале двадцатого века."),
    ("В кон. 2024 г.", "ru", "В конце две тысячи двадцать четвёртого года."),
    ("Во 2-й пол. XIX в.", "ru", "Во второй половине девятнадцатого века."),
    ("С нач. года.", "ru", "С начала года."),
    ("Приказ нач. отдела.", "ru", "Приказ начальника отдела."),  # (before a genitive noun: начальник)
    ("Памятник XII в.", "ru", "Памятник двенадцатого века."),  # a century after a capitalized noun is no regnal number
    # a number after a numbered part is its label (nominative, counting nothing); the next part is genitive
    ("Согласно п. 1 ч. 2 ст. 3 закона.", "ru", "Согласно пункту один части два статьи три закона."),
    ("Часть 1 статьи 12.", "ru", "Часть один статьи двенадцать."),
    ("Через 1 ч. 20 мин.", "ru", "Через один час двадцать минут."),  # (hours)
    ("Рядом с пл. Победы.", "ru", "Рядом с площадью Победы."),  # "рядом с", "вместе с": instrumental
    # a floor of a building's floors
    ("Продам 2-комн. кв., 5/9 эт., 45 м².", "ru",
     "Продам двухкомнатную квартиру, пятый из девяти этажей, сорок пять квадратных метров."),
    ("Этаж 3/5, балкон.", "ru", "Этаж третий из пяти, балкон."),
    ("Квартира на 5/9 эт.", "ru", "Квартира на пятом из девяти этажей"),
    # a thing abbreviated right after a transitive verb is its object, with its compound adjective
    ("Продам 3-комн. кв. в центре.", "ru", "Продам трёхкомнатную квартиру в центре."),
    ("Сдаю 2-комн. кв. на длительный срок.", "ru", "Сдаю двухкомнатную квартиру на длительный срок."),
    ("Продам кв. в центре.", "ru", "Продам квартиру в центре."),
    ("Лекцию прочитает проф. Иванов.", "ru", "Лекцию прочитает профессор Иванов."),  # (a person: the subject)
    ("Сверните с ул. Ленина.", "ru", "Сверните с улицы Ленина."),
    # a numbered part or class after a common noun is its genitive
    ("Требуется водитель кат. B.", "ru", "Требуется водитель категории би."),
    ("Текст гл. 5 изменён.", "ru", "Текст главы пять изменён."),
    ("Согласно п. 3 договора.", "ru", "Согласно пункту три договора."),
    # a sign before a number leaves it to the governing word; more units
    ("Температура от -5 до +3 °C.", "ru", "Температура от минус пяти до плюс трёх градусов Цельсия."),
    ("Днём до +25.", "ru", "Днём до плюс двадцати пяти."),
    ("Тираж 10 000 экз. разошёлся.", "ru", "Тираж десять тысяч экземпляров разошёлся."),
    # money with kopecks/cents after a decimal comma, in the case the context governs
    ("С карты списано 1\u00a0250,50 ₽.", "ru", "С карты списано тысяча двести пятьдесят рублей пятьдесят копеек."),
    ("Оплатите 99,90 руб. до конца дня.", "ru", "Оплатите девяносто девять рублей девяносто копеек до конца дня."),
    ("Чехол за $3,50.", "ru", "Чехол за три доллара пятьдесят центов."),
    ("Цена 1,5 руб.", "ru", "Цена одна целая пять десятых рубля"),  # (one decimal digit: no kopecks)
    ("Сувенир стоит £15,50.", "ru", "Сувенир стоит пятнадцать фунтов пятьдесят пенсов."),
    ("Осталось около 1 250,50 ₽.", "ru", "Осталось около тысячи двухсот пятидесяти рублей пятидесяти копеек."),
    # English money: a currency code before the number, a range after a currency sign, rubles in English text
    ("The fee is USD 50.", "en", "The fee is fifty us dollars."),
    ("EUR 20 per person.", "en", "twenty euros per person."),
    ("I paid in USD yesterday.", "en", "I paid in USD yesterday."),
    ("Tickets cost $10–15 at the door.", "en", "Tickets cost ten to fifteen dollars at the door."),
    ("A £2.50 coffee.", "en", "A two pounds fifty pence coffee."),  # (with pence no attributive singular)
    ("Rent is 80 000 руб. a month.", "en", "Rent is eighty thousand rubles a month."),
    # a score over its scale is read "out of" (after rate/rating/score, or before stars)
    ("Rated 4.5/5 stars.", "en", "Rated four point five out of five stars."),
    ("I'd rate it 8/10.", "en", "I'd rate it eight out of ten."),
    ("It's 4/5 done.", "en", "It's four fifths done."),  # (a fraction)
    ("Рейтинг 4,8/5.", "ru", "Рейтинг четыре целых восемь десятых из пяти."),
    ("Оценка 9/10.", "ru", "Оценка девять из десяти."),
    # one rule for a fraction and a slash, in both languages: a rating word up to two words before, stars or
    # points after
    ("Rated it 4.5/5.", "en", "Rated it four point five out of five."),
    ("The hotel gets 4/5 stars.", "en", "The hotel gets four out of five stars."),
    ("Scored 9/10 on the test.", "en", "Scored nine out of ten on the test."),
    ("Got 3/10 right.", "en", "Got three tenths right."),  # (no rating word: a fraction)
    ("Рейтинг товара 4,8/5.", "ru", "Рейтинг товара четыре целых восемь десятых из пяти."),
    ("Отель 4/5 звёзд.", "ru", "Отель четыре из пяти звёзд."),
    ("Получил 7/10 баллов.", "ru", "Получил семь из десяти баллов."),
    # English units: a singular unit before its noun after a/an, feet and inches in words, more abbreviations
    ("She finished a 10 km race.", "en", "She finished a ten kilometer race."),
    ("Buy a 2 L bottle of soda.", "en", "Buy a two liter bottle of soda."),
    ("There's a 24 hr pharmacy nearby.", "en", "There's a twenty four hour pharmacy nearby."),
    ("She ran 10 km today.", "en", "She ran ten kilometers today."),
    ("He is 6 ft 2 in tall.", "en", "He is six feet two inches tall."),
    ("This car gets 35 mpg on the highway.", "en", "This car gets thirty five miles per gallon on the highway."),
    ("We need 2 doz eggs and 3 yds of fabric.", "en", "We need two dozen eggs and three yards of fabric."),
    ("The flight is 2 hrs 15 mins.", "en", "The flight is two hours fifteen minutes."),
    ("The TV is 55 in wide.", "en", "The TV is fifty five inches wide."),
    ("He finished 5 in a row.", "en", "He finished five in a row."),  # (no measure: "in" as a preposition)
    ("I need 2 pcs, 3 pkgs and 8 fl oz.", "en", "I need two pieces, three packages and eight fluid ounces."),
    # seconds as "s" after a number; Cyrillic unit symbols inside an English sentence
    ("It goes 0–60 mph in 4.2 s.", "en", "It goes zero to sixty miles per hour in four point two seconds."),
    ("Set a 30 s timeout.", "en", "Set a thirty second timeout."),
    ("It weighs 3 кг.", "en", "It weighs three kilograms."),
    ("The tank holds 40 л.", "en", "The tank holds forty liters."),
    ("The box weighs 12 кг.", "auto", "The box weighs twelve kilograms."),
    # a scaled amount with a decimal before its noun is singular; a currency code after the number
    ("They signed a $1.2 billion deal.", "en", "They signed a one point two billion dollar deal."),
    ("They won a $2.5 million grant.", "en", "They won a two point five million dollar grant."),
    ("It was an €8.5 billion bid.", "en", "It was an eight point five billion euro bid."),
    ("Please send 20 USD.", "en", "Please send twenty us dollars."),
    ("It costs 15 EUR.", "en", "It costs fifteen euros."),
    # a quarter after its own determiner takes no "the ... of"
    ("Our Q1 2025 results are out.", "en", "Our first quarter twenty twenty five results are out."),
    ("Their Q3 2024 report is late.", "en", "Their third quarter twenty twenty four report is late."),
    ("The Q2 2023 numbers look good.", "en", "The second quarter twenty twenty three numbers look good."),
    # pence as "p", more currency codes before or after the number
    ("It costs 50p.", "en", "It costs fifty pence."),
    ("A 1p coin.", "en", "A one penny coin."),
    ("Watch it in 1080p.", "en", "Watch it in one zero eight zero p."),  # (a resolution, no money)
    ("He paid CAD 40 for it.", "en", "He paid forty canadian dollars for it."),
    ("That's 200 AUD.", "en", "That's two hundred australian dollars."),
    ("It costs CHF 12.50.", "en", "It costs twelve swiss francs fifty centimes."),
    ("I have 300 JPY left.", "en", "I have three hundred yen left."),
    # circa before a year; a multiplier before a frequency
    ("It was founded c. 1850.", "en", "It was founded circa eighteen fifty."),
    ("Built ca. 1900.", "en", "Built circa nineteen hundred."),
    ("Take 2 tablets 3x a day.", "en", "Take two tablets three times a day."),
    ("Train 4x per week.", "en", "Train four times per week."),
    ("She's a 2x champion.", "en", "She's a two time champion."),  # after a/an, before a noun
    # a sentence's language: a Cyrillic acronym in English weighs like a Latin one, a brand name counts for neither
    ("Pay 1 990 ₽ via СБП.", "auto", "Pay one thousand nine hundred and ninety rubles via СБП."),
    ("Prices include НДС: 500 ₽ total.", "auto", "Prices include НДС: five hundred rubles total."),
    ("Звоните нам. WhatsApp: +7 916 123-45-67", "auto",
     "Звоните нам. WhatsApp: плюс семь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"),
    # a compass letter before a numbered or named street is a direction (with or without its dot), not watts
    ("Meet at 350 W 34th St.", "en", "Meet at three fifty West thirty fourth Street"),
    ("Meet at 350 W. 34th St.", "en", "Meet at three fifty West thirty fourth Street"),
    ("Visit 200 W Main Street.", "en", "Visit two hundred West Main Street."),
    ("A 60 W bulb.", "en", "A sixty watt bulb."),
    # a dash between two measures is a range; revolutions per minute
    ("Save 20%-30% today.", "en", "Save twenty percent to thirty percent today."),
    ("It weighs 5kg-10kg.", "en", "It weighs five kilograms to ten kilograms."),
    ("Speed: 1,200 rpm.", "en", "Speed: one thousand two hundred revolutions per minute."),
    # a unit after a fraction below one is singular; a fraction before a hyphenated word is its modifier
    ("Add 1/4 tsp of salt.", "en", "Add one quarter teaspoon of salt."),
    ("Add 1 1/2 cups of flour.", "en", "Add one and a half cups of flour."),
    ("A 1/2-inch pipe.", "en", "A half-inch pipe."),
    ("A 3/4-length sleeve.", "en", "A three quarter-length sleeve."),
    ("Runs at 60fps.", "en", "Runs at sixty frames per second."),
    # minutes after hours in a duration
    ("The flight takes 2h 30m.", "en", "The flight takes two hours thirty minutes."),
    ("Run 5 km in 25 m.", "en", "Run five kilometers in twenty five meters."),  # (no hours: meters)
    # mixed sentences: a Russian currency word after a number in English, imperial units in Russian, a number
    # after a Cyrillic abbreviation in English
    ("I paid 300 рублей for lunch.", "auto", "I paid three hundred rubles for lunch."),
    ("It costs 1 рубль only.", "auto", "It costs one ruble only."),
    ("Он пробежал 5 miles.", "auto", "Он пробежал пять миль."),
    ("Вес 150 lbs.", "auto", "Вес сто пятьдесят фунтов."),
    ("Скорость 60 mph.", "auto", "Скорость шестьдесят миль в час."),
    ("My flat is on the 5th floor, кв. 12.", "auto", "My flat is on the fifth floor, квартира двенадцать."),
    # everyday abbreviations
    ("Contact the HR dept. before Friday.", "en", "Contact the HR department before Friday."),
    ("Prices incl. tax, max. 3 per person.", "en", "Prices including tax, maximum three per person."),
    ("The avg. wait is long.", "en", "The average wait is long."),
    ("The temp. is 20°C.", "en", "The temperature is twenty degrees Celsius."),
    ("Misc. items are on sale.", "en", "miscellaneous items are on sale."),
    ("The info is in Sec. 4.", "en", "The info is in section four."),
    ("Ft. Lauderdale is sunny.", "en", "fort Lauderdale is sunny."),
    ("Ave. price is $30.", "en", "average price is thirty dollars."),  # (before a lower-case word)
    ("Walk down Fifth Ave. to the park.", "en", "Walk down Fifth avenue to the park."),
])
def test_formats(text: str, lang: str, want: str) -> None:
    assert NORM.normalize(text, lang).text == want
