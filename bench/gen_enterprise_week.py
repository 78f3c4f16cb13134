"""Generate a synthetic enterprise week with planted exposures and traps, for the hunt-quality benchmark.

    python bench/gen_enterprise_week.py --seed 1 --scale small --out /tmp/week-1

Writes, under ``--out``::

    data/intel/misp-events.json          three MISP events (REST search answer), attributes and objects
    data/intel/stix-bundle.json          a STIX 2.1 bundle: indicators with validity, SCOs, observed-data, report
    data/intel/partner-iocs.txt          a partner's defanged list, with hashes, e-mails and a CIDR mixed in
    data/intel/suspicious-services.txt   a maltrail-style 'suspicious' trail: IP-lookup and dynamic-DNS services
    data/telemetry/zeek-hq/DAY/*.log.gz  Zeek 6 TSV (dns, conn, http, ssl, x509), rotated daily, gzip
    data/telemetry/zeek-branch/*.log     Zeek 6 JSON lines
    data/telemetry/zeek-dmz/DAY/dns...   the DMZ resolver's recursion (Zeek TSV): passive DNS, NS records
    data/telemetry/suricata-east/eve.json  Suricata 7 EVE (dns, tls with ja3/ja3s, http, flow)
    data/telemetry/squid-east/access.log   Squid native access.log (explicit proxy, TLS bumping)
    truth.json                           what was planted; never given to graphpivot

The same seed and scale always give the same bytes. ``truth.json`` lists every
host with ``status`` exposed / trap / benign, its planted evidence or trap kinds
and the rank a good grader should give it (``above-weak``; ``pivot`` for
infrastructure siblings; ``at-most-weak`` for traps).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hunt_actor import Adversary, Planted, Planter, build_adversary, new_rng
from hunt_formats import Telemetry
from hunt_intel import write_intel
from hunt_model import COMPANIES, DAY, WEEK_START, Addresses, Ids, iso
from hunt_world import SCALES, World

RANKS = ["weak", "low", "pivot", "medium", "strong", "very strong"]
HOW_EXPOSED = {
    "exact-domain": "the host resolved or browsed an indicator domain (Zeek dns+ssl SNI; Squid CONNECT)",
    "exact-ip": "the host connected by address to an indicator IP (conn/flow, TLS without SNI)",
    "exact-url": "the host requested an indicator URL (Squid http:// and TLS-bumped https://, Zeek http.log)",
    "client-fingerprint": "the host's TLS client had the implant's JA3 (Zeek ssl ja3, EVE tls.ja3.hash)",
    "subdomain": "the host resolved and browsed names 1-2 labels under an indicator domain",
    "url-host-dns": "the host only resolved the site of an indicator URL (no connection)",
    "url-host-sni": "the host only reached the site of an indicator URL by TLS SNI (DoH: no DNS log)",
    "certificate": "the host's TLS 1.2 session showed a server certificate whose SHA-256 is in a MISP x509 object",
    "dns-answer-ip": "the host asked an unpublished name whose DNS answer was an indicator IP (no connection)",
    "sibling-shared-ip": "unpublished domain on the dedicated VPS address an indicator domain used the same days",
    "sibling-shared-ns": "unpublished domain served by the actor's own name servers (NS seen by the DMZ resolver)",
    "sibling-shared-cert": "unpublished address presenting the self-signed certificate an indicator IP presents",
}
HOW_TRAP = {
    "ip-reuse": "a new benign tenant of a former indicator IP, after the intel's validity window",
    "cdn-hub": "other names on the CDN address pair an indicator domain uses (hundreds share it)",
    "shared-hosting": "other shops on the shared-hosting address an indicator domain uses (hundreds share it)",
    "popular-context": "services the intel names only as context (to_ids=false, URL-object host, observed-data)",
    "lookalike": "names that contain an indicator domain as a string without being it or under it",
    "popular-ns": "domains on the registrar name servers an indicator domain also uses",
    "same-ca": "other certificates from the CA of a published certificate",
    "cloud-upload": "large benign uploads to cloud storage (one named in intel as context)",
    "shared-ja3": "the browser JA3 most Windows hosts share, listed in a sandbox event",
    "high-prevalence": "OS connectivity/update names listed with to_ids in a sandbox event, used by most hosts",
    "ip-lookup": "IP-lookup services from the suspicious list",
    "dynamic-dns": "a benign name under a dynamic-DNS provider from the suspicious list",
}


def build(seed: int, scale_name: str) -> tuple[World, Adversary, Planter, Telemetry]:
    """The world, the actor, what was planted, and every sensor's records."""
    rng = new_rng(seed, "world")
    world = World(seed, SCALES[scale_name], rng, Ids(new_rng(seed, "ids")), Addresses(new_rng(seed, "addresses")),
                  rng.choice(COMPANIES))
    world.build_benign()
    world.build_hosts()
    adv = build_adversary(world)
    planter = Planter(world, adv)
    planter.plant_exposures(world.scale.copies)
    planter.plant_traps()
    telemetry = Telemetry(world)
    telemetry.add_all([*world.background(), *planter.sessions])
    return world, adv, planter, telemetry


def generate(seed: int, scale_name: str, out: Path) -> dict[str, Any]:
    """Write the week's files and truth.json under ``out``; return the truth."""
    world, adv, planter, telemetry = build(seed, scale_name)
    data = out / "data"
    intel_files, published = write_intel(data / "intel", world, adv, Ids(new_rng(seed, "intel")))
    telemetry_files = telemetry.write(data / "telemetry")
    truth = make_truth(seed, scale_name, world, adv, planter, telemetry, published)
    truth["files"] = {str(p.relative_to(out)): _file_facts(p) for p in [*intel_files, *telemetry_files]}
    truth["lines"] = sum(f["lines"] for f in truth["files"].values())
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return truth


def make_truth(seed: int, scale_name: str, world: World, adv: Adversary, planter: Planter, telemetry: Telemetry,
               published: dict[str, list[str]]) -> dict[str, Any]:
    """Per host: exposed (with evidence), trap (with kinds) or benign, and the rank a grader should give."""
    by_host: dict[str, list[Planted]] = defaultdict(list)
    for p in planter.planted:
        by_host[p.host.ip].append(p)
    tags = telemetry.host_tags()
    hosts: dict[str, Any] = {}
    for host in world.hosts:
        planted = by_host.get(host.ip, [])
        exposures = [p for p in planted if p.expected != "at-most-weak"]
        traps = sorted((tags.get(host.ip, set()) | {p.kind for p in planted if p.expected == "at-most-weak"})
                       & set(HOW_TRAP))
        status = "exposed" if exposures else ("trap" if traps else "benign")
        expected = "at-most-weak"
        if exposures:
            expected = "pivot" if all(p.expected == "pivot" for p in exposures) else "above-weak"
        hosts[host.ip] = {
            "name": host.name, "segment": host.segment, "os": host.os, "role": host.role, "status": status,
            "expected": expected, "traps": traps,
            "exposures": [_planted(p) for p in exposures],
            "dedicated_traps": [_planted(p) for p in planted if p.expected == "at-most-weak"],
        }
    return {
        "generator": "bench/gen_enterprise_week.py", "seed": seed, "scale": scale_name, "company": world.company,
        "week": {"start": iso(WEEK_START), "end": iso(WEEK_START + 7 * DAY)}, "rank_order": RANKS,
        "threat": adv.threat, "family": adv.family, "hosts": hosts,
        "exposure_kinds": HOW_EXPOSED, "trap_kinds": HOW_TRAP, "lures": adv.lures,
        "published": {k: sorted(set(v)) for k, v in sorted(published.items())},
        "unpublished_infrastructure": _unpublished(adv, published),
    }


def _planted(p: Planted) -> dict[str, Any]:
    return {"kind": p.kind, "variant": p.variant, "indicator": p.indicator, "match": p.match,
            "channel": p.channel, "expected": p.expected, "detail": p.detail}


def _unpublished(adv: Adversary, published: dict[str, list[str]]) -> list[str]:
    values = [*adv.names.values(), *adv.ips.values(), *(c.sha256 for c in adv.certs.values())]
    return sorted(v for v in set(values) if v not in published)


def _file_facts(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    text = gzip.decompress(raw).decode() if path.suffix == ".gz" else raw.decode()
    lines = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    return {"lines": lines, "sha256": hashlib.sha256(raw).hexdigest()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--out", type=Path, required=True, help="output folder (data/ and truth.json go here)")
    args = parser.parse_args(argv)
    truth = generate(args.seed, args.scale, args.out)
    counts: dict[str, int] = defaultdict(int)
    for facts in truth["hosts"].values():
        counts[facts["status"]] += 1
    print(f"seed {args.seed} {args.scale}: {len(truth['hosts'])} hosts ({dict(counts)}), "
          f"{truth['lines']} lines in {len(truth['files'])} files -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
