"""Seeded, deterministic rows for the ``kommun`` sample database.

``generate(seed, scale)`` returns every table's rows as plain Python values (``int``, ``str``,
``bool``, ``Decimal``, ``date``, naive ``datetime`` in Europe/Stockholm local time, ``None``).
All randomness comes from one ``random.Random(seed)`` and one ``Faker('sv_SE')`` seeded with
``seed_instance(seed)``; nothing iterates a ``set`` or reads the clock, so a given seed gives the
same rows in every process (for a given Python and Faker version).

The data is a snapshot taken on ``REFERENCE_DATE``: cases open from 2019 onwards, closed cases
have ``closed_on`` before it, and payments after it are ``scheduled``.
"""

from __future__ import annotations

import bisect
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from faker import Faker

from . import texts

REFERENCE_DATE = date(2024, 12, 31)
FIRST_CASE_DATE = date(2019, 1, 1)
EMAIL_DOMAIN = "alvstad.se"

# Insert order (parents before children). unit.head_caseworker_id is filled by a deferred
# UPDATE once caseworkers exist (see Dataset.updates).
TABLE_ORDER = (
    "benefit_type",
    "unit",
    "caseworker",
    "household",
    "person",
    "case_file",
    "decision",
    "payment",
    "case_note",
    "case_participant",
    "audit_log",
)

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "benefit_type": ("code",),
    "unit": ("id",),
    "caseworker": ("id",),
    "household": ("id",),
    "person": ("id",),
    "case_file": ("id",),
    "decision": ("id",),
    "payment": ("id",),
    "case_note": ("id",),
    "case_participant": ("case_id", "person_id"),
    "audit_log": (),
}

# (child table, child columns, parent table, parent columns); audit_log.caseworker_id is a
# deliberate soft reference without a constraint.
FOREIGN_KEYS: tuple[tuple[str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("unit", ("head_caseworker_id",), "caseworker", ("id",)),
    ("caseworker", ("unit_id",), "unit", ("id",)),
    ("caseworker", ("manager_id",), "caseworker", ("id",)),
    ("person", ("household_id",), "household", ("id",)),
    ("case_file", ("person_id",), "person", ("id",)),
    ("case_file", ("caseworker_id",), "caseworker", ("id",)),
    ("decision", ("case_id",), "case_file", ("id",)),
    ("decision", ("decided_by",), "caseworker", ("id",)),
    ("decision", ("benefit_code",), "benefit_type", ("code",)),
    ("payment", ("decision_id",), "decision", ("id",)),
    ("case_note", ("case_id",), "case_file", ("id",)),
    ("case_note", ("author_id",), "caseworker", ("id",)),
    ("case_participant", ("case_id",), "case_file", ("id",)),
    ("case_participant", ("person_id",), "person", ("id",)),
)

# Row targets at scale 1 for the tables whose size is chosen directly; decisions, payments and
# participants follow from the cases, persons from the households.
BASE_SIZES = {
    "caseworker": 60,
    "household": 1500,
    "case_file": 2500,
    "case_note": 5000,
    "audit_log": 4000,
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "benefit_type": ("code", "description", "case_category", "is_monetary",
                     "default_legal_basis", "active"),
    "unit": ("id", "name", "cost_center", "head_caseworker_id", "established_on"),
    "caseworker": ("id", "unit_id", "manager_id", "first_name", "last_name", "email", "phone",
                   "title", "hired_on", "active"),
    "household": ("id", "street_address", "apartment_no", "postal_code", "city", "district",
                  "household_type", "created_at"),
    "person": ("id", "personnummer", "first_name", "last_name", "birth_date", "gender",
               "household_id", "email", "phone", "preferred_language", "needs_interpreter",
               "protected_identity"),
    "case_file": ("id", "case_number", "person_id", "caseworker_id", "category", "status",
                  "referral_source", "opened_on", "closed_on", "priority", "summary"),
    "decision": ("id", "case_id", "decided_by", "decided_on", "decision_type", "benefit_code",
                 "outcome", "amount_sek", "period_start", "period_end", "legal_basis",
                 "motivation"),
    "payment": ("id", "decision_id", "paid_on", "amount_sek", "bank_account", "status"),
    "case_note": ("id", "case_id", "author_id", "written_at", "note_type", "body"),
    "case_participant": ("case_id", "person_id", "role", "added_on"),
    "audit_log": ("logged_at", "caseworker_id", "action", "table_name", "row_id", "client_ip"),
}

CATEGORIES = ("ekonomiskt bistånd", "barn och unga", "missbruk", "våld i nära relationer",
              "socialpsykiatri", "äldreomsorg", "LSS")

# code, description, case category, monetary, default legal basis, active
BENEFIT_TYPES = (
    ("FSST", "Försörjningsstöd (riksnorm och hyra)", "ekonomiskt bistånd", True,
     "SoL 4 kap. 1 §", True),
    ("TAND", "Bistånd till akut tandvård", "ekonomiskt bistånd", True, "SoL 4 kap. 1 §", True),
    ("GLAS", "Bistånd till glasögon", "ekonomiskt bistånd", True, "SoL 4 kap. 1 §", True),
    ("ELRA", "Bistånd till elskuld", "ekonomiskt bistånd", True, "SoL 4 kap. 2 §", True),
    ("HEMU", "Bistånd till hemutrustning", "ekonomiskt bistånd", True, "SoL 4 kap. 1 §", True),
    ("BEGR", "Bistånd till begravningskostnader", "ekonomiskt bistånd", True,
     "SoL 4 kap. 1 §", True),
    ("KONT", "Kontaktperson eller kontaktfamilj", "barn och unga", False, "SoL 4 kap. 1 §", True),
    ("FAMH", "Placering i familjehem (arvode och omkostnad)", "barn och unga", True,
     "SoL 4 kap. 1 §", True),
    ("HVBH", "Placering på HVB-hem", "barn och unga", False, "SoL 4 kap. 1 §", True),
    ("OPPV", "Öppenvårdsinsats för barn och familj", "barn och unga", False, "SoL 4 kap. 1 §",
     True),
    ("MISB", "Missbruksbehandling i öppenvård", "missbruk", False, "SoL 4 kap. 1 §", True),
    ("INST", "Institutionsvård för vuxna med missbruk", "missbruk", False, "SoL 4 kap. 1 §",
     True),
    ("STBO", "Stödboende", "missbruk", False, "SoL 4 kap. 1 §", True),
    ("SKYB", "Skyddat boende", "våld i nära relationer", False, "SoL 4 kap. 1 §", True),
    ("STOD", "Stödsamtal", "våld i nära relationer", False, "SoL 4 kap. 1 §", True),
    ("BOSP", "Boendestöd", "socialpsykiatri", False, "SoL 4 kap. 1 §", True),
    ("SYSS", "Sysselsättning", "socialpsykiatri", False, "SoL 4 kap. 1 §", True),
    ("HEMT", "Hemtjänst", "äldreomsorg", False, "SoL 4 kap. 1 §", True),
    ("TRYG", "Trygghetslarm", "äldreomsorg", False, "SoL 4 kap. 1 §", True),
    ("SABO", "Särskilt boende för äldre", "äldreomsorg", False, "SoL 4 kap. 1 §", True),
    ("KORT", "Korttidsvistelse", "äldreomsorg", False, "SoL 4 kap. 1 §", True),
    ("MATD", "Matdistribution", "äldreomsorg", False, "SoL 4 kap. 1 §", False),
    ("LSSA", "Personlig assistans", "LSS", False, "LSS 9 § 2", True),
    ("LEDS", "Ledsagarservice", "LSS", False, "LSS 9 § 3", True),
    ("LSSK", "Korttidsvistelse utanför hemmet", "LSS", False, "LSS 9 § 6", True),
    ("LSSB", "Bostad med särskild service för vuxna", "LSS", False, "LSS 9 § 9", True),
    ("DAGV", "Daglig verksamhet", "LSS", False, "LSS 9 § 10", True),
)

# Benefit mix per case category (codes and weights).
BENEFITS_BY_CATEGORY: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "ekonomiskt bistånd": (("FSST", "TAND", "GLAS", "ELRA", "HEMU", "BEGR"),
                           (74, 8, 4, 6, 6, 2)),
    "barn och unga": (("KONT", "FAMH", "HVBH", "OPPV"), (28, 26, 12, 34)),
    "missbruk": (("MISB", "INST", "STBO"), (60, 15, 25)),
    "våld i nära relationer": (("SKYB", "STOD"), (45, 55)),
    "socialpsykiatri": (("BOSP", "SYSS"), (65, 35)),
    "äldreomsorg": (("HEMT", "TRYG", "SABO", "KORT", "MATD"), (50, 22, 12, 12, 4)),
    "LSS": (("LSSA", "LEDS", "LSSK", "LSSB", "DAGV"), (10, 20, 20, 20, 30)),
}

# name, cost centre, share of staff, established, staff title
UNITS = (
    ("Ekonomiskt bistånd Norra", "41110", 10, date(2006, 1, 1), "socialsekreterare"),
    ("Ekonomiskt bistånd Södra", "41120", 10, date(2006, 1, 1), "socialsekreterare"),
    ("Barn och unga utredning", "41210", 11, date(2011, 9, 1), "socialsekreterare"),
    ("Familjehem och placering", "41220", 6, date(2011, 9, 1), "familjehemssekreterare"),
    ("Vuxen och beroende", "41310", 7, date(2014, 1, 1), "socialsekreterare"),
    ("Socialpsykiatri", "41320", 5, date(2017, 3, 1), "biståndshandläggare"),
    ("Myndighet äldreomsorg", "42110", 7, date(2009, 1, 1), "biståndshandläggare"),
    ("LSS-handläggning", "43110", 4, date(2009, 1, 1), "LSS-handläggare"),
)
VACANT_HEAD_UNIT = 5  # Socialpsykiatri has no head at the moment: head_caseworker_id stays NULL

UNIT_FOR_CATEGORY = {
    "barn och unga": (2, 3),
    "missbruk": (4,),
    "våld i nära relationer": (4,),
    "socialpsykiatri": (5,),
    "äldreomsorg": (6,),
    "LSS": (7,),
}
EB_SOUTH_DISTRICTS = ("Södra", "Västra", "Stensund", "Granbacka")

# district, city, first and last postal code, share of households, share living in flats,
# share of households not speaking Swedish at home, relative case propensity
DISTRICTS = (
    ("Centrum", "Älvstad", 64530, 64539, 0.18, 0.85, 0.15, 1.0),
    ("Norra", "Älvstad", 64540, 64549, 0.14, 0.60, 0.12, 0.9),
    ("Södra", "Älvstad", 64550, 64559, 0.17, 0.90, 0.35, 1.6),
    ("Östra", "Älvstad", 64560, 64569, 0.11, 0.40, 0.06, 0.8),
    ("Västra", "Älvstad", 64570, 64579, 0.11, 0.30, 0.05, 0.7),
    ("Hamnen", "Älvstad", 64580, 64585, 0.07, 0.95, 0.10, 0.9),
    ("Lövnäs", "Lövnäs", 64691, 64693, 0.08, 0.10, 0.04, 0.9),
    ("Stensund", "Stensund", 64694, 64696, 0.07, 0.15, 0.05, 1.0),
    ("Granbacka", "Granbacka", 64697, 64699, 0.07, 0.05, 0.04, 1.1),
)

FOREIGN_LANGUAGES = ("ar", "so", "fi", "fa", "ti", "pl", "bs", "tr", "ku", "en")
FOREIGN_LANGUAGE_WEIGHTS = (28, 14, 10, 10, 8, 8, 6, 5, 3, 8)

HOUSEHOLD_TYPES = ("single", "couple", "single_parent", "couple_with_children", "shared",
                   "multigenerational")
HOUSEHOLD_TYPE_WEIGHTS = (0.50, 0.14, 0.13, 0.14, 0.04, 0.05)

EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "live.se", "telia.com", "yahoo.se",
                 "icloud.com", "spray.se")
EMAIL_DOMAIN_WEIGHTS = (38, 20, 10, 9, 9, 6, 6, 2)

LANDLORDS = ("BG 5311-0842", "BG 5090-1177", "BG 429-7713", "BG 5544-3020")

MONTH_WEIGHT = {1: 1.25, 2: 1.1, 3: 1.05, 4: 1.0, 5: 0.95, 6: 0.85, 7: 0.55, 8: 0.9,
                9: 1.2, 10: 1.15, 11: 1.1, 12: 0.8}


@dataclass
class Table:
    columns: tuple[str, ...]
    rows: list[tuple]


@dataclass
class Dataset:
    """All rows of the sample, in insert order.

    ``updates`` are applied after every insert: ``(table, set_column, key_column, pairs)`` with
    ``pairs`` a list of ``(value, key)``; it closes the unit -> caseworker cycle.
    """

    tables: dict[str, Table]
    updates: list[tuple[str, str, str, list[tuple]]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(table.rows) for name, table in self.tables.items()}


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def luhn_check_digit(digits: str) -> int:
    """Check digit of a Swedish personnummer over its ten-digit form's first nine digits."""
    total = 0
    for i, ch in enumerate(digits):
        value = int(ch) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def personnummer_is_valid(pnr: str, birth_date: date | None = None,
                          gender: str | None = None) -> bool:
    """True if ``pnr`` is YYYYMMDD-NNNN with a correct check digit (and matches the date/sex)."""
    if len(pnr) != 13 or pnr[8] != "-" or not (pnr[:8] + pnr[9:]).isdigit():
        return False
    try:
        born = date(int(pnr[:4]), int(pnr[4:6]), int(pnr[6:8]))
    except ValueError:
        return False
    if luhn_check_digit(pnr[2:8] + pnr[9:12]) != int(pnr[12]):
        return False
    if birth_date is not None and born != birth_date:
        return False
    return gender is None or ("M" if int(pnr[11]) % 2 else "F") == gender


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = folded.replace("ł", "l").replace("ı", "i").replace("ø", "o")
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in ".-"))


def _add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    return date(d.year + month0 // 12, month0 % 12 + 1, min(d.day, 28))


def _plus_years(d: date, years: int) -> date:
    return date(d.year + years, d.month, min(d.day, 28))


def _month_end(d: date) -> date:
    nxt = _add_months(d.replace(day=1), 1)
    return nxt - timedelta(days=1)


def _weekday_on_or_before(d: date, floor: date) -> date:
    while d.weekday() >= 5 and d > floor:
        d -= timedelta(days=1)
    return d


def _weekday_on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _money(value: float) -> Decimal:
    return Decimal(round(value, 2)).quantize(Decimal("0.01"))


def _kronor(value: float) -> Decimal:
    return Decimal(max(1, round(value))).quantize(Decimal("0.01"))


class _DayPicker:
    """Weighted choice of a weekday with monthly seasonality and a slow upward trend."""

    def __init__(self, start: date, end: date) -> None:
        self.days: list[date] = []
        self.cum: list[float] = []
        total = 0.0
        d = start
        while d <= end:
            if d.weekday() < 5:
                total += MONTH_WEIGHT[d.month] * (1.0 + 0.05 * (d.year - start.year))
                self.days.append(d)
                self.cum.append(total)
            d += timedelta(days=1)

    def pick(self, rng: random.Random, lo: date, hi: date) -> date:
        i = bisect.bisect_left(self.days, lo)
        j = bisect.bisect_right(self.days, hi) - 1
        if i > j:
            return lo
        base = self.cum[i - 1] if i else 0.0
        u = base + rng.random() * (self.cum[j] - base)
        k = bisect.bisect_left(self.cum, u, i, j + 1)
        return self.days[min(k, j)]


class _Household:
    __slots__ = ("id", "street", "apartment_no", "postal_code", "city", "district", "kind",
                 "created_at", "language", "members", "propensity", "protected")

    def __init__(self) -> None:
        self.members: list[_Person] = []


class _Person:
    __slots__ = ("id", "pnr", "first", "last", "birth", "gender", "household", "email",
                 "phone", "language", "interpreter", "protected", "account", "homeless")


class _Caseworker:
    __slots__ = ("id", "unit", "manager", "first", "last", "email", "phone", "title", "hired",
                 "active", "left_on", "load", "role", "ip")


class _Case:
    __slots__ = ("id", "number", "person", "caseworker", "category", "status", "referral",
                 "opened", "closed", "priority", "summary", "decisions", "unit")


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, seed: int, scale: float) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.rng = random.Random(seed)
        self.fake = Faker("sv_SE")
        self.fake.seed_instance(seed)
        self.scale = scale
        self.days = _DayPicker(FIRST_CASE_DATE, REFERENCE_DATE)
        self.pnrs: set[str] = set()
        self.emails: set[str] = set()

    # -- generic draws ------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items, weights=None):
        return self.rng.choices(items, weights=weights)[0]

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.rng.gauss(0.0, sigma))

    def poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def work_time(self, d: date) -> datetime:
        hour = self.pick(range(7, 18), (2, 8, 12, 12, 9, 6, 10, 11, 10, 7, 3))
        return datetime.combine(d, time(hour, self.rng.randrange(60), self.rng.randrange(60)))

    def mobile(self) -> str:
        prefix = self.pick(("070", "072", "073", "076", "079"), (40, 15, 25, 15, 5))
        n = self.rng.randrange(10_000_000)
        style = self.rng.random()
        if style < 0.78:
            return f"{prefix}-{n // 10000:03d} {n // 100 % 100:02d} {n % 100:02d}"
        if style < 0.90:
            return f"+46{prefix[1:]}{n:07d}"
        return f"{prefix}{n:07d}"

    def landline(self) -> str:
        n = self.rng.randrange(1_000_000)
        return f"0645-{n // 10000:02d} {n // 100 % 100:02d} {n % 100:02d}"

    def birth_for_age(self, lo: int, hi: int) -> date:
        """A birth date giving an age in [lo, hi] on REFERENCE_DATE, never before 1930."""
        oldest = max(date(1930, 1, 1), REFERENCE_DATE.replace(year=REFERENCE_DATE.year - hi - 1)
                     + timedelta(days=1))
        youngest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - lo)
        if youngest < oldest:
            youngest = oldest
        return oldest + timedelta(days=self.rng.randrange((youngest - oldest).days + 1))

    def personnummer(self, birth: date, gender: str) -> str:
        while True:
            serial = self.rng.randrange(1000)
            serial = serial - serial % 2 + (1 if gender == "M" else 0)
            nine = f"{birth:%y%m%d}{serial:03d}"
            pnr = f"{birth:%Y%m%d}-{serial:03d}{luhn_check_digit(nine)}"
            if pnr not in self.pnrs:
                self.pnrs.add(pnr)
                return pnr

    def name(self, language: str, gender: str) -> tuple[str, str]:
        if language == "sv":
            first = (self.fake.first_name_female() if gender == "F"
                     else self.fake.first_name_male())
            return first, self.fake.last_name()
        female, male, family = texts.NAMES_BY_LANGUAGE[language]
        return self.pick(female if gender == "F" else male), self.pick(family)

    def first_name(self, language: str, gender: str) -> str:
        if language == "sv":
            return (self.fake.first_name_female() if gender == "F"
                    else self.fake.first_name_male())
        female, male, _ = texts.NAMES_BY_LANGUAGE[language]
        return self.pick(female if gender == "F" else male)

    def last_name(self, language: str) -> str:
        if language == "sv":
            return self.fake.last_name()
        return self.pick(texts.NAMES_BY_LANGUAGE[language][2])

    def bank_account(self, person: _Person | None = None) -> str:
        rng = self.rng
        if person is not None and rng.random() < 0.22:
            # Nordea personkonto: the account number is the ten-digit personnummer.
            return f"3300-{person.pnr[2:8]}{person.pnr[9:]}"
        bank = self.pick(("swedbank", "handelsbanken", "seb", "nordea", "ica", "lf"),
                         (34, 18, 17, 12, 9, 10))
        if bank == "swedbank":
            return (f"8{rng.randrange(100, 1000)}-{rng.randrange(10)}, {rng.randrange(1000):03d} "
                    f"{rng.randrange(1000):03d} {rng.randrange(1000):03d}-{rng.randrange(10)}")
        if bank == "handelsbanken":
            return f"6{rng.randrange(1000):03d}-{rng.randrange(10**9):09d}"
        if bank == "seb":
            return f"5{rng.randrange(1000):03d}-{rng.randrange(10**7):07d}"
        if bank == "nordea":
            clearing = f"3{rng.choice((0, 1, 2, 4, 5, 9))}{rng.randrange(100):02d}"
            return f"{clearing}-{rng.randrange(10**7):07d}"
        if bank == "ica":
            return f"9270-{rng.randrange(10**7):07d}"
        return f"902{rng.randrange(10)}-{rng.randrange(10**7):07d}"

    def account_of(self, person: _Person) -> str:
        if person.account is None:
            person.account = self.bank_account(person)
        return person.account

    def unique_email(self, local: str, domain: str) -> str:
        local = _ascii(local).strip(".") or "info"
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    # -- reference data -----------------------------------------------------------------------

    def benefit_types(self) -> Table:
        return Table(COLUMNS["benefit_type"], [tuple(b) for b in BENEFIT_TYPES])

    # -- organisation -------------------------------------------------------------------------

    def organisation(self) -> tuple[Table, Table, list[tuple]]:
        rng = self.rng
        n_caseworkers = max(2 * len(UNITS), round(BASE_SIZES["caseworker"] * self.scale))
        shares = [u[2] for u in UNITS]
        total = sum(shares)
        sizes = [max(2, int(n_caseworkers * s / total)) for s in shares]
        remainders = sorted(range(len(UNITS)),
                            key=lambda i: (-(n_caseworkers * shares[i] / total - sizes[i]), i))
        for i in remainders[: max(0, n_caseworkers - sum(sizes))]:
            sizes[i] += 1

        self.units_staff: list[list[_Caseworker]] = []
        self.unit_head: list[_Caseworker | None] = []
        self.unit_seniors: list[list[_Caseworker]] = []
        self.caseworkers: list[_Caseworker] = []
        next_id = 1
        for u, (_name, _cc, _share, established, staff_title) in enumerate(UNITS):
            staff: list[_Caseworker] = []
            head: _Caseworker | None = None
            seniors: list[_Caseworker] = []
            size = sizes[u]
            n_seniors = 1 if size < 9 else 2
            for k in range(size):
                cw = _Caseworker()
                cw.id = next_id
                next_id += 1
                cw.unit = u
                gender = "F" if rng.random() < 0.78 else "M"
                language = "sv" if rng.random() < 0.88 else self.pick(FOREIGN_LANGUAGES,
                                                                       FOREIGN_LANGUAGE_WEIGHTS)
                cw.first, cw.last = self.name(language, gender)
                cw.email = self.unique_email(f"{cw.first}.{cw.last}", EMAIL_DOMAIN)
                cw.phone = self.landline() if rng.random() < 0.93 else None
                cw.left_on = None
                cw.active = True
                cw.load = self.lognormal(1.0, 0.55)
                is_head = k == 0 and u != VACANT_HEAD_UNIT
                is_senior = not is_head and len(seniors) < n_seniors
                if is_head:
                    cw.role, cw.title, cw.manager = "head", "enhetschef", None
                    cw.hired = max(established - timedelta(days=rng.randrange(0, 3000)),
                                   date(1998, 1, 1))
                    cw.load = 0.0
                    head = cw
                elif is_senior:
                    cw.role, cw.title = "senior", "förste socialsekreterare"
                    cw.manager = head
                    cw.hired = date(2001, 1, 1) + timedelta(days=rng.randrange(0, 6000))
                    cw.load *= 0.45
                    seniors.append(cw)
                else:
                    cw.role, cw.title = "staff", staff_title
                    cw.manager = (seniors[rng.randrange(len(seniors))]
                                  if seniors and (head is None or rng.random() < 0.7) else head)
                    years = min(25.0, self.lognormal(5.5, 0.75))
                    cw.hired = REFERENCE_DATE - timedelta(days=int(years * 365.25))
                    if rng.random() < 0.12:
                        span = (REFERENCE_DATE - cw.hired).days
                        if span > 400:
                            cw.active = False
                            cw.left_on = cw.hired + timedelta(days=rng.randrange(365, span))
                cw.ip = f"10.41.{u + 1}.{20 + k}"
                staff.append(cw)
                self.caseworkers.append(cw)
            self.units_staff.append(staff)
            self.unit_head.append(head)
            self.unit_seniors.append(seniors)

        unit_rows = [(u + 1, name, cc, None, established)
                     for u, (name, cc, _s, established, _t) in enumerate(UNITS)]
        cw_rows = [(cw.id, cw.unit + 1, cw.manager.id if cw.manager else None, cw.first, cw.last,
                    cw.email, cw.phone, cw.title, cw.hired, cw.active)
                   for cw in self.caseworkers]
        head_updates = [(head.id, u + 1) for u, head in enumerate(self.unit_head) if head]
        return (Table(COLUMNS["unit"], unit_rows), Table(COLUMNS["caseworker"], cw_rows),
                head_updates)

    # -- population ---------------------------------------------------------------------------

    def streets(self) -> dict[int, list[tuple[str, int, bool]]]:
        """Per district: (street name, postal code, is a block of flats) tuples."""
        used: list[str] = []
        result: dict[int, list[tuple[str, int, bool]]] = {}
        for d, (_n, _c, lo, hi, share, flats, _f, _p) in enumerate(DISTRICTS):
            streets = []
            for _ in range(max(4, round(60 * share))):
                name = self.fake.street_name()
                for _retry in range(5):
                    if name not in used:
                        break
                    name = self.fake.street_name()
                used.append(name)
                streets.append((name, self.rng.randint(lo, hi), self.rng.random() < flats))
            result[d] = streets
        return result

    def new_person(self, household: _Household | None, language: str, gender: str,
                   birth: date, last: str | None = None) -> _Person:
        rng = self.rng
        p = _Person()
        p.id = 0
        p.gender = gender
        p.birth = birth
        p.household = household
        p.homeless = household is None
        p.language = language
        if language == "sv" and birth.year >= 2000 and rng.random() < 0.7:
            p.first = self.pick(texts.YOUNG_SWEDISH_NAMES[0 if gender == "F" else 1])
        else:
            p.first = self.first_name(language, gender)
        p.last = last if last is not None else self.last_name(language)
        p.pnr = self.personnummer(birth, gender)
        age = _age(birth, REFERENCE_DATE)
        p.interpreter = language != "sv" and age >= 18 and rng.random() < 0.45
        p.protected = bool(household and household.protected) or rng.random() < 0.002
        p.account = None
        email_p = (0.0 if age < 15 else 0.55 if age < 18 else 0.75 if age < 30 else
                   0.7 if age < 65 else 0.45 if age < 80 else 0.12)
        if p.homeless:
            email_p *= 0.4
        if rng.random() < email_p:
            style = rng.random()
            first, lastname = _ascii(p.first), _ascii(p.last)
            if style < 0.5:
                local = f"{first}.{lastname}"
            elif style < 0.75:
                local = f"{first}{lastname}{birth:%y}"
            elif style < 0.9:
                local = f"{first[:1]}.{lastname}"
            else:
                local = f"{first}_{rng.randrange(10, 100)}"
            p.email = self.unique_email(local, self.pick(EMAIL_DOMAINS, EMAIL_DOMAIN_WEIGHTS))
        else:
            p.email = None
        phone_p = (0.0 if age < 11 else 0.6 if age < 16 else 0.9 if age < 80 else 0.75)
        if p.homeless:
            phone_p = 0.55
        if rng.random() < phone_p:
            p.phone = self.landline() if age >= 75 and rng.random() < 0.5 else self.mobile()
        else:
            p.phone = None
        return p

    def population(self) -> tuple[Table, Table]:
        rng = self.rng
        streets = self.streets()
        n_households = max(10, round(BASE_SIZES["household"] * self.scale))
        district_weights = [d[4] for d in DISTRICTS]
        households: list[_Household] = []
        people: list[_Person] = []
        ids_in_building: dict[tuple[str, int], list[str]] = {}
        for _ in range(n_households):
            h = _Household()
            d = self.pick(range(len(DISTRICTS)), district_weights)
            name, city, *_rest = DISTRICTS[d]
            foreign_share, propensity = DISTRICTS[d][6], DISTRICTS[d][7]
            street, postal, flats = streets[d][rng.randrange(len(streets[d]))]
            if flats:
                top = 40
                while True:
                    number = rng.randrange(1, top)
                    used = ids_in_building.setdefault((street, number), [])
                    if len(used) < 40:
                        break
                    top += 10  # building full: the street gets longer
                while True:
                    apt = f"{rng.randint(10, 17)}{rng.randint(1, 8):02d}"
                    if apt not in used:
                        used.append(apt)
                        break
                h.apartment_no = apt
                h.street = f"{street} {number}"
            else:
                number = rng.randrange(1, 140)
                suffix = self.pick(("", "A", "B"), (88, 8, 4))
                h.street = f"{street} {number}{suffix}"
                h.apartment_no = None
            h.postal_code = f"{postal // 100} {postal % 100:02d}"
            h.city = city
            h.district = name
            h.kind = self.pick(HOUSEHOLD_TYPES, HOUSEHOLD_TYPE_WEIGHTS)
            created = date(2004, 3, 1) + timedelta(days=rng.randrange((REFERENCE_DATE
                                                                       - date(2004, 3, 1)).days))
            h.created_at = self.work_time(created)
            h.language = ("sv" if rng.random() >= foreign_share
                          else self.pick(FOREIGN_LANGUAGES, FOREIGN_LANGUAGE_WEIGHTS))
            h.protected = rng.random() < 0.005
            h.propensity = propensity * {"single": 1.2, "couple": 0.7, "single_parent": 1.9,
                                         "couple_with_children": 0.8, "shared": 1.0,
                                         "multigenerational": 1.2}[h.kind]
            h.members = self.members(h)
            households.append(h)
            people.extend(h.members)

        # People without a registered address (homeless), about 1 % of the population.
        for _ in range(max(1, round(len(people) * 0.01))):
            language = "sv" if rng.random() < 0.8 else self.pick(FOREIGN_LANGUAGES,
                                                                 FOREIGN_LANGUAGE_WEIGHTS)
            gender = "M" if rng.random() < 0.75 else "F"
            people.append(self.new_person(None, language, gender, self.birth_for_age(19, 72)))

        # Registration order: ids do not follow households.
        rng.shuffle(people)
        for i, p in enumerate(people, start=1):
            p.id = i
        for i, h in enumerate(households, start=1):
            h.id = i
        self.households = households
        self.people = people

        household_rows = [(h.id, h.street, h.apartment_no, h.postal_code, h.city, h.district,
                           h.kind, h.created_at) for h in households]
        person_rows = [(p.id, p.pnr, p.first, p.last, p.birth, p.gender,
                        p.household.id if p.household else None, p.email, p.phone, p.language,
                        p.interpreter, p.protected) for p in people]
        return Table(COLUMNS["household"], household_rows), Table(COLUMNS["person"], person_rows)

    def adult_age(self, kind: str) -> tuple[int, int]:
        if kind == "single":
            band = self.pick(((18, 25), (26, 40), (41, 64), (65, 79), (80, 94)),
                             (14, 24, 30, 18, 14))
        elif kind == "couple":
            band = self.pick(((22, 35), (36, 64), (65, 79), (80, 94)), (22, 35, 30, 13))
        else:
            band = (18, 35)
        return band

    def members(self, h: _Household) -> list[_Person]:
        rng = self.rng
        lang = h.language
        out: list[_Person] = []

        def adult(lo: int, hi: int, gender: str | None = None, last: str | None = None):
            g = gender or ("F" if rng.random() < 0.5 else "M")
            p = self.new_person(h, lang, g, self.birth_for_age(lo, hi), last)
            out.append(p)
            return p

        def children(parents: list[_Person], count: int, last: str) -> None:
            youngest_parent = max(p.birth for p in parents)
            max_age = min(17, _age(youngest_parent, REFERENCE_DATE) - 17)
            for _ in range(count):
                g = "F" if rng.random() < 0.487 else "M"
                birth = self.birth_for_age(0, max(0, max_age))
                if birth < _plus_years(youngest_parent, 16):
                    birth = _plus_years(youngest_parent, 16)
                if birth > REFERENCE_DATE - timedelta(days=20):
                    birth = REFERENCE_DATE - timedelta(days=20 + rng.randrange(300))
                out.append(self.new_person(h, lang, g, birth, last))

        kind = h.kind
        if kind == "single":
            adult(*self.adult_age(kind))
        elif kind == "couple":
            lo, hi = self.adult_age(kind)
            a = adult(lo, hi)
            age = _age(a.birth, REFERENCE_DATE)
            g = ("M" if a.gender == "F" else "F") if rng.random() < 0.92 else a.gender
            shared = a.last if rng.random() < 0.5 else None
            adult(max(18, age - 6), min(94, age + 6), g, shared)
        elif kind == "single_parent":
            p = adult(20, 55, "F" if rng.random() < 0.8 else "M")
            n = self.pick((1, 2, 3, 4, 5), (45, 32, 14, 6, 3))
            children([p], n, p.last)
        elif kind == "couple_with_children":
            a = adult(24, 56)
            age = _age(a.birth, REFERENCE_DATE)
            g = ("M" if a.gender == "F" else "F") if rng.random() < 0.95 else a.gender
            b = adult(max(20, age - 6), min(60, age + 6), g, a.last if rng.random() < 0.6 else None)
            n = self.pick((1, 2, 3, 4, 5, 6), (36, 38, 16, 6, 3, 1))
            children([a, b], n, a.last)
        elif kind == "shared":
            for _ in range(self.pick((2, 3, 4), (60, 30, 10))):
                adult(18, 34)
        else:  # multigenerational
            grand = adult(62, 92)
            family = grand.last
            if rng.random() < 0.5:
                adult(_age(grand.birth, REFERENCE_DATE) - 4, _age(grand.birth, REFERENCE_DATE) + 4,
                      "M" if grand.gender == "F" else "F", family)
            top = min(55, _age(grand.birth, REFERENCE_DATE) - 20)
            parents = [adult(26, max(26, top), last=family)]
            if rng.random() < 0.6:
                age = _age(parents[0].birth, REFERENCE_DATE)
                g = "M" if parents[0].gender == "F" else "F"
                parents.append(adult(max(22, age - 5), age + 5, g))
            n = self.pick((0, 1, 2, 3), (15, 35, 35, 15))
            if n:
                children(parents, n, family)
        return out

    # -- cases --------------------------------------------------------------------------------

    def case_category(self, person: _Person, on: date, previous: str | None) -> str:
        age = _age(person.birth, on)
        still_fits = previous is not None and (previous != "barn och unga" or age < 21) and (
            previous != "äldreomsorg" or age >= 60)
        # Draw the chance whenever there is a previous case, so the random stream does not
        # depend on whether it still fits.
        if previous is not None and self.chance(0.6) and still_fits:
            return previous
        if age < 18:
            weights = {"barn och unga": 86, "LSS": 14}
        elif age < 21:
            weights = {"ekonomiskt bistånd": 45, "missbruk": 14, "socialpsykiatri": 12, "LSS": 10,
                       "våld i nära relationer": 9, "barn och unga": 10}
        elif age < 65:
            weights = {"ekonomiskt bistånd": 64, "missbruk": 12, "våld i nära relationer": 9,
                       "socialpsykiatri": 12, "LSS": 7}
        else:
            weights = {"äldreomsorg": 82, "ekonomiskt bistånd": 8, "missbruk": 3,
                       "socialpsykiatri": 3, "våld i nära relationer": 2, "LSS": 2}
        if person.protected and "våld i nära relationer" in weights:
            weights["våld i nära relationer"] *= 8
        if person.homeless:
            weights["ekonomiskt bistånd"] = weights.get("ekonomiskt bistånd", 0) * 1.5
            weights["missbruk"] = weights.get("missbruk", 0) * 3
        names = list(weights)
        return self.pick(names, [weights[n] for n in names])

    def case_unit(self, category: str, person: _Person) -> int:
        if category == "ekonomiskt bistånd":
            district = person.household.district if person.household else "Centrum"
            return 1 if district in EB_SOUTH_DISTRICTS else 0
        units = UNIT_FOR_CATEGORY[category]
        if len(units) == 1:
            return units[0]
        return units[0] if self.chance(0.78) else units[1]

    def case_caseworker(self, unit: int, opened: date, closed: date | None) -> _Caseworker:
        pool = [cw for cw in self.units_staff[unit] if cw.role != "head"]
        eligible = [cw for cw in pool
                    if cw.hired <= opened
                    and (cw.left_on is None or (closed is not None and closed <= cw.left_on))]
        if not eligible:
            eligible = [cw for cw in pool if cw.active] or pool
        return self.pick(eligible, [cw.load + 0.05 for cw in eligible])

    def cases(self) -> Table:
        rng = self.rng
        n_cases = max(20, round(BASE_SIZES["case_file"] * self.scale))
        cutoff = REFERENCE_DATE - timedelta(days=30)
        keyed: list[tuple[float, int, _Person]] = []
        for p in self.people:
            if p.birth > cutoff:
                continue
            age = _age(p.birth, REFERENCE_DATE)
            base = (0.6 if age < 18 else 1.4 if age < 25 else 1.0 if age < 65 else
                    0.6 if age < 80 else 1.6)
            weight = base * (p.household.propensity if p.household else 4.0)
            if p.protected:
                weight *= 3.0
            weight *= self.lognormal(1.0, 0.8)
            # Efraimidis-Spirakis key for weighted sampling without replacement.
            keyed.append((rng.random() ** (1.0 / weight), p.id, p))
        keyed.sort(key=lambda t: (-t[0], t[1]))

        per_client = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
        per_client_w = (58, 17, 9, 5, 3.5, 2.5, 1.6, 1.2, 0.9, 0.6, 0.4, 0.3)
        specs: list[tuple[date, int, _Person, str]] = []
        for _key, _pid, person in keyed:
            if len(specs) >= n_cases:
                break
            k = min(self.pick(per_client, per_client_w), n_cases - len(specs))
            earliest = max(FIRST_CASE_DATE, person.birth + timedelta(days=14))
            dates = sorted(self.days.pick(rng, earliest, REFERENCE_DATE) for _ in range(k))
            previous = None
            for opened in dates:
                category = self.case_category(person, opened, previous)
                previous = category
                specs.append((opened, person.id, person, category))
        specs.sort(key=lambda s: (s[0], s[1]))

        durations = {"ekonomiskt bistånd": (200, 0.9), "barn och unga": (130, 0.8),
                     "missbruk": (180, 0.9), "våld i nära relationer": (100, 0.9),
                     "socialpsykiatri": (300, 1.0), "äldreomsorg": (420, 1.0), "LSS": (700, 0.9)}
        self.case_list: list[_Case] = []
        per_year: dict[int, int] = {}
        for i, (opened, _pid, person, category) in enumerate(specs, start=1):
            c = _Case()
            c.id = i
            per_year[opened.year] = per_year.get(opened.year, 0) + 1
            c.number = f"SOC-{opened.year}-{per_year[opened.year]:06d}"
            c.person = person
            c.category = category
            c.opened = opened
            c.unit = self.case_unit(category, person)
            median, sigma = durations[category]
            if c.unit == 3:  # placements last longer
                median *= 3
            end = opened + timedelta(days=max(1, int(self.lognormal(median, sigma))))
            c.closed = _weekday_on_or_before(end, opened) if end <= REFERENCE_DATE else None
            c.caseworker = self.case_caseworker(c.unit, opened, c.closed)
            c.priority = self.priority(category)
            c.referral = self.referral(category)
            c.decisions = []
            c.summary = self.summary(c)
            self.case_list.append(c)
        return Table(COLUMNS["case_file"], [])  # rows filled after decisions set the status

    def priority(self, category: str) -> int:
        if category == "barn och unga":
            weights = (20, 35, 30, 10, 5)
        elif category == "våld i nära relationer":
            weights = (35, 35, 20, 7, 3)
        else:
            weights = (3, 12, 55, 20, 10)
        return self.pick((1, 2, 3, 4, 5), weights)

    def referral(self, category: str) -> str | None:
        options: dict[str, tuple[tuple, tuple]] = {
            "ekonomiskt bistånd": ((None, "self", "employment_service", "healthcare"),
                                   (84, 8, 5, 3)),
            "barn och unga": (("school", "police", "healthcare", "preschool", "relative", "self",
                               "anonymous", "other_authority"), (28, 22, 14, 8, 8, 5, 6, 9)),
            "missbruk": (("self", "healthcare", "police", "relative", None), (40, 25, 15, 15, 5)),
            "våld i nära relationer": (("police", "self", "healthcare", "organisation", None),
                                       (35, 30, 15, 10, 10)),
            "socialpsykiatri": (("healthcare", "self", "relative", None), (60, 20, 10, 10)),
            "äldreomsorg": (("self", "relative", "healthcare", None), (35, 35, 25, 5)),
            "LSS": (("self", "relative", "healthcare", "school", None), (30, 40, 20, 5, 5)),
        }
        values, weights = options[category]
        return self.pick(values, weights)

    def summary(self, c: _Case) -> str | None:
        if self.chance(0.03):
            return None
        age = _age(c.person.birth, c.opened)
        fill = {
            "month": texts.MONTHS_SV[c.opened.month - 1],
            "year": c.opened.year,
            "first_name": c.person.first,
            "age": age,
            "source": texts.SOURCES_SV.get(c.referral or "self", "den enskilde"),
            "pronoun": "hon" if c.person.gender == "F" else "han",
            "item": self.pick(texts.EB_ITEMS),
            "concern": self.pick([text for min_age, text in texts.CHILD_CONCERNS
                                  if min_age <= age]),
            "substance": self.pick(texts.SUBSTANCES),
            "extra": self.pick(texts.SUBSTANCE_EXTRA),
            "perpetrator": self.pick(texts.PERPETRATORS),
            "diagnosis": self.pick(texts.DIAGNOSES),
            "elder_service": self.pick(texts.ELDER_SERVICES),
            "elder_situation": self.pick(texts.ELDER_SITUATIONS),
            "lss_service": self.pick(texts.LSS_SERVICES),
            "lss_situation": self.pick(texts.LSS_SITUATIONS),
        }
        fill["situation"] = self.pick(texts.EB_SITUATIONS).format(**fill)
        key = c.category
        if key == "barn och unga" and c.referral in ("self", "relative"):
            key = "barn och unga/application"
        return self.pick(texts.SUMMARY_TEMPLATES[key]).format(**fill)

    # -- decisions and payments ---------------------------------------------------------------

    def decisions_and_payments(self) -> tuple[Table, Table]:
        rng = self.rng
        first_delay = {"ekonomiskt bistånd": 12, "barn och unga": 85, "missbruk": 30,
                       "våld i nära relationer": 3, "socialpsykiatri": 35, "äldreomsorg": 14,
                       "LSS": 40}
        renew_every = {"ekonomiskt bistånd": 200, "barn och unga": 520, "missbruk": 430,
                       "våld i nära relationer": 330, "socialpsykiatri": 550, "äldreomsorg": 680,
                       "LSS": 900}
        no_decision = {"barn och unga": 0.40, "ekonomiskt bistånd": 0.10}
        specs: list[tuple] = []
        for c in self.case_list:
            end = c.closed or REFERENCE_DATE
            first = c.opened + timedelta(days=int(self.lognormal(first_delay[c.category], 0.6)))
            if c.closed is not None:
                if self.chance(no_decision.get(c.category, 0.08)):
                    continue
                first = min(first, c.closed)
            elif first > REFERENCE_DATE:
                continue
            first = _weekday_on_or_before(first, c.opened)
            extra = min(10, self.poisson((end - first).days / renew_every[c.category]))
            span = (end - first).days
            later = sorted(first + timedelta(days=rng.randint(1, span))
                           for _ in range(extra)) if span > 0 else []
            dates = [first] + [_weekday_on_or_before(d, first) for d in later]
            benefit = None
            for n, decided in enumerate(dates):
                if n == 0:
                    kind = "initial"
                elif n == len(dates) - 1 and c.closed is not None and self.chance(0.4):
                    kind = "termination"
                else:
                    kind = self.pick(("renewal", "amendment"), (65, 35))
                if kind == "initial" or benefit is None or (
                        c.category == "ekonomiskt bistånd" and self.chance(0.25)):
                    codes, weights = BENEFITS_BY_CATEGORY[c.category]
                    benefit = self.pick(codes, weights)
                specs.append((decided, c.id, c, n, kind, benefit))
        specs.sort(key=lambda s: (s[0], s[1], s[3]))

        benefit_info = {b[0]: b for b in BENEFIT_TYPES}
        decision_rows: list[tuple] = []
        payment_specs: list[tuple] = []
        for decision_id, (decided, _cid, c, _n, kind, code) in enumerate(specs, start=1):
            _code, _descr, _cat, monetary, legal_basis, _active = benefit_info[code]
            if kind == "initial":
                outcome = self.pick(("granted", "partly_granted", "rejected"),
                                    (64, 13, 23) if c.category == "ekonomiskt bistånd"
                                    else (74, 12, 14))
            elif kind == "termination":
                outcome = "granted"
            else:
                outcome = self.pick(("granted", "partly_granted", "rejected"),
                                    (80, 12, 8) if kind == "renewal" else (62, 24, 14))
            c.decisions.append(outcome)
            if code in ("FAMH", "HVBH") and self.chance(0.25):
                legal_basis = self.pick(("LVU 2 §", "LVU 3 §"), (55, 45))
            elif code == "INST" and self.chance(0.3):
                legal_basis = "LVM 4 §"
            decided_by = self.decider(c)
            amount = None
            period_start = period_end = None
            months = 0
            monthly = 0.0
            if kind == "termination":
                code_out = None
                legal = legal_basis
                motivation = self.pick(texts.TERMINATION_REASONS)
                period_start = decided
            else:
                code_out = code
                legal = legal_basis
                if code in ("FSST", "FAMH"):
                    period_start = (decided.replace(day=1) if decided.day <= 20
                                    else _add_months(decided.replace(day=1), 1))
                    months = self.pick((1, 2, 3, 6), (12, 10, 28, 50)) if code == "FSST" else \
                        self.pick((3, 6, 12), (20, 40, 40))
                    if outcome == "rejected":
                        months = 1  # the month applied for
                    if c.closed is not None:
                        while months > 1 and _add_months(period_start, months - 1) > c.closed:
                            months -= 1
                    period_end = _month_end(_add_months(period_start, months - 1))
                elif not monetary:
                    period_start = decided
                    if self.chance(0.5):
                        period_end = decided + timedelta(days=30 * self.pick((3, 6, 12),
                                                                             (30, 40, 30)))
                if monetary and outcome != "rejected":
                    amount, monthly, months = self.amount(c, code, months, outcome)
                if outcome == "granted":
                    motivation = "Bifall. " + self.pick(texts.GRANT_REASONS[c.category])
                elif outcome == "partly_granted":
                    motivation = self.pick(texts.PARTLY_REASONS.get(c.category, ())
                                           + texts.PARTLY_REASONS_COMMON)
                else:
                    motivation = self.pick(texts.REJECT_REASONS.get(c.category, ())
                                           + texts.REJECT_REASONS_COMMON)
            if self.chance(0.5):
                motivation += texts.APPEAL_NOTICE
            decision_rows.append((decision_id, c.id, decided_by.id, decided, kind, code_out,
                                  outcome, amount, period_start, period_end, legal, motivation))
            if amount is not None:
                payment_specs.append((decision_id, c, code, decided, amount, months, monthly))

        payments: list[tuple] = []
        for decision_id, c, code, decided, amount, months, monthly in payment_specs:
            payments.extend(self.payments_for(decision_id, c, code, decided, amount, months,
                                              monthly))
        payments.sort(key=lambda p: (p[1], p[0]))
        payment_rows = [(i, decision_id, paid_on, value, account, status)
                        for i, (decision_id, paid_on, value, account, status)
                        in enumerate(payments, start=1)]
        return (Table(COLUMNS["decision"], decision_rows),
                Table(COLUMNS["payment"], payment_rows))

    def decider(self, c: _Case) -> _Caseworker:
        r = self.rng.random()
        head = self.unit_head[c.unit]
        seniors = self.unit_seniors[c.unit]
        if r < 0.10 and head is not None:
            return head
        if r < 0.28 and seniors:
            return self.pick(seniors)
        return c.caseworker

    def amount(self, c: _Case, code: str, months: int, outcome: str
               ) -> tuple[Decimal, float, int]:
        factor = 1.0 if outcome == "granted" else self.rng.uniform(0.45, 0.9)
        if code == "FSST":
            size = len(c.person.household.members) if c.person.household else 1
            monthly = round(self.lognormal(8200, 0.4) * (1 + 0.38 * (size - 1)) * factor)
            return _kronor(monthly * months), float(monthly), months
        if code == "FAMH":
            monthly = round(self.lognormal(17500, 0.3) * factor)
            return _kronor(monthly * months), float(monthly), months
        median, sigma = {"TAND": (5200, 0.7), "GLAS": (1900, 0.35), "ELRA": (3400, 0.6),
                         "HEMU": (7200, 0.5), "BEGR": (21000, 0.3)}[code]
        value = self.lognormal(median, sigma) * factor
        total = _kronor(value) if self.chance(0.7) else _money(value)
        return total, float(total), 1

    def payments_for(self, decision_id: int, c: _Case, code: str, decided: date,
                     amount: Decimal, months: int, monthly: float) -> list[tuple]:
        rng = self.rng
        first = _weekday_on_or_after(decided + timedelta(days=rng.randint(1, 6)))
        out: list[tuple[int, date, Decimal, str]] = []
        # Family-home fees go to the family home, everything else to the client.
        account = self.bank_account() if code == "FAMH" else self.account_of(c.person)
        pays_rent = (code == "FSST" and c.person.household is not None
                     and c.person.household.apartment_no is not None and self.chance(0.7))
        landlord = self.pick(LANDLORDS) if pays_rent else None
        remaining = amount
        per_month = _money(float(amount) / months)
        for m in range(months):
            paid_on = first if m == 0 else _weekday_on_or_after(_add_months(first, m))
            value = per_month if m < months - 1 else remaining
            remaining -= value
            if landlord is not None:
                rent = _kronor(min(self.lognormal(6900, 0.2), float(value) * 0.7))
                if Decimal("0") < rent < value:
                    out.append((decision_id, paid_on, rent, landlord))
                    value -= rent
            out.append((decision_id, paid_on, value, account))
        rows = []
        for decision_id_, paid_on, value, acct in out:
            if paid_on > REFERENCE_DATE:
                rows.append((decision_id_, paid_on, value, acct, "scheduled"))
                continue
            status = self.pick(("paid", "returned", "cancelled"), (955, 25, 20))
            rows.append((decision_id_, paid_on, value, acct, status))
            if status == "returned":
                # Bank rejected the transfer: paid again a few days later, maybe to a new account.
                again = _weekday_on_or_after(paid_on + timedelta(days=rng.randint(3, 12)))
                if acct.startswith("BG") or self.chance(0.4):
                    new_acct = acct
                else:
                    new_acct = c.person.account = self.bank_account(c.person)
                rows.append((decision_id_, again, value, new_acct,
                             "scheduled" if again > REFERENCE_DATE else "paid"))
        return rows

    def finish_cases(self) -> Table:
        rows = []
        for c in self.case_list:
            if c.closed is not None:
                c.status = "closed"
            elif c.decisions:
                c.status = ("appealed" if c.decisions[-1] == "rejected" and self.chance(0.4)
                            else "decided")
            else:
                c.status = "open" if (REFERENCE_DATE - c.opened).days <= 21 else "investigating"
            rows.append((c.id, c.number, c.person.id, c.caseworker.id, c.category, c.status,
                         c.referral, c.opened, c.closed, c.priority, c.summary))
        return Table(COLUMNS["case_file"], rows)

    # -- notes ----------------------------------------------------------------------------------

    def notes(self) -> Table:
        rng = self.rng
        n_notes = max(len(self.case_list), round(BASE_SIZES["case_note"] * self.scale))
        weights = []
        for c in self.case_list:
            span = ((c.closed or REFERENCE_DATE) - c.opened).days
            weights.append(1.0 + min(20.0, span / 60.0))
        chosen = list(self.case_list) + rng.choices(self.case_list, weights=weights,
                                                    k=n_notes - len(self.case_list))
        first_note: list[bool] = [True] * len(self.case_list) + [False] * (n_notes
                                                                          - len(self.case_list))
        specs = []
        for c, is_first in zip(chosen, first_note, strict=True):
            end = c.closed or REFERENCE_DATE
            if is_first:
                day = c.opened
            else:
                day = _weekday_on_or_after(c.opened + timedelta(
                    days=rng.randint(0, max(0, (end - c.opened).days))))
                if day > end:
                    day = end
            written = self.work_time(day)
            specs.append((written, c.id, c, is_first))
        specs.sort(key=lambda s: (s[0], s[1]))
        rows = []
        for i, (written, _cid, c, is_first) in enumerate(specs, start=1):
            author = c.caseworker
            if not is_first and self.chance(0.15):
                author = self.pick(self.units_staff[c.unit])
            note_type, body = self.note_body(c, is_first, written.date())
            rows.append((i, c.id, author.id, written, note_type, body))
        return Table(COLUMNS["case_note"], rows)

    def note_body(self, c: _Case, is_first: bool, day: date) -> tuple[str, str]:
        person = c.person
        if is_first and self.chance(0.45):
            return "internal", (f"Ärendet registrerat {day.isoformat()}. "
                                f"Handläggare: {c.caseworker.first} {c.caseworker.last}.")
        if c.category in ("barn och unga", "äldreomsorg"):
            weights = (28, 22, 14, 10, 6, 20)
        else:
            weights = (32, 24, 5, 12, 10, 17)
        note_type = self.pick(("phone", "meeting", "home_visit", "letter", "email", "internal"),
                              weights)
        if note_type == "email" and person.email is None:
            note_type = "phone"
        if person.protected:
            address = "skyddad adress"
        elif person.household is not None:
            address = f"{person.household.street}, {person.household.city}"
        else:
            address = "härbärget på Kyrkogatan"
        follow_up = day + timedelta(days=self.rng.randint(3, 21))
        colleagues = [cw for cw in self.units_staff[c.unit] if cw is not c.caseworker]
        colleague = self.pick(colleagues) if colleagues else c.caseworker
        interpreter = (f" och tolk på {texts.LANGUAGE_NAMES_SV[person.language]}"
                       if person.interpreter else "")
        body = self.pick(texts.NOTE_TEMPLATES[note_type]).format(
            name=f"{person.first} {person.last}" if self.chance(0.3) else person.first,
            phone=person.phone or self.mobile(),
            email=person.email,
            date=f"{follow_up.day}/{follow_up.month}",
            address=address,
            colleague=f"{colleague.first} {colleague.last}",
            interpreter=interpreter,
            doc=self.pick(texts.REQUESTED_DOCS),
        )
        return note_type, body

    # -- participants -------------------------------------------------------------------------

    def participants(self) -> Table:
        rng = self.rng
        adults = [p for p in self.people if _age(p.birth, REFERENCE_DATE) >= 25]
        by_last: dict[str, list[_Person]] = {}
        for p in adults:
            by_last.setdefault(p.last, []).append(p)
        representatives = [p for p in adults if 40 <= _age(p.birth, REFERENCE_DATE) <= 75]
        reps = [representatives[rng.randrange(len(representatives))]
                for _ in range(max(3, round(40 * self.scale)))]
        rep_weights = [self.lognormal(1.0, 1.0) for _ in reps]
        contact_pool = [p for p in adults if 25 <= _age(p.birth, REFERENCE_DATE) <= 65]

        rows: list[tuple] = []
        for c in self.case_list:
            subject = c.person
            end = c.closed or REFERENCE_DATE
            age = _age(subject.birth, c.opened)
            housemates = [m for m in (subject.household.members if subject.household else [])
                          if m is not subject and m.birth < c.opened]
            grown = [m for m in housemates if _age(m.birth, c.opened) >= 18]
            minors = [m for m in housemates if _age(m.birth, c.opened) < 18]
            picked: list[tuple[_Person, str]] = []
            cat = c.category
            if cat == "ekonomiskt bistånd":
                for m in grown:
                    if self.chance(0.95 if len(grown) == 1 else 0.3):
                        picked.append((m, "co_applicant"))
                for m in minors:
                    if self.chance(0.9):
                        picked.append((m, "child"))
            elif cat == "barn och unga" or (cat == "LSS" and age < 18):
                carers = [m for m in grown if _age(m.birth, c.opened) < 62] or grown
                for m in carers:
                    if self.chance(0.95):
                        picked.append((m, "guardian"))
                if self.chance(0.45):
                    other = self.pick(contact_pool)
                    picked.append((other, "guardian"))
                for m in minors:
                    if self.chance(0.5):
                        picked.append((m, "sibling"))
                if self.chance(0.15):
                    picked.append((self.pick(contact_pool), "contact_person"))
            elif cat in ("äldreomsorg", "LSS"):
                for m in grown:
                    if self.chance(0.9):
                        picked.append((m, "relative"))
                kin = by_last.get(subject.last, [])
                if kin and self.chance(0.8):
                    relative = self.pick(kin)
                    if _age(relative.birth, REFERENCE_DATE) < _age(subject.birth, REFERENCE_DATE):
                        picked.append((relative, "relative"))
                if self.chance(0.18 if cat == "äldreomsorg" else 0.45):
                    picked.append((self.pick(reps, rep_weights), "legal_representative"))
            else:
                for m in grown:
                    if self.chance(0.5):
                        picked.append((m, "relative"))
                for m in minors:
                    if self.chance(0.6):
                        picked.append((m, "child"))
                if self.chance(0.2 if cat == "socialpsykiatri" else 0.05):
                    picked.append((self.pick(reps, rep_weights), "legal_representative"))
            seen = [subject.id]
            for person, role in picked:
                if person.id in seen or person.birth >= c.opened:
                    continue
                seen.append(person.id)
                added = c.opened + timedelta(days=min(rng.choice((0, 0, 0, 1, 3, 7, 14, 30)),
                                                      (end - c.opened).days))
                rows.append((c.id, person.id, role, added))
        return Table(COLUMNS["case_participant"], rows)

    # -- audit log ----------------------------------------------------------------------------

    def audit_log(self, sizes: dict[str, int]) -> Table:
        rng = self.rng
        n = round(BASE_SIZES["audit_log"] * self.scale)
        start = date(2023, 1, 1)
        span = (REFERENCE_DATE - start).days
        users = [cw for cw in self.caseworkers if cw.active]
        user_weights = [0.3 + cw.load for cw in users]
        events = []
        while len(events) < n:
            day = _weekday_on_or_after(start + timedelta(days=rng.randrange(span)))
            if day > REFERENCE_DATE:
                continue
            if self.chance(0.04):
                at = datetime.combine(day, time(4, rng.randrange(60), rng.randrange(60)))
                who, ip = None, None
                action = "export"
                table = self.pick(("payment", "decision"))
                row_id = None
            else:
                at = self.work_time(day)
                user = self.pick(users, user_weights)
                who = user.id
                vpn = f"10.99.{rng.randrange(4)}.{rng.randrange(2, 250)}"
                ip = user.ip if self.chance(0.85) else vpn
                action = self.pick(("view", "update", "create", "print", "export"),
                                   (60, 20, 10, 6, 4))
                table = self.pick(("case_file", "person", "decision", "case_note", "payment"),
                                  (40, 25, 15, 15, 5))
                row_id = None if action == "export" else rng.randint(1, max(1, sizes[table]))
            event = (at, who, action, table, row_id, ip)
            events.append(event)
            if self.chance(0.012) and len(events) < n:
                events.append(event)  # logged twice
        events.sort(key=lambda e: (e[0], e[1] or 0, e[2], e[3], e[4] or 0))
        return Table(COLUMNS["audit_log"], events)

    # -- assembly -----------------------------------------------------------------------------

    def run(self) -> Dataset:
        benefit = self.benefit_types()
        unit, caseworker, head_updates = self.organisation()
        household, person = self.population()
        self.cases()
        decision, payment = self.decisions_and_payments()
        case_file = self.finish_cases()
        case_note = self.notes()
        participant = self.participants()
        sizes = {"case_file": len(case_file.rows), "person": len(person.rows),
                 "decision": len(decision.rows), "case_note": len(case_note.rows),
                 "payment": len(payment.rows)}
        audit = self.audit_log(sizes)
        tables = {
            "benefit_type": benefit,
            "unit": unit,
            "caseworker": caseworker,
            "household": household,
            "person": person,
            "case_file": case_file,
            "decision": decision,
            "payment": payment,
            "case_note": case_note,
            "case_participant": participant,
            "audit_log": audit,
        }
        assert tuple(tables) == TABLE_ORDER
        return Dataset(tables, [("unit", "head_caseworker_id", "id", head_updates)])


def generate(seed: int = 42, scale: float = 1.0) -> Dataset:
    """All rows of the kommun sample for ``seed`` and ``scale`` (1.0 = a few thousand per table)."""
    return _Generator(seed, scale).run()
