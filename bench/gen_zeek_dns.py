"""Generate a realistic Zeek dns.log (TSV or JSON) for the ingest benchmark.

Shape: a few thousand internal clients whose activity is heavy-tailed (busy
servers query most), each with its own working set of names it asks for again
and again (85% of its queries) plus fresh names; popular "hub" domains with
many subdomains and stable CDN CNAME chains onto shared address pools; a long
tail of rare domains; DGA-like NXDOMAIN names, PTR lookups, IPv6 answers and
the odd unanswered query. Deterministic for a given seed. ``--day N`` keeps the
same network (clients, names, address pools) and draws another day of queries
from it, N days later: what a daily load sees again and again.

    python bench/gen_zeek_dns.py --lines 1000000 --out bench/out/dns.log
    python bench/gen_zeek_dns.py --lines 1000000 --day 3 --out bench/out/dns-day3.log
"""

from __future__ import annotations

import argparse
import json
import random
import string
import zlib
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

FIELDS = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qclass_name",
    "qtype",
    "qtype_name",
    "rcode",
    "rcode_name",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "answers",
    "TTLs",
    "rejected",
]
TYPES = [
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "enum",
    "count",
    "interval",
    "string",
    "count",
    "string",
    "count",
    "string",
    "count",
    "string",
    "bool",
    "bool",
    "bool",
    "bool",
    "count",
    "vector[string]",
    "vector[interval]",
    "bool",
]
HUBS = [
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "microsoft.com",
    "windowsupdate.com",
    "office.com",
    "live.com",
    "bing.com",
    "apple.com",
    "icloud.com",
    "amazon.com",
    "amazonaws.com",
    "cloudfront.net",
    "akamaiedge.net",
    "akamaized.net",
    "facebook.com",
    "fbcdn.net",
    "twitter.com",
    "linkedin.com",
    "yahoo.com",
    "doubleclick.net",
    "googlesyndication.com",
    "adnxs.com",
    "cloudflare.com",
    "github.com",
    "githubusercontent.com",
    "slack.com",
    "zoom.us",
    "salesforce.com",
    "okta.com",
    "dropbox.com",
    "sharepoint.com",
    "azureedge.net",
    "msedge.net",
    "trafficmanager.net",
    "youtube.com",
    "ytimg.com",
    "wikipedia.org",
    "mozilla.org",
    "digicert.com",
]
TLDS = ["com", "net", "org", "io", "de", "co.uk", "ru", "cn", "info", "xyz", "top", "at", "fr", "nl", "online"]
QTYPES = [
    ("A", 1, 62),
    ("AAAA", 28, 20),
    ("HTTPS", 65, 6),
    ("PTR", 12, 5),
    ("TXT", 16, 3),
    ("MX", 15, 2),
    ("SRV", 33, 2),
]


def _word(rng: random.Random, low: int = 4, high: int = 12) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(low, high)))


def _cum(weights: list[float]) -> list[float]:
    return list(accumulate(weights))


def generate(lines: int, out: Path, *, seed: int, json_lines: bool, day: int = 0) -> None:
    rng = random.Random(seed)
    hosts = [f"10.{rng.randint(0, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(3000)]
    host_w = _cum([1.0 / (i + 1) ** 1.1 for i in range(len(hosts))])
    resolvers = ["10.0.0.53", "10.0.0.54"]
    pools = {
        hub: [
            f"{rng.randint(2, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            for _ in range(rng.randint(4, 40))
        ]
        for hub in HUBS
    }
    hub_names = [f"{_word(rng, 2, 8)}.{hub}" for hub in HUBS for _ in range(rng.randint(5, 60))] + HUBS
    hub_w = _cum([1.0 / (i + 1) ** 0.9 for i in range(len(hub_names))])
    tail = [f"{_word(rng)}.{rng.choice(TLDS)}" for _ in range(60_000)]
    tail_w = _cum([1.0 / (i + 1) ** 0.7 for i in range(len(tail))])
    tail_ips = {
        name: f"{rng.randint(2, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for name in tail[:20_000]
    }
    qtype_w = _cum([w for _, _, w in QTYPES])
    working_sets: dict[str, list[str]] = {}

    def pick() -> str:
        if rng.random() < 0.65:
            return rng.choices(hub_names, cum_weights=hub_w)[0]
        return rng.choices(tail, cum_weights=tail_w)[0]

    def answers_for(query: str, qtype_name: str) -> list[str]:
        hub = query if query in pools else query.split(".", 1)[1]
        if hub in pools and qtype_name in ("A", "AAAA", "HTTPS"):
            crc = zlib.crc32(query.encode())
            chain = [f"{query.replace('.', '-')}.edgekey.net", f"e{crc % 9999}.a.akamaiedge.net"]
            ips = rng.sample(pools[hub], k=min(len(pools[hub]), rng.randint(1, 4)))
            if qtype_name == "AAAA":  # the same pool, as IPv6
                ips = [f"2600:1400:{HUBS.index(hub):x}::{ip.rsplit('.', 1)[1]}" for ip in ips]
            return (chain if crc % 2 else []) + ips  # half the hub names sit behind a stable CDN chain
        if hub in pools and qtype_name == "MX":
            return [f"mx{n}.{hub}" for n in range(1, 3)]
        if qtype_name == "A" and query in tail_ips:
            return [tail_ips[query]]
        return ["TXT 42 v=spf1 include:_spf.example.net ~all"] if qtype_name == "TXT" else []

    def question(client: str, qtype_name: str) -> tuple[str, list[str], int | None, str | None]:
        """The name a client asks for, the answers and the response code."""
        if qtype_name == "PTR":
            query = f"{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.10.in-addr.arpa"
            return query, [f"host-{rng.randint(1, 999)}.corp.example"], 0, "NOERROR"
        if rng.random() < 0.03:  # DGA-like NXDOMAIN names
            return f"{_word(rng, 10, 18)}.{rng.choice(TLDS)}", [], 3, "NXDOMAIN"
        working = working_sets.get(client)
        if working is None:
            working = working_sets[client] = [pick() for _ in range(rng.randint(30, 300))]
        query = rng.choice(working) if rng.random() < 0.85 else pick()
        return query, answers_for(query, qtype_name), 0, "NOERROR"

    if day:  # the same network, another day's queries (day 0 keeps the stream it always had)
        rng.seed(f"{seed}/day {day}")
    ts = 1_714_521_600.0 + 86_400 * day
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        if not json_lines:
            handle.write(_header(ts))
        for i in range(lines):
            ts += rng.expovariate(12.0)
            client = rng.choices(hosts, cum_weights=host_w)[0]
            qtype_name, qtype, _ = rng.choices(QTYPES, cum_weights=qtype_w)[0]
            query, answers, rcode, rcode_name = question(client, qtype_name)
            if rng.random() < 0.02:
                answers, rcode, rcode_name = [], None, None  # no response seen
            record = {
                "ts": round(ts, 6),
                "uid": f"C{day:03d}{i:014d}" if day else f"C{i:017d}",
                "id.orig_h": client,
                "id.orig_p": rng.randint(1024, 65535),
                "id.resp_h": rng.choice(resolvers),
                "id.resp_p": 53,
                "proto": "udp",
                "trans_id": rng.randint(0, 65535),
                "rtt": round(rng.random() / 20, 6) if rcode is not None else None,
                "query": query,
                "qclass": 1,
                "qclass_name": "C_INTERNET",
                "qtype": qtype,
                "qtype_name": qtype_name,
                "rcode": rcode,
                "rcode_name": rcode_name,
                "AA": False,
                "TC": False,
                "RD": True,
                "RA": rcode is not None,
                "Z": 0,
                "answers": answers or None,
                "TTLs": [float(rng.choice((30, 60, 300, 3600))) for _ in answers] or None,
                "rejected": False,
            }
            handle.write(
                json.dumps({k: v for k, v in record.items() if v is not None}) + "\n"
                if json_lines
                else "\t".join(_tsv(record[f]) for f in FIELDS) + "\n"
            )
        if not json_lines:
            handle.write(f"#close\t{_stamp(ts)}\n")


def _header(ts: float) -> str:
    return (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
        f"#open\t{_stamp(ts)}\n#fields\t" + "\t".join(FIELDS) + "\n#types\t" + "\t".join(TYPES) + "\n"
    )


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d-%H-%M-%S")


def _tsv(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, list):
        return ",".join(_tsv(v) for v in value) if value else "(empty)"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "dns.log")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="write Zeek JSON lines instead of TSV")
    parser.add_argument("--day", type=int, default=0, help="another day of the same network, N days later")
    args = parser.parse_args()
    generate(args.lines, args.out, seed=args.seed, json_lines=args.json, day=args.day)
    print(f"wrote {args.lines:,} lines to {args.out}")


if __name__ == "__main__":
    main()
