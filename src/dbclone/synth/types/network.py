"""Network addresses: PostgreSQL inet, cidr, macaddr, macaddr8; MariaDB INET4, INET6.

An address can name a person's machine, so only what many rows share is learned: the share
of IPv6, the prefix lengths, the leading 16 bits (IPv4) or 32 bits (IPv6) held by at least k
rows, and a MAC address's vendor part (its first three bytes) held by k rows. Host bits are
always new; a network (cidr) has its host bits zero.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import numpy as np

from dbclone.synth.types._common import choose, counts, share

TYPES = (
    ("inet", "postgresql", ("inet",)), ("cidr", "postgresql", ("cidr",)),
    ("macaddr", "postgresql", ("macaddr",)), ("macaddr8", "postgresql", ("macaddr8",)),
    ("inet4", "mysql", ("inet4",)), ("inet6", "mysql", ("inet6",)),
)
#: Leading bits kept as a category, per IP version.
_HEAD = {4: 16, 6: 32}


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return ipaddress.ip_network(f"{value.ip}/{value.network.prefixlen}", strict=False)
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ipaddress.ip_network(value)
    return ipaddress.ip_network(str(value), strict=False)


def _address(value: Any) -> int:
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return int(value.ip)
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return int(value)
    return int(ipaddress.ip_interface(str(value)).ip)


def fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    name = sql_type.lower()
    if name.startswith("macaddr"):
        octets = [str(v).replace("-", ":").lower().split(":") for v in values]
        vendors, probs = counts((":".join(o[:3]) for o in octets), k)
        return {"mac": True, "bytes": 8 if name.startswith("macaddr8") else 6,
                "vendors": vendors, "probs": probs}
    nets = [_network(v) for v in values]
    six = share(n.version == 6 for n in nets)
    out: dict[str, Any] = {"mac": False, "v6": six, "cidr": name.startswith("cidr"),
                           "bare": name in ("inet4", "inet6")}
    for version in (4, 6):
        mine = [(n, a) for n, a in zip(nets, map(_address, values), strict=True)
                if n.version == version]
        bits = 32 if version == 4 else 128
        heads = (a >> (bits - _HEAD[version]) for _, a in mine)
        out[f"heads{version}"], out[f"hprobs{version}"] = counts(heads, k)
        out[f"prefix{version}"], out[f"pprobs{version}"] = counts(
            (n.prefixlen for n, _ in mine), 1)
    return out


def sample(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    if params["mac"]:
        return _macs(params, n, rng)
    six = rng.random(n) < params["v6"]
    out: list[Any] = [None] * n
    for version, rows in ((4, np.flatnonzero(~six)), (6, np.flatnonzero(six))):
        for i, text in zip(rows.tolist(), _ips(params, version, len(rows), rng), strict=True):
            out[i] = text
    return out


def _ips(params: dict[str, Any], version: int, n: int, rng: np.random.Generator) -> list[str]:
    if not n:
        return []
    bits, head = (32, 16) if version == 4 else (128, 32)
    # where no leading bits are held by k rows: a private range (10/8, fd00::/8)
    private, spread = (0x0A00, 8) if version == 4 else (0xFD000000, 24)
    heads = choose(params[f"heads{version}"], params[f"hprobs{version}"], n, rng)
    prefixes = choose(params[f"prefix{version}"], params[f"pprobs{version}"], n, rng)
    out = []
    for h, p in zip(heads, prefixes, strict=True):
        p = int(p if p is not None else bits)
        rest = int.from_bytes(rng.bytes((bits - head) // 8), "big")
        if h is None:
            h = private | int(rng.integers(0, 1 << spread))
        value = (h << (bits - head)) | rest
        if params["cidr"]:
            value &= ((1 << bits) - 1) ^ ((1 << (bits - p)) - 1)
        addr = ipaddress.ip_address(value) if version == 4 else ipaddress.IPv6Address(value)
        out.append(str(addr) if params["bare"] or (p == bits and not params["cidr"])
                   else f"{addr}/{p}")
    return out


def _macs(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[str]:
    vendors = choose(params["vendors"], params["probs"], n, rng)
    size = params["bytes"]
    raw = rng.integers(0, 256, size=(n, size))
    out = []
    for vendor, row in zip(vendors, raw, strict=True):
        parts = [f"{b:02x}" for b in row.tolist()]
        if vendor is not None:
            parts[:3] = vendor.split(":")
        else:
            parts[0] = f"{(int(parts[0], 16) | 0x02) & 0xFE:02x}"  # locally administered
        out.append(":".join(parts))
    return out
