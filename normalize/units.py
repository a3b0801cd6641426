"""Unit, currency and quantity-word tables for both languages."""

from __future__ import annotations

# English units: abbreviation -> (singular, plural)
EN_UNITS: dict[str, tuple[str, str]] = {}
for _abbrs, _sing, _plur in [
    ("km", "kilometer", "kilometers"), ("m", "meter", "meters"), ("cm", "centimeter", "centimeters"),
    ("mm", "millimeter", "millimeters"), ("μm um", "micrometer", "micrometers"), ("nm", "nanometer", "nanometers"),
    ("kg", "kilogram", "kilograms"), ("g gr", "gram", "grams"), ("mg", "milligram", "milligrams"),
    ("lb lbs", "pound", "pounds"), ("oz", "ounce", "ounces"), ("ft", "foot", "feet"), ("mi", "mile", "miles"),
    ("rpm RPM", "revolution per minute", "revolutions per minute"), ("fps", "frame per second", "frames per second"),
    ("yd yds", "yard", "yards"), ("mpg", "mile per gallon", "miles per gallon"), ("doz", "dozen", "dozen"), ("mph", "mile per hour", "miles per hour"),
    ("km/h kmh kph", "kilometer per hour", "kilometers per hour"), ("m/s", "meter per second", "meters per second"),
    ("l L", "liter", "liters"), ("ml mL", "milliliter", "milliliters"), ("gal", "gallon", "gallons"),
    ("°C ºC", "degree Celsius", "degrees Celsius"), ("°F ºF", "degree Fahrenheit", "degrees Fahrenheit"),
    ("° º", "degree", "degrees"), ("% percent", "percent", "percent"),
    ("GB", "gigabyte", "gigabytes"), ("MB", "megabyte", "megabytes"), ("KB kB", "kilobyte", "kilobytes"),
    ("TB", "terabyte", "terabytes"), ("Gb", "gigabit", "gigabits"), ("Mb", "megabit", "megabits"),
    ("mbps Mbps Mbit/s", "megabit per second", "megabits per second"),
    ("gbps Gbps Gbit/s", "gigabit per second", "gigabits per second"),
    ("GHz", "gigahertz", "gigahertz"), ("MHz", "megahertz", "megahertz"), ("kHz", "kilohertz", "kilohertz"),
    ("Hz", "hertz", "hertz"), ("W", "watt", "watts"), ("kW", "kilowatt", "kilowatts"),
    ("MW", "megawatt", "megawatts"), ("kWh", "kilowatt hour", "kilowatt hours"), ("V", "volt", "volts"),
    ("mAh", "milliamp hour", "milliamp hours"), ("h hr", "hour", "hours"), ("hrs", "hour", "hours"),
    ("min mins", "minute", "minutes"), ("sec secs s", "second", "seconds"), ("ms", "millisecond", "milliseconds"),
    ("yr", "year", "years"), ("mo", "month", "months"), ("wk", "week", "weeks"), ("d", "day", "days"),
    ("m2 m²", "square meter", "square meters"), ("km2 km²", "square kilometer", "square kilometers"),
    ("cm2 cm²", "square centimeter", "square centimeters"), ("ft2 ft²", "square foot", "square feet"),
    ("m3 m³", "cubic meter", "cubic meters"), ("km3 km³", "cubic kilometer", "cubic kilometers"),
    ("cm3 cm³", "cubic centimeter", "cubic centimeters"), ("ha", "hectare", "hectares"),
    ("cc", "CC", "CC"), ("″", "inch", "inches"), ("sq_ft", "square foot", "square feet"),
    ("tsp", "teaspoon", "teaspoons"), ("tbsp", "tablespoon", "tablespoons"), ("fl_oz", "fluid ounce", "fluid ounces"),
    ("pcs", "piece", "pieces"), ("pkg pkgs", "package", "packages"), ("yrs", "year", "years"),
    # Cyrillic symbols inside an English sentence: "weighs 3 кг"
    ("кг", "kilogram", "kilograms"), ("г", "gram", "grams"), ("км", "kilometer", "kilometers"),
    ("м", "meter", "meters"), ("см", "centimeter", "centimeters"), ("мм", "millimeter", "millimeters"),
    ("л", "liter", "liters"), ("мл", "milliliter", "milliliters"), ("ч", "hour", "hours"),
    ("мин", "minute", "minutes"), ("сек", "second", "seconds"), ("км/ч", "kilometer per hour", "kilometers per hour"),
    ("ГБ Гб", "gigabyte", "gigabytes"), ("МБ Мб", "megabyte", "megabytes"), ("ТБ", "terabyte", "terabytes"),
    ("Вт", "watt", "watts"), ("кВт", "kilowatt", "kilowatts"), ("шт", "piece", "pieces"),
]:
    for _a in _abbrs.split():
        EN_UNITS[_a.replace("_", " ")] = (_sing, _plur)  # "sq_ft": a unit written with a space
# Units that only count after a number when written exactly so (not lower-cased matches).
EN_CASE_SENSITIVE = {"m", "g", "l", "L", "W", "V", "h", "d", "s", "mo", "wk", "yr", "ms", "min", "Mb", "Gb", "MB", "GB",
                     "м", "г", "л", "ч"}

# Russian units: abbreviation -> (adjective stem, noun lemma, invariable tail)
RU_UNITS: dict[str, tuple[str, str, str]] = {}
for _abbrs, _adj, _noun, _tail in [
    ("км km", "", "километр", ""), ("м m", "", "метр", ""), ("см cm", "", "сантиметр", ""),
    ("мм mm", "", "миллиметр", ""), ("дм", "", "дециметр", ""), ("мкм", "", "микрометр", ""),
    ("нм nm", "", "нанометр", ""), ("кг kg", "", "килограмм", ""), ("г гр g", "", "грамм", ""),
    ("мг mg", "", "миллиграмм", ""), ("т", "", "тонна", ""), ("л l", "", "литр", ""),
    ("мл ml", "", "миллилитр", ""), ("га", "", "гектар", ""), ("с сек s", "", "секунда", ""),
    ("мин min", "", "минута", ""), ("ч", "", "час", ""), ("мс ms", "", "миллисекунда", ""),
    ("mi miles", "", "миля", ""), ("lb lbs", "", "фунт", ""), ("ft", "", "фут", ""), ("oz", "", "унция", ""),
    ("mph", "", "миля", " в час"),  # imperial units inside a Russian sentence: "пробежал 5 miles"
    ("км/ч km/h", "", "километр", " в час"), ("м/с m/s", "", "метр", " в секунду"),
    ("Кб КБ кб KB", "", "килобайт", ""), ("Мб МБ мб MB", "", "мегабайт", ""),
    ("Гб ГБ гб GB", "", "гигабайт", ""), ("Тб ТБ тб TB", "", "терабайт", ""), ("бит", "", "бит", ""),
    ("В V", "", "вольт", ""), ("Вт W", "", "ватт", ""), ("кВт kW", "", "киловатт", ""),
    ("МВт MW", "", "мегаватт", ""), ("Гц Hz", "", "герц", ""), ("кГц kHz", "", "килогерц", ""),
    ("МГц MHz", "", "мегагерц", ""), ("ГГц GHz", "", "гигагерц", ""), ("%", "", "процент", ""),
    ("° º", "", "градус", ""), ("°C ºC °С", "", "градус", " Цельсия"), ("°F ºF", "", "градус", " Фаренгейта"),
    ("м² м2 кв.м", "квадратн", "метр", ""), ("км² км2 кв.км", "квадратн", "километр", ""),
    ("см² см2", "квадратн", "сантиметр", ""), ("м³ м3 куб.м", "кубическ", "метр", ""),
    ("см³ см3", "кубическ", "сантиметр", ""), ("шт шт.", "", "штука", ""), ("px", "", "пиксель", ""),
    ("кВт·ч кВт*ч кВтч", "", "киловатт-час", ""), ("Вт·ч", "", "ватт-час", ""), ("мА·ч мАч mAh", "", "миллиампер-час", ""),
    ("Мбит/с Mbps mbps Mbit/s", "", "мегабит", " в секунду"),
    ("Гбит/с Gbps gbps Gbit/s", "", "гигабит", " в секунду"), ("Кбит/с", "", "килобит", " в секунду"),
    ("МБ/с", "", "мегабайт", " в секунду"), ("л.с. л._с.", "лошадин", "сила", ""), ("Мбит", "", "мегабит", ""),
    ("ст._л. ст.л.", "столов", "ложка", ""), ("ч._л. ч.л.", "чайн", "ложка", ""), ("Мп МП", "", "мегапиксель", ""),
    ("чел.", "", "человек", ""), ("п.п. п._п.", "процентн", "пункт", ""), ("т.р. т._р.", "", "тысяча", " рублей"), ("″ inch inches", "", "дюйм", ""), ("коп. коп", "", "копейка", ""), ("мес. мес", "", "месяц", ""), ("нед. нед", "", "неделя", ""),
    ("ммоль", "", "миллимоль", ""), ("моль", "", "моль", ""), ("мкг", "", "микрограмм", ""),
    ("ккал", "", "килокалория", ""), ("кал", "", "калория", ""), ("кДж", "", "килоджоуль", ""), ("Дж", "", "джоуль", ""),
    ("ц", "", "центнер", ""), ("сот.", "", "сотка", ""), ("Па", "", "паскаль", ""), ("кПа", "", "килопаскаль", ""),
    ("МПа", "", "мегапаскаль", ""), ("атм", "", "атмосфера", ""), ("дБ", "", "децибел", ""), ("мА", "", "миллиампер", ""),
    ("кВ", "", "киловольт", ""), ("дл", "", "децилитр", ""), ("об/мин", "", "оборот", " в минуту"),
    ("уд/мин уд./мин", "", "удар", " в минуту"), ("раз/мин", "", "раз", " в минуту"),
    ("ед.", "", "единица", ""), ("сут.", "", "сутки", ""), ("р/д", "", "раз", " в день"), ("экз.", "", "экземпляр", ""), ("уп.", "", "упаковка", ""), ("кв._м", "квадратн", "метр", ""),
    ("кв._км", "квадратн", "километр", ""), ("куб._м", "кубическ", "метр", ""),
]:
    for _a in _abbrs.split():
        RU_UNITS[_a.replace("_", " ")] = (_adj, _noun, _tail)  # "ст._л.": a unit written with a space

# Currencies: key -> (EN singular, EN plural, EN minor singular, EN minor plural, RU noun, RU minor noun)
CURRENCIES: dict[str, tuple[str, str, str, str, str, str]] = {
    "USD": ("dollar", "dollars", "cent", "cents", "доллар", "цент"),
    "EUR": ("euro", "euros", "cent", "cents", "евро", "цент"),
    "GBP": ("pound", "pounds", "penny", "pence", "фунт", "пенс"),
    "RUB": ("ruble", "rubles", "kopeck", "kopecks", "рубль", "копейка"),
    "JPY": ("yen", "yen", "", "", "", ""),
    "KRW": ("won", "won", "", "", "", ""),
    "CNY": ("yuan", "yuan", "", "", "юань", ""),
    "INR": ("rupee", "rupees", "", "", "", ""),
    "CAD": ("canadian dollar", "canadian dollars", "cent", "cents", "", ""),  # codes read in English only
    "AUD": ("australian dollar", "australian dollars", "cent", "cents", "", ""),
    "CHF": ("swiss franc", "swiss francs", "centime", "centimes", "", ""),
}
CURRENCY_CODES = ("USD", "EUR", "GBP", "RUB", "JPY", "CNY", "INR", "CAD", "AUD", "CHF")  # read before or after a number
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "¥": "JPY", "₩": "KRW", "₹": "INR"}
CURRENCY_WORDS = {"USD": "USD", "EUR": "EUR", "GBP": "GBP", "RUB": "RUB", "JPY": "JPY", "CNY": "CNY", "INR": "INR",
                  "CAD": "CAD", "AUD": "AUD", "CHF": "CHF",
                  "руб.": "RUB", "руб": "RUB", "рублей": "RUB", "рубля": "RUB", "рубль": "RUB", "р.": "RUB", "р": "RUB", "долл.": "USD", "евро": "EUR", "yuan": "CNY",
                  "dollars": "USD", "dollar": "USD", "euros": "EUR", "rubles": "RUB"}

# Russian "per unit" after an amount of money (``199 ₽/мес.``): written unit -> spoken phrase.  A period of time
# takes "в" (в месяц), anything else bought by the unit takes "за" (за штуку).
RU_MONEY_PER = {"мес.": "в месяц", "мес": "в месяц", "месяц": "в месяц", "сут.": "в сутки", "сутки": "в сутки",
                "день": "в день", "дн.": "в день", "год": "в год", "г.": "в год", "ч": "в час", "час": "в час",
                "нед.": "в неделю", "неделю": "в неделю", "мин": "в минуту", "шт.": "за штуку", "шт": "за штуку",
                "кг": "за килограмм", "г": "за грамм", "л": "за литр", "м": "за метр", "м²": "за квадратный метр",
                "м2": "за квадратный метр", "ночь": "за ночь", "чел.": "с человека", "чел": "с человека",
                "человека": "с человека", "час.": "в час"}

# Quantity words after a number: word -> power of ten
QUANTITY_EN = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12, "K": 3, "k": 3, "M": 6, "m": 6,
               "mln": 6, "mn": 6, "B": 9, "b": 9, "bn": 9, "T": 12, "tn": 12}
QUANTITY_RU = {"тыс.": 3, "тыс": 3, "млн": 6, "млн.": 6, "млрд": 9, "млрд.": 9, "трлн": 12, "трлн.": 12,
               "тысяч": 3, "тысячи": 3, "тысяча": 3, "миллиона": 6, "миллионов": 6, "миллион": 6,
               "миллиарда": 9, "миллиардов": 9, "миллиард": 9}
SCALE_EN = {3: "thousand", 6: "million", 9: "billion", 12: "trillion"}
SCALE_RU = {3: "тысяча", 6: "миллион", 9: "миллиард", 12: "триллион"}
