"""Generate varied, realistic product rows quickly and reproducibly (for ``populate_db``).

Names come from weighted families: adjective + material + noun combinations, a few names
repeated very often (one name takes 10% of all rows, so a million rows hold 100,000 products
sharing it), accented Polish / German / French names, CJK, emoji, and names made only of
punctuation, CJK or emoji that ``slugify`` turns into nothing. Descriptions are small JSON
objects (1-3 keys) or null. The vocabulary is fixed; a seed picks from it, so the same seed
gives the same rows.

Every name and description is safe in PostgreSQL's COPY text format as it is: none holds a
backslash, tab, newline or carriage return (checked when the pools are built).
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ADJECTIVES = (
    "Classic", "Modern", "Rustic", "Vintage", "Compact", "Deluxe", "Elegant", "Sleek", "Sturdy",
    "Foldable", "Portable", "Handmade", "Minimalist", "Ergonomic", "Heavy-Duty", "Lightweight",
    "Premium", "Everyday", "Scandinavian", "Industrial", "Retro", "Cozy", "Bold", "Slim",
    "Oversized", "Tiny", "Grand", "Smart", "Quiet", "Bright", "Matte", "Glossy", "Textured",
    "Woven", "Brushed", "Polished", "Reclaimed", "Organic", "Waterproof", "Stackable",
    "Adjustable", "Wireless", "Rechargeable", "Insulated", "Ultra-Light", "Weatherproof",
    "Practical", "Luxurious", "Essential", "Signature",
)  # fmt: skip
MATERIALS = (
    "Oak", "Walnut", "Bamboo", "Pine", "Teak", "Steel", "Aluminum", "Copper", "Brass",
    "Cast Iron", "Ceramic", "Porcelain", "Glass", "Marble", "Granite", "Concrete", "Leather",
    "Linen", "Cotton", "Wool", "Silk", "Velvet", "Rattan", "Wicker", "Cork", "Felt", "Rubber",
    "Silicone", "Carbon", "Titanium", "Stone", "Clay",
)  # fmt: skip
NOUNS = (
    "Chair", "Table", "Lamp", "Mug", "Bowl", "Plate", "Vase", "Shelf", "Stool", "Bench", "Desk",
    "Clock", "Mirror", "Rug", "Cushion", "Blanket", "Basket", "Tray", "Kettle", "Teapot", "Pan",
    "Pot", "Knife", "Spoon", "Cutting Board", "Bottle", "Jar", "Candle Holder", "Planter",
    "Frame", "Backpack", "Wallet", "Belt", "Watch", "Headphones", "Speaker", "Keyboard",
    "Mouse Pad", "Notebook", "Pen", "Umbrella", "Hat", "Scarf", "Gloves", "Sneakers", "Sofa",
    "Armchair", "Wardrobe", "Dresser", "Nightstand", "Bookcase", "Coat Rack", "Doormat", "Towel",
    "Bathrobe", "Pillow", "Duvet", "Curtain", "Hanger", "Lantern",
)  # fmt: skip
SERIES = ("X", "Pro", "Max", "Mini", "Plus", "Air", "S", "Neo")
HOT_NAME = "Wooden Chair"
POPULAR = (
    "Coffee Mug", "Desk Lamp", "Water Bottle", "Phone Case", "T-Shirt", "Notebook", "Tote Bag",
    "Scented Candle", "Throw Pillow", "Picture Frame",
)  # fmt: skip
ACCENTED = (
    # Polish
    "Żółta łódź", "Drewniane krzesło", "Stół dębowy", "Łóżko piętrowe", "Szczoteczka do zębów",
    "Kubek ceramiczny", "Półka ścienna", "Świeca zapachowa", "Ręcznik kąpielowy",
    "Poduszka z pierza", "Dzbanek żeliwny", "Lampa biurkowa", "Żółw pluszowy", "Zegar ścienny",
    "Łyżka drewniana", "Źródło światła LED", "Koszyk wiklinowy",
    # German
    "Großer Holztisch", "Müslischale aus Steingut", "Gemütlicher Sessel", "Kaffeebecher Büro",
    "Schwarzer Wäschekorb", "Küchenwaage", "Fußmatte aus Kokos", "Bürostuhl ergonomisch",
    "Gewürzregal", "Brotkörbchen", "Weißer Übertopf", "Schlüsselbrett", "Strandkorb",
    "Straßenlaterne Deko", "Bügeleisen", "Kühlschrankmagnet",
    # French
    "Chaise élégante en chêne", "Lampe de bureau rétro", "Théière en fonte", "Bol à café",
    "Ramequin à crème brûlée", "Coussin décoratif", "Étagère murale", "Fauteuil à bascule",
    "Garde-manger", "Vase en céramique émaillée", "Plateau à fromages", "Couverture en laine",
    "Horloge de cuisine", "Cafetière à piston", "Boîte à pain", "Pâtisserie moule",
    # a few neighbours
    "Čajová konvice", "Çay bardağı", "Kaffekopp i lergods", "Silla de mañana", "Ñandú de peluche",
    "Ψάθινο καπέλο", "Чайная чашка",
)  # fmt: skip
CJK = (
    "木製の椅子", "陶器のマグカップ", "和風ランプ", "竹のまな板", "抹茶茶碗", "急須", "風呂敷",
    "红色杯子", "不锈钢保温杯", "实木书架", "羊毛围巾", "陶瓷花瓶", "나무 의자", "세라믹 머그컵",
    "가죽 지갑", "東京タワー置物",
)  # fmt: skip
MIXED = (
    "Tokyo 東京 Lamp", "Kyoto 京都 Tea Set", "Seoul 서울 Mug", "Zürich Straße Clock",
    "Kraków Łazienki Vase", "Café Crème Cup", "Beijing 北京 Lantern", "Naïve Art Frame",
)  # fmt: skip
EMOJI = (
    "🔥 Hot Deal Lamp", "Coffee Mug ☕", "🌱 Eco Bamboo Brush", "Party Hat 🎉", "Gift Box 🎁",
    "Rocket Lamp 🚀", "❤️ Heart Pillow", "🐈 Cat Bed", "Sunny Mug ☀️", "🇵🇱 Flag Mug",
    "👍", "🎁🎁🎁", "☕☕", "🍕", "🌈✨", "🪑", "👩‍🍳",
)  # fmt: skip
PUNCTUATION_ONLY = (
    "!!!", "???", "...", "---", "***", "¡¿?!", "—", "…", "•••", "()", "[]", "@@", "%%%", "&",
    "+", "~~~", "_", "''", "«»", "„“", "§", "/|/",
)  # fmt: skip
PUNCTUATED = (
    "Kids' Table", "Salt & Pepper Mill", '"Retro" Clock', "Lamp (2-pack)", "50% Off Mug",
    "Mug #3", "Chair / Stool", "A+ Notebook", "Pen, Blue", "Teapot: Deluxe", "Rock'n'Roll Rug",
    "L'Atelier Vase", "Dad's BBQ Apron", "½ Price Bowl", "Size: XL", "100% Wool Scarf",
)  # fmt: skip

# Share of rows (percent) per name family; realised to within a few percent (whole copies).
NAME_MIX = {
    "combination": 62.0,
    "hot": 10.0,
    "popular": 5.0,
    "numbered": 4.0,
    "accented": 8.0,
    "cjk": 3.0,
    "mixed": 1.0,
    "emoji": 3.0,
    "punctuation_only": 1.5,
    "punctuated": 1.5,
    "long": 1.0,
}
NULL_DESCRIPTION_SHARE = 0.12
DESCRIPTION_POOL_SIZE = 4096
COPY_SPECIAL = frozenset("\\\t\n\r\x00")

COLORS = ("red", "black", "white", "oak", "navy", "sage green", "żółty", "grün", "bleu ciel")
ORIGINS = ("Poland", "Germany", "France", "Japan", "Portugal", "Kraków", "Zürich", "Île-de-France")
TAGS = ("new", "sale", "eco", "gift", "bestseller", "handmade", "limited", "outlet", "nowość")
CARE = ("hand wash", "dishwasher safe", "wipe clean", "dry clean only", "nie prać")
DESCRIPTION_FIELDS = ("color", "material", "size", "weight_g", "tags", "origin", "care", "rating")


def _combinations() -> list[str]:
    return [f"{a} {m} {n}" for a in ADJECTIVES for m in MATERIALS for n in NOUNS]


def _numbered() -> list[str]:
    return [f"{n} {s} {i}" for n in NOUNS for s in SERIES for i in range(1, 11)]


def _long_names(rng: random.Random, count: int = 200) -> list[str]:
    names = []
    for _ in range(count):
        words = ["Limited Edition"]
        while len(" ".join(words)) < 200:
            words.append(f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(NOUNS)}")
        names.append(" ".join(words)[:250].rstrip())
    return names


def _check_copy_safe(values: list[str]) -> None:
    for value in values:
        if COPY_SPECIAL.intersection(value):
            raise ValueError(f"generated value needs COPY escaping: {value!r}")


@functools.cache
def name_families() -> dict[str, tuple[str, ...]]:
    """Return every name family of ``NAME_MIX`` with its names."""
    families = {
        "combination": tuple(_combinations()),
        "hot": (HOT_NAME,),
        "popular": POPULAR,
        "numbered": tuple(_numbered()),
        "accented": ACCENTED,
        "cjk": CJK,
        "mixed": MIXED,
        "emoji": EMOJI,
        "punctuation_only": PUNCTUATION_ONLY,
        "punctuated": PUNCTUATED,
        "long": tuple(_long_names(random.Random(250))),
    }
    for names in families.values():
        _check_copy_safe(list(names))
    return families


@functools.cache
def _name_pool() -> tuple[str, ...]:
    """Return names repeated in proportion to their family's share (a uniform pick is weighted)."""
    families = name_families()
    slots = max(len(families[family]) * 100 / share for family, share in NAME_MIX.items())
    pool: list[str] = []
    for family, share in NAME_MIX.items():
        names = families[family]
        copies = max(1, round(slots * share / 100 / len(names)))
        pool.extend(names * copies)
    return tuple(pool)


def _description(rng: random.Random) -> dict[str, object]:
    keys = rng.sample(DESCRIPTION_FIELDS, rng.randint(1, 3))
    values: dict[str, object] = {
        "color": rng.choice(COLORS),
        "material": rng.choice(MATERIALS).lower(),
        "size": rng.choice(("XS", "S", "M", "L", "XL", "40x60 cm", "Ø 12 cm")),
        "weight_g": rng.randint(20, 25_000),
        "tags": rng.sample(TAGS, rng.randint(1, 3)),
        "origin": rng.choice(ORIGINS),
        "care": rng.choice(CARE),
        "rating": round(rng.uniform(1, 5), 1),
    }
    return {key: values[key] for key in keys}


@functools.cache
def _description_pool() -> tuple[str | None, ...]:
    """Return JSON texts (and nulls in their share) to pick descriptions from."""
    rng = random.Random(4096)
    nulls = round(DESCRIPTION_POOL_SIZE * NULL_DESCRIPTION_SHARE)
    texts = [
        json.dumps(_description(rng), ensure_ascii=False, separators=(", ", ": "))
        for _ in range(DESCRIPTION_POOL_SIZE - nulls)
    ]
    _check_copy_safe(texts)
    return (*texts, *([None] * nulls))


class ProductFaker:
    """Pick product names and descriptions; the same seed gives the same sequence."""

    def __init__(self, seed: int | None = None) -> None:
        self.random = random.Random(seed)
        self.name_pool = _name_pool()
        self.description_pool = _description_pool()

    def names(self, count: int) -> list[str]:
        """Return ``count`` names drawn with the weights of ``NAME_MIX``."""
        return self.random.choices(self.name_pool, k=count)

    def descriptions(self, count: int) -> list[str | None]:
        """Return ``count`` descriptions as JSON text, ``None`` standing for null."""
        return self.random.choices(self.description_pool, k=count)


@functools.cache
def _clock_texts() -> tuple[str, ...]:
    """Return ``HH:MM:SS+00`` for every second of a day."""
    return tuple(
        f"{h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)
    )


@dataclass(frozen=True)
class TimestampSpread:
    """Spread ``total`` distinct, increasing UTC timestamps evenly over ``span`` before ``end``."""

    total: int
    end: datetime
    span: timedelta = timedelta(days=365)

    def __post_init__(self) -> None:
        if self.total > self.span.total_seconds():
            raise ValueError(f"cannot spread {self.total} distinct seconds over {self.span}")

    @functools.cached_property
    def _start(self) -> int:
        return int((self.end - self.span).timestamp())

    @functools.cached_property
    def _step(self) -> int:
        return max(1, int(self.span.total_seconds()) // max(1, self.total))

    @functools.cached_property
    def _days(self) -> tuple[str, ...]:
        first = datetime.fromtimestamp(self._start, UTC).date()
        count = int(self.span.total_seconds()) // 86_400 + 2
        return tuple(f"{first + timedelta(days=i)} " for i in range(count))

    def texts(self, first: int, count: int) -> list[str]:
        """Return the timestamps of rows ``first`` to ``first + count - 1`` as COPY text."""
        step, clock = self._step, _clock_texts()
        day0 = self._start // 86_400
        second = self._start + first * step
        end = second + count * step
        texts: list[str] = []
        while second < end:  # one slice of the clock per day
            day, offset = divmod(second, 86_400)
            rows = -(-(min(end, (day + 1) * 86_400) - second) // step)
            prefix = self._days[day - day0]
            texts.extend(map(prefix.__add__, clock[offset : offset + rows * step : step]))
            second += rows * step
        return texts
