"""Deterministic tokenizer test corpus (pure Python): hand-written strings plus seeded random mixes.

``corpus()`` returns the same list on every run and Python version (``random.Random`` with a
fixed seed; ``choice``/``randint`` streams are stable since Python 3.2). ``make_golden.py`` tokenizes
it with the official processor under both pre-tokenizer regexes.
"""
from __future__ import annotations

import random
import unicodedata

SEED = 20251125
N_MIXED = 220
N_CODEPOINTS = 60

HAND = [
    # Russian
    "Привет, мир!",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Ёжик в тумане: 2025-11-25, 13:45; №7 «кавычки» и … многоточие",
    "ВСЕ ЗАГЛАВНЫЕ БУКВЫ И сМеШаНнЫй РеГиСтР",
    "Москва—Петербург: 635 км, 3 ч 45 мин (≈ 169,3 км/ч).",
    "Он сказал: \"Нет!\" — и ушёл.",
    "ёлка Ёлка ЁЛКА елка",
    "т.е. т.к. и т.д., и т.п.; др.-рус. язык",
    "Цена: 1 299,99 ₽; скидка −15 %.",
    "Й й (decomposed: \u0419\u0306 и\u0306)",
    # English
    "Hello world! McDonald's iPhone costs $1,299.99 — isn't it?",
    "HelloWorld I'M HERE, don't WORRY",
    "McDonald's iPhone iPad macOS YouTube eBay PowerPoint",
    "I'd've, you'll, they're, we've, she's, it'd, O'Neill's",
    "THE QUICK BROWN FOX jumps over the lazy dog.",
    "e-mail: john.doe+tts@example.com, tel. +1 (555) 010-9999",
    "3.14159 2,718 1e-9 0x1F 1_000_000 007 12345678901234567890",
    "Dr. Smith's U.S.A.-based co. (est. 1999) earned 42%.",
    "naïve café résumé coöperate façade",
    "cafe\u0301 vs café (NFD vs NFC)",
    # mixed / code-like
    "Привет, world! Это тест Qwen3-TTS на CPU, версия 0.6B.",
    "CamelCase PascalCase snake_case kebab-case URL/path/to/file",
    "XMLHttpRequest getHTTPResponseCode parseJSON2XML iOS17 GPT4o",
    "https://example.com/path/to/page?query=тест&lang=ru#anchor",
    "see http://qwen.ai/tts, ftp://files.example.org/a/b/c.tar.gz",
    "C:\\Users\\Иван\\Documents\\file.txt and /usr/local/bin/python3",
    "a/b//c///d, 1/2, 3/4/5, и/или, km/h, м/с",
    "v1.2.3-rc.1+build.5 (SHA 9f2b490)",
    "print(\"Hello\"); x = [1, 2, 3]; y = {'a': None}",
    "#hashtag @mention $TICKER %percent ^caret &amp; *star*",
    "~/.config/qwen3-tts/settings.toml",
    "iPhone15ProMax и MacBookAir M3",
    # whitespace
    "emoji 😀👍🏽 and tabs\tand\nnewlines  double  spaces",
    "   leading spaces and trailing   ",
    "line one\nline two\r\nline three\rline four",
    "\n\n\nstarts with newlines",
    "ends with newlines\n\n",
    "tab\t\ttab\t \t space-tab mix",
    "trailing space before newline \n next",
    "multiple   \n   \n   blank lines",
    "\u00a0non-breaking\u00a0space\u2009thin\u2009space\u3000ideographic",
    "zero\u200bwidth\u200cjoiner\u200dtest",
    " ",
    "\n",
    "\t",
    "",
    # emoji
    "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 🇷🇺🇺🇸 flags, ❤️ heart",
    "😀😃😄😁😆😅😂🤣 many in a row",
    "Привет👋мир🌍!",
    "keycaps 1️⃣ 2️⃣ #️⃣ and skin tones 👍🏻👍🏿",
    # CJK / Thai / other scripts
    "中文测试：你好，世界。",
    "日本語のテキスト、カタカナとひらがな。",
    "한국어 텍스트 테스트입니다.",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ",
    "العربية من اليمين إلى اليسار ١٢٣",
    "עברית עם ניקוד: שָׁלוֹם",
    "हिन्दी में परीक्षण १२३",
    "Ελληνικά: Καλημέρα κόσμε!",
    "Tiếng Việt có dấu: Xin chào thế giới",
    "ǅungla ǈudi ǋ titlecase, ʰmodifier ʷletters",
    "Ⅻ Ⅳ ½ ¾ ² ³ ① ⑩ numerals",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ combining marks",
    # literal special tokens
    "<|im_start|>assistant\nТекст<|im_end|>\n<|im_start|>assistant\n",
    "<tts_pad><tts_text_bos><tts_text_eod><|audio_start|>",
    "<|endoftext|>",
    "text<|im_end|>more text<|im_start|>",
    "<|audio_pad|><|audio_end|><tts_text_bos_single>",
    "<think>reasoning</think> answer",
    "< |im_end| > <im_end> <|im_end (not special)",
    "<|IM_END|> case differs",
    # punctuation heavy
    "!!! ??? ... ,,, ;;; ::: --- ___ ***",
    "«ёлочки» „лапки“ “curly” ‘single’ 'straight' \"double\"",
    "—–-‒― dashes … ellipsis ‰ ‱ § ¶ † ‡ • ‣",
    "(((nested))) [[[brackets]]] {{{braces}}} <<<angles>>>",
    "¡Hola! ¿Qué tal? Ça va?",
    "a.b.c.d e,f,g h;i;j k:l:m",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE",
]

_FRAGMENTS = {
    "ru": ["привет", "мир", "синтез", "речи", "Москва", "ЁЖИК", "съешь", "ещё", "булок", "Голос",
           "проверка", "т.е.", "№5", "ул.", "Щука", "объём"],
    "en": ["hello", "world", "voice", "THE", "Quick", "don't", "it's", "we'll", "O'Brien", "naïve",
           "speech", "TTS", "A", "I"],
    "camel": ["iPhone", "McDonald's", "CamelCase", "YouTube", "macOS", "XMLParser", "eBay",
              "GPT4o", "PowerPoint", "iOS", "ЁлкаPalka", "МакДоналдс"],
    "num": ["0", "7", "42", "2025", "3.14", "1,299.99", "1 000", "−5", "+7", "10%", "1e6", "½",
            "٣", "१२"],
    "punct": [".", ",", "!", "?", "...", "—", "-", "«", "»", "\"", "'", "(", ")", ":", ";", "/",
              "//", "\\", "&", "@", "#", "$", "€", "₽", "*", "_", "~", "`", "|", "<", ">"],
    "emoji": ["😀", "👍🏽", "🎉", "❤️", "👨‍👩‍👧", "🇷🇺", "🤖", "1️⃣"],
    "script": ["中文", "日本語", "カタカナ", "한국어", "ภาษาไทย", "العربية", "עברית", "हिन्दी",
               "Ελληνικά", "Tiếng", "ǅ", "ʰ", "e\u0301", "и\u0306"],
    "url": ["https://example.com", "http://a.b/c?d=e", "www.qwen.ai", "/usr/bin", "a/b/c",
            "user@mail.ru", "C:\\tmp"],
    "special": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tts_pad>", "<tts_text_bos>",
                "<|audio_start|>", "<think>"],
}
_SEPARATORS = ["", " ", " ", " ", " ", "  ", "\n", "\t", ", ", " \n", "\n\n", "\r\n"]

# Unicode blocks for random code points (no surrogates, no unassigned-heavy planes).
_BLOCKS = [
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x0250, 0x02FF), (0x0300, 0x036F), (0x0370, 0x03FF),
    (0x0400, 0x04FF), (0x0590, 0x05FF), (0x0600, 0x06FF), (0x0900, 0x097F), (0x0E00, 0x0E7F),
    (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2070, 0x209F), (0x20A0, 0x20CF), (0x2100, 0x218F),
    (0x2190, 0x22FF), (0x2460, 0x24FF), (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
    (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF),
]


def _mixed(rng: random.Random) -> str:
    kinds = sorted(_FRAGMENTS)
    parts = []
    for _ in range(rng.randint(1, 12)):
        parts.append(rng.choice(_FRAGMENTS[rng.choice(kinds)]))
        parts.append(rng.choice(_SEPARATORS))
    return "".join(parts[:-1] if rng.random() < 0.7 else parts)


def _codepoints(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 16)):
        lo, hi = rng.choice(_BLOCKS)
        c = chr(rng.randint(lo, hi))
        if unicodedata.category(c) != "Cn":  # skip unassigned: Unicode versions differ between tools
            out.append(c)
        if rng.random() < 0.2:
            out.append(rng.choice([" ", "\n", "\t", "  "]))
    return "".join(out)


def corpus() -> list[tuple[str, str]]:
    """[(kind, text)]: kind is "hand", "mixed" or "codepoints"."""
    rng = random.Random(SEED)
    rows = [("hand", s) for s in HAND]
    rows += [("mixed", _mixed(rng)) for _ in range(N_MIXED)]
    rows += [("codepoints", _codepoints(rng)) for _ in range(N_CODEPOINTS)]
    seen, unique = set(), []
    for kind, s in rows:
        if s not in seen:
            seen.add(s)
            unique.append((kind, s))
    return unique
