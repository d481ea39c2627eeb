"""Personal data: detect it (column names in English and Swedish, value patterns) and replace
it with Faker values in the source's locale (or, for a street address, in the locales of the
rows' countries: `Generator.draw_mixed`). Source values of such columns are never modelled.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

#: Provider name → column-name tokens that signal it (lower case, accents removed).
_NAME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("personnummer", ("personnummer", "personnr", "pnr", "personal_number", "ssn",
                      "social_security", "national_id", "samordningsnummer", "personid_number")),
    ("email", ("email", "e_mail", "mail", "epost", "e_post", "mejl")),
    ("phone", ("phone", "telephone", "tel", "mobile", "fax", "cell", "telefon", "mobil",
               "mobilnummer", "telefonnummer", "phone_number")),
    ("first_name", ("first_name", "firstname", "fname", "given_name", "fornamn", "tilltalsnamn",
                    "forename")),
    ("last_name", ("last_name", "lastname", "lname", "surname", "family_name", "efternamn")),
    ("full_name", ("full_name", "fullname", "contact_name", "customer_name", "person_name",
                   "employee_name")),
    ("street_address", ("address", "street", "adress", "gatuadress", "street_address",
                        "address_line", "address1", "address2", "utdelningsadress")),
    ("postcode", ("postal_code", "postalcode", "zip", "zipcode", "zip_code", "postcode",
                  "postnummer", "postnr")),
    ("iban", ("iban",)),
    ("bank_account", ("bank_account", "account_number", "kontonummer", "bankkonto")),
    ("ipv4", ("ip", "ip_address", "ipaddress", "ip_addr")),
    ("user_name", ("username", "user_name", "login", "anvandarnamn")),
)

#: Columns that single someone out only through rare values: modelled as categories while
#: values are common, replaced by Faker's when every value is rare. A place name (city,
#: town, municipality) is one: a town held by k people says no more about one of them than
#: their country does, while its street address and postcode stay direct identifiers.
_QUASI_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("city", ("city", "town", "ort", "postort", "stad", "municipality", "kommun",
              "kommunnamn")),
    ("country", ("country", "land", "nation")),
    ("state", ("state", "province", "region", "county", "lan")),
    ("company", ("company", "organisation", "organization", "employer", "foretag")),
    ("job", ("job", "job_title", "jobtitle", "occupation", "yrke", "befattning")),
)

#: The bare word for a name. Alone (``namn``) or qualified by a person (``kund_namn``) it is a
#: person's full name; qualified by a place or an organisation (``kommun_namn``,
#: ``city_name``, ``foretagsnamn``) it names that, and by a thing (``produkt_namn``) no one.
_GENERIC_NAMES = ("namn", "name")
#: Qualifiers of a name that are neither a person nor a place or organisation (those come
#: from _QUASI_RULES): the name is a thing's.
_THING_WORDS = frozenset((
    "product", "produkt", "item", "artikel", "article", "unit", "enhet", "department",
    "avdelning", "dept", "category", "kategori", "group", "grupp", "team", "project",
    "projekt", "file", "fil", "table", "tabell", "type", "typ", "school", "skola", "store",
    "butik", "shop", "branch", "filial", "bank", "brand", "varumarke", "service", "tjanst",
    "benefit", "insats", "plan", "program", "course", "kurs", "event", "song", "track",
    "album", "artist", "band", "genre", "media", "playlist", "film", "movie", "book", "bok",
    "street", "gata", "gatu", "road", "vag", "station", "hospital", "sjukhus", "office",
    "kontor", "site", "plats", "building", "byggnad", "room", "rum", "host", "server",
    "database", "schema", "column", "field", "app", "application", "device", "model",
    "tag", "label",
))
#: Swedish joins a compound's parts with a linking s (foretag+s+namn).
_LINK = "s"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}$")
_PNR = re.compile(r"^(\d{2})?(\d{6})[-+]?(\d{4})$")
_PHONE = re.compile(r"^\+?[\d\s\-().]{7,20}$")
_IPV4 = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).lower()


def luhn_ok(digits: str) -> bool:
    """Luhn check over a Swedish personnummer's 10 digits (YYMMDDNNNC)."""
    return check_digit(digits[:-1]) == digits[-1]


def check_digit(nine: str) -> str:
    """The Luhn check digit of a personnummer's first nine digits (YYMMDDNNN)."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Detection:
    provider: str
    reason: str


def detect(column: str, values: Sequence[str]) -> Detection | None:
    """Which personal-data provider a string column holds, if any, and why."""
    name = _fold(column)
    tokens = set(name.split("_")) | {name}
    for provider, names in _NAME_RULES:
        if any(n in tokens or name.endswith("_" + n) or name == n for n in names):
            return Detection(provider, f"column name {column!r}")
    # Swedish "namn" is a person's name unless a place, organisation or thing qualifies it;
    # English "name" is too common a word (task_name, role_name) to be one by itself.
    named = name_qualifiers(column)
    if named is not None and "namn" in name.split("_") and \
            not any(_not_a_person(q) for q in named[1]):
        return Detection("full_name", f"column name {column!r}")
    sample = [v for v in values if isinstance(v, str) and v][:500]
    if len(sample) < 5:
        return None
    for provider, test in (("email", _EMAIL.match), ("ipv4", _IPV4.match),
                           ("iban", _IBAN.match), ("personnummer", _is_pnr),
                           ("phone", _looks_phone)):
        share = sum(1 for v in sample if test(v.strip())) / len(sample)
        if share >= 0.8:
            return Detection(provider, f"{share:.0%} of values look like {provider}")
    return None


#: Words of a column name that make it a birth date, which no lookup table holds.
_BIRTH_WORDS = frozenset(("birth", "birthday", "birthdate", "born", "dob", "fodelsedatum",
                          "fodelsedag", "geburtsdatum"))


def is_birth_column(column: str) -> bool:
    """Whether the column's name says it holds birth dates (``birth``, ``BirthDate``, ``dob``)."""
    words = [w for w in re.split(r"[^a-z0-9]+", _fold(column)) if w]
    return any(w in _BIRTH_WORDS or w.startswith("birth") for w in words)


#: Locales whose first names Faker lists, for telling people's names by their values.
_NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "sv_SE", "nl_NL",
                 "pt_BR", "pl_PL")
#: Share of a column's values that must read "Firstname Lastname" for it to name people.
PEOPLE_SHARE = 0.5


@functools.cache
def _known_first_names() -> frozenset[str]:
    names: set[str] = set()
    for locale in _NAME_LOCALES:
        try:
            person = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        names |= {n.lower() for n in getattr(person, "first_names", ())}
    return frozenset(names)


def names_people(values: Sequence[str]) -> bool:
    """Whether at least half the values are two or three capitalised words beginning with a
    first name Faker knows (Lana Kane, Barry Dylan), whatever the column is called: a bare
    ``name`` is too common a word to decide (genre.name, agent.name)."""
    sample = [v for v in values if isinstance(v, str) and v.strip()][:500]
    if len(sample) < 5:
        return False
    known = _known_first_names()

    def person(value: str) -> bool:
        words = value.split()
        return 2 <= len(words) <= 3 and all(w[:1].isupper() for w in words) and \
            words[0].lower() in known

    return sum(map(person, sample)) >= PEOPLE_SHARE * len(sample)


def name_qualifiers(column: str) -> tuple[str, list[str]] | None:
    """For a column named by the bare word for a name (``namn``, ``kommun_namn``,
    ``KommunNamn``, ``name_of_city``, Swedish compounds ``foretagsnamn``): that word and the
    words qualifying it (``("namn", ["kommun"])``, ``("namn", ["foretag"])``); None for any
    other column."""
    words = [w for w in _fold(column).split("_") if w]
    for generic in _GENERIC_NAMES:
        if generic in words:
            return generic, [w for w in words if w != generic and w != "of"]
    if words and words[-1].endswith("namn") and len(words[-1]) > len("namn"):
        stem = words[-1][:-len("namn")]
        return "namn", words[:-1] + [stem[:-1] if stem.endswith(_LINK) and len(stem) > 3
                                     else stem]
    return None


def _not_a_person(word: str) -> bool:
    """A name's qualifier naming a place, an organisation or a thing, not a person."""
    return word in _THING_WORDS or _quasi_word(word) is not None


def _quasi_word(word: str) -> str | None:
    for provider, names in _QUASI_RULES:
        if word in names:
            return provider
    return None


def quasi_identifier(column: str) -> str | None:
    """The Faker provider for a quasi-identifying column (city, country, company, job); a
    place's or an organisation's name (``kommun_namn``, ``foretagsnamn``) counts as the
    place or organisation."""
    for word in (name_qualifiers(column) or ("", []))[1]:
        found = _quasi_word(word)
        if found is not None:
            return found
    name = _fold(column)
    tokens = set(name.split("_"))
    for provider, names in _QUASI_RULES:
        if any(n in tokens or name == n for n in names):
            return provider
    return None


def quasi_provider(column: str, median_length: float) -> str | None:
    """The quasi-identifier provider, abbreviated where the source abbreviates (CA, AB)."""
    provider = quasi_identifier(column)
    if provider == "state" and median_length <= 3:
        return "state_abbr"
    return provider


def _is_pnr(value: str) -> bool:
    m = _PNR.match(value)
    return m is not None and luhn_ok(m.group(2) + m.group(3))


def _looks_phone(value: str) -> bool:
    return bool(_PHONE.match(value)) and sum(ch.isdigit() for ch in value) >= 7


def guess_locale(column_names: Sequence[str], detections: Sequence[str]) -> str:
    """Swedish when the schema speaks Swedish or holds personnummer; English otherwise."""
    swedish = {"personnummer", "fornamn", "efternamn", "adress", "postnummer", "telefon",
               "epost", "kommun", "arende", "beslut", "handlaggare", "hushall", "utbetalning"}
    folded = {_fold(c) for c in column_names}
    if "personnummer" in detections or any(
            any(s in part for s in swedish) for c in folded for part in c.split("_")):
        return "sv_SE"
    return "en_US"


#: Faker instances per locale, shared (see `Generator.fake`).
_FAKERS: dict[str, Any] = {}
#: Faker values made per provider at most; a table of n rows needs about POOL_PER_ROW x n
#: for its values to vary (and to match target lengths), never fewer than POOL_MIN. Faker
#: makes a street address or a company in ~0.1-0.3 ms, so a fixed pool of 3000 per provider
#: was most of the time a 59-row table took to clone.
POOL_MAX = 3000
POOL_MIN = 400
POOL_PER_ROW = 8


def pool_size(n: int) -> int:
    return int(min(POOL_MAX, max(POOL_MIN, POOL_PER_ROW * n)))


class Generator:
    """Faker values in bulk: a pool per provider, drawn with numpy, never one call per cell."""

    def __init__(self, locale: str, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.locale = locale
        self.seed = seed
        self._fake: Any = None
        self._pools: dict[str, list[str]] = {}
        self._subs: dict[str, Generator] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the Faker instance (the worker makes its own, `fake`)."""
        return {**self.__dict__, "_fake": None}

    @property
    def fake(self) -> Any:
        """The locale's Faker instance, made on first use and shared by every Generator of the
        process (making one costs a tenth of a second or more; fit and sample both need it).
        Sharing is safe: its randomness is used only in `pool`, which seeds it first."""
        if self._fake is None:
            if self.locale not in _FAKERS:
                from faker import Faker

                _FAKERS[self.locale] = Faker(self.locale)
            self._fake = _FAKERS[self.locale]
        return self._fake

    def pool(self, provider: str, size: int = POOL_MAX) -> list[str]:
        """The first `size` values of the provider's seeded stream: a pool made for a small
        table grows when a larger one asks. Exactly `size`, whatever was asked before, so a
        chunk draws the same values in any process (`dbclone.synth.parallel`)."""
        if len(self._pools.get(provider, ())) < size:
            pool = self._names(provider, size)
            if pool is None:
                make = self._maker(provider)
                # Each pool from its own seed: a column's values never depend on which
                # other columns drew Faker values before it.
                self.fake.seed_instance(f"{self.seed}:{provider}")
                # one line each: some locales' addresses hold a line break ("Studio 45\nMax
                # Loop"), which a column of one-line values never has
                pool = [str(make()).replace("\n", ", ") for _ in range(size)]
            self._pools[provider] = pool
        pool = self._pools[provider]
        return pool if len(pool) == size else pool[:size]

    def _names(self, provider: str, size: int) -> list[str] | None:
        """Names drawn with numpy from the locale's own weighted lists, as Faker draws them
        (Faker's own call costs ~0.3 ms a name); a full name is a first and a last name."""
        if provider == "full_name":
            first, last = self._names("first_name", size), self._names("last_name", size)
            if first is None or last is None:
                return None
            return [f"{f} {la}" for f, la in zip(first, last, strict=True)]
        if provider not in ("first_name", "last_name"):
            return None
        from faker.providers.person import Provider as Person

        try:
            person = importlib.import_module(f"faker.providers.person.{self.locale}").Provider
        except (ImportError, AttributeError):
            person = next((type(p) for p in self.fake.providers if isinstance(p, Person)), None)
        if person is None or getattr(person, provider) is not getattr(Person, provider):
            return None  # a locale with its own rule
        names = getattr(person, provider + "s", None)
        if not names:
            return None
        values = list(names)
        # A stream of its own per provider: the first `size` names are the same whoever asks
        # first and for how many (`pool`).
        u = np.random.default_rng([self.seed, zlib.crc32(provider.encode())]).random(size)
        if isinstance(names, dict):
            p = np.cumsum([float(names[v]) for v in values])
            picks = np.minimum(np.searchsorted(p, u * p[-1], side="right"), len(values) - 1)
        else:
            picks = (u * len(values)).astype(np.int64)
        return [str(values[i]) for i in picks]

    def _maker(self, provider: str) -> Callable[[], str]:
        fake = self.fake
        return {
            "first_name": fake.first_name, "last_name": fake.last_name, "full_name": fake.name,
            "street_address": fake.street_address, "city": fake.city, "postcode": fake.postcode,
            "phone": fake.phone_number, "ipv4": fake.ipv4_public, "iban": fake.iban,
            "bank_account": lambda: fake.bothify("####-#########"),
            "user_name": fake.user_name, "word": fake.word,
            "sentence": lambda: fake.sentence(nb_words=12),
            "company": fake.company, "country": fake.country, "job": fake.job,
            "state": getattr(fake, "state", fake.city),
            "state_abbr": getattr(fake, "state_abbr", fake.city_suffix),
        }.get(provider, fake.word)

    def draw_mixed(self, provider: str, n: int, lengths: np.ndarray | None,
                   locales: Sequence[str], shares: Sequence[float]) -> np.ndarray:
        """n values, each in a locale drawn by `shares` (the source's rows' countries:
        "Obere Str. 57" for Germany, "12, rue des Bouchers" for France), from that locale's
        own seeded pool."""
        p = np.asarray(shares, dtype=float)
        which = self.rng.choice(len(locales), n, p=p / p.sum())
        out = np.empty(n, dtype=object)
        for i, locale in enumerate(locales):
            at = np.flatnonzero(which == i)
            if not len(at):
                continue
            sub = self if locale == self.locale else self._sub(locale)
            out[at] = self._pick(sub.pool(provider, pool_size(len(at))), len(at),
                                 None if lengths is None else np.asarray(lengths)[at],
                                 functools.partial(sub.pool, provider))
        return out

    def _sub(self, locale: str) -> Generator:
        """A Generator of another locale with this one's seed (its pools are its own seeded
        streams; the draws among them are this one's)."""
        if locale not in self._subs:
            self._subs[locale] = Generator(locale, self.seed)
        return self._subs[locale]

    def draw(self, provider: str, n: int, lengths: np.ndarray | None = None) -> np.ndarray:
        """n values; with `lengths`, each the pool value closest to its target length, so
        the replaced column keeps the source's length distribution."""
        return self._pick(self.pool(provider, pool_size(n)), n, lengths,
                          lambda size: self.pool(provider, size))

    def _pick(self, pool: list[str], n: int, lengths: np.ndarray | None,
              more: Callable[[int], list[str]]) -> np.ndarray:
        if lengths is None:
            return np.asarray(pool, dtype=object)[self.rng.integers(0, len(pool), n)]
        have = {len(v) for v in pool}
        if len(pool) < POOL_MAX and np.mean([int(k) not in have for k in lengths]) > 0.05:
            # A small table's pool lacks lengths its rows need (Chinook's five-letter cities
            # among Faker's longer ones): the full pool, the same seeded stream continued.
            pool = more(POOL_MAX)
        by_length = sorted(pool, key=len)
        sizes = np.asarray([len(v) for v in by_length])
        # A random pick among the values whose length is nearest the target.
        lo = np.searchsorted(sizes, lengths, side="left")
        hi = np.searchsorted(sizes, lengths, side="right")
        empty = lo == hi
        lo[empty] = np.clip(lo[empty] - 1, 0, len(sizes) - 1)
        hi[empty] = np.clip(lo[empty] + 2, 1, len(sizes))
        picks = lo + (self.rng.random(n) * (hi - lo)).astype(int)
        return np.asarray(by_length, dtype=object)[np.clip(picks, 0, len(sizes) - 1)]

    # The source's email traits (domains and their weights, lengths, name styles, case) are
    # each optional: an email column without them is Faker's.
    def emails(self, first: np.ndarray | None, last: np.ndarray | None, n: int,  # noqa: PLR0913
               domains: Sequence[str] = (), weights: Sequence[float] = (),
               lengths: np.ndarray | None = None, styles: Sequence[float] = (),
               local_case: str = "") -> np.ndarray:
        """Emails built from the row's name where there is one, so they belong together; on
        the source's common domains (shared by at least k people) when it has them, else on
        reserved example domains. The local part follows the source's own name styles
        (`styles`: shares of `email_locals`' forms, the rest free), otherwise the style whose
        length is nearest the target."""
        if not domains:
            domains, weights = _EXAMPLE_DOMAINS, (1.0,) * len(_EXAMPLE_DOMAINS)
        if first is None or last is None:
            first, last = self.draw("first_name", n), self.draw("last_name", n)
        p = np.asarray(weights, dtype=float)
        dom = np.asarray(domains, dtype=object)[self.rng.choice(len(domains), n, p=p / p.sum())]
        picks = np.full(n, -1)
        if len(styles) and sum(styles) > 0:
            shares = np.append(np.asarray(styles, dtype=float), max(0.0, 1.0 - sum(styles)))
            picks = self.rng.choice(len(shares), n, p=shares / shares.sum())
            picks[picks == len(styles)] = -1
        recase = {"upper": str.upper, "lower": str.lower}.get(local_case, str)
        out = []
        for i, (f, la, d) in enumerate(zip(first, last, dom, strict=True)):
            forms = email_locals(email_token(f), email_token(la))
            if picks[i] >= 0:
                local = forms[picks[i]]
            elif lengths is None:
                local = forms[0]
            else:
                want = lengths[i] - len(d) - 1
                local = min(forms, key=lambda s: abs(len(s) - want))
            out.append(f"{recase(local)}@{d}")
        return np.asarray(out, dtype=object)

    def personnummer(self, births: Sequence[date | None] | None, n: int, long_form: bool,
                     sep: str) -> np.ndarray:
        """Valid Swedish personnummer; birth dates from the row when given."""
        out = []
        serials = self.rng.integers(0, 1000, n)
        for i in range(n):
            b = births[i] if births is not None else None
            if b is None:
                b = date(int(self.rng.integers(1930, 2020)), int(self.rng.integers(1, 13)),
                         int(self.rng.integers(1, 29)))
            nine = f"{b:%y%m%d}{serials[i]:03d}"
            digits = nine + check_digit(nine)
            head = f"{b:%Y%m%d}" if long_form else f"{b:%y%m%d}"
            out.append(f"{head}{sep}{digits[6:]}")
        return np.asarray(out, dtype=object)


def email_locals(first: str, last: str) -> list[str]:
    """The usual ways a local part is built from a name (ASCII, lower case), in a fixed order:
    a model stores the share of each by its position."""
    f, la = first or "user", last or "user"
    return [f"{f}.{la}", f"{f}{la[:1]}", f"{f[:1]}{la}", f, f"{f}_{la}", f"{f}.{la}1",
            f"{f}{la}", f"{la}.{f}", f"{f[:1]}.{la}", la]


def email_style(email: str, first: str, last: str) -> int:
    """Which of `email_locals`' forms an email's local part is (-1: none)."""
    local = unicodedata.normalize("NFKD", email.rsplit("@", 1)[0]).encode("ascii", "ignore")
    text = local.decode().lower()
    forms = email_locals(email_token(first), email_token(last))
    return forms.index(text) if text in forms else -1


def common_domains(emails: Sequence[str], k: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Email domains used by at least k addresses, with shares — moved under a reserved
    top-level domain (gmail.com becomes gmail.test, RFC 2606), so a test system can never
    mail a real person at a generated address."""
    from collections import Counter

    counts = Counter(_example_domain(e.rsplit("@", 1)[-1].lower()) for e in emails if "@" in e)
    kept = [(d, c) for d, c in counts.most_common(50) if c >= k]
    total = float(sum(c for _, c in kept)) or 1.0
    return tuple(d for d, _ in kept), tuple(c / total for _, c in kept)


#: Top-level domains reserved for testing and documentation (RFC 2606): never delivered.
_RESERVED_TLDS = ("test", "example", "invalid")


def _example_domain(domain: str) -> str:
    """The domain's first label under the reserved top-level domain nearest in length to what
    it replaces, the label shortened to keep the domain's length where it stays 4 characters
    or longer (sakilacustomer.org becomes sakilacustome.test): an email's length follows its
    names as in the source."""
    label, _, rest = domain.partition(".")
    label = re.sub(r"[^a-z0-9-]", "", label) or "mail"
    tld = min(_RESERVED_TLDS, key=lambda t: abs(len(t) - len(rest)))
    extra = len(tld) - len(rest)
    if 0 < extra <= len(label) - 4:
        label = label[: len(label) - extra]
    return f"{label}.{tld}"


def letter_case(values: Sequence[str]) -> str:
    """'upper' or 'lower' when at least 90% of the values are written so."""
    letters = [v for v in values if any(ch.isalpha() for ch in v)]
    if len(letters) < 5:
        return ""
    if sum(v.isupper() for v in letters) >= 0.9 * len(letters):
        return "upper"
    if sum(v.islower() for v in letters) >= 0.9 * len(letters):
        return "lower"
    return ""


#: Personal data whose format differs by country and system: generated in the source's own
#: formats (``999 99`` for a Swedish postcode, a private network's ``99.99.9.999``) rather
#: than Faker's.
SHAPED = ("postcode", "phone", "bank_account", "ipv4")


#: Domains reserved for examples (RFC 2606): a generated address can never be someone's.
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com",
                    "post.example.org", "ex.example.net")


def email_token(text: str) -> str:
    """A name as it stands in an email's local part: ASCII letters and digits, lower case."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower()) or "user"
