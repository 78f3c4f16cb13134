"""The shipped noise list and its loader."""

from __future__ import annotations

from pathlib import Path

from graphpivot.loaders.reference.noise_list import KINDS, NoiseRule, read_noise_list, read_rules
from graphpivot.loaders.reference.warninglists import read_table

from graphpivot.model import Node, Reject
from graphpivot.reference.noise_flags import default_noise_file, load_rules

CATEGORIES = {"cdn", "cloud", "parking", "registrar-ns", "dns-hosting", "privacy-email", "free-ca", "sinkhole"}


def test_shipped_list_is_clean_and_sourced() -> None:
    rules, rejects = load_rules(default_noise_file())
    assert rejects == []
    assert {r.category for r in rules} <= CATEGORIES
    assert {"cdn", "parking", "registrar-ns", "privacy-email", "free-ca", "sinkhole"} <= {r.category for r in rules}
    assert {r.kind for r in rules} == set(KINDS) - {"email"}  # privacy services are listed by domain
    assert all(r.source.startswith("https://") and r.name for r in rules)
    assert len({(r.kind, r.value) for r in rules}) == len(rules)
    values = {(r.kind, r.value) for r in rules}
    for expected in [("asn", "13335"), ("domain", "sedoparking.com"), ("domain", "domaincontrol.com"),
                     ("domain", "withheldforprivacy.com"), ("cert_cn", "R3"), ("cidr", "104.16.0.0/13")]:
        assert expected in values


def test_bad_lines_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    path.write_text(
        "# my list\n"
        "kind,value,category,name,source\n"
        "domain,Parking.Example.,parking,Example parking,https://example.org\n"
        "asn,AS64496,cdn,Example CDN,https://example.org\n"
        "planet,mars,cdn,x,y\n"
        "ip,999.1.1.1,sinkhole,x,y\n"
        "cidr,192.0.2.0/24,,x,y\n"
        "email,only,two\n"
        "cidr,192.0.2.0/24,sinkhole,Test net,https://example.org\n",
        encoding="utf-8",
    )
    items = list(read_rules(path))
    rules = [i for i in items if isinstance(i, NoiseRule)]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [(r.kind, r.value, r.reason) for r in rules] == [
        ("domain", "parking.example", "parking: Example parking"),
        ("asn", "64496", "cdn: Example CDN"),
        ("cidr", "192.0.2.0/24", "sinkhole: Test net"),
    ]
    assert [(r.line, r.reason.split(" (")[0].split(":")[0]) for r in rejects] == [
        (5, "unknown kind 'planet'"), (6, "not an IP address"), (7, "empty category"), (8, "expected 5 fields, got 3"),
    ]
    nodes = [n for n in read_noise_list(path, "noise-list") if isinstance(n, Node)]
    assert [(n.label, n.key, n.props["noise"], n.props["noise_reason"]) for n in nodes] == [
        ("Domain", "parking.example", True, "parking: Example parking"),
        ("ASN", "64496", True, "cdn: Example CDN"),
        ("Netblock", "192.0.2.0/24", True, "sinkhole: Test net"),
    ]


def test_wrong_header_or_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    path.write_text("value,kind\n13335,asn\n", encoding="utf-8")
    (reject,) = list(read_rules(path))
    assert isinstance(reject, Reject) and reject.line == 1 and "header must be" in reject.reason
    (missing,) = list(read_rules(tmp_path / "nope.csv"))
    assert isinstance(missing, Reject) and "cannot read noise list" in missing.reason


def test_a_field_over_the_csv_size_limit_is_one_reject_and_the_rest_loads(tmp_path: Path) -> None:
    """The fuzzer's deep brackets: a 240k-character field made the csv module raise out of the loader."""
    path = tmp_path / "noise.csv"
    huge = "[" * 120_000 + "]" * 120_000
    path.write_text(f"kind,value,category,name,source\ndomain,{huge},cdn,x,y\nasn,AS64496,cdn,Example CDN,z\n",
                    encoding="utf-8")
    items = list(read_noise_list(path, "noise-list"))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [(r.line, r.reason.startswith("not a CSV line: field larger than field limit")) for r in rejects] == [
        (2, True)]
    assert [(n.label, n.key) for n in items if isinstance(n, Node)] == [("ASN", "64496")]
    header_too = tmp_path / "header.csv"
    header_too.write_text(f"kind,{huge}\n", encoding="utf-8")
    (reject,) = list(read_rules(header_too))
    assert reject.line == 1 and "header must be" in reject.reason


def test_warninglist_table_rejects_a_field_over_the_csv_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(f"kind,value,meaning,source\ndomain,{'x' * 200_000},off,local\n"
                    "domain,maxmind.com,off,local: we want to see it\n", encoding="utf-8")
    items = list(read_table(path))
    assert [(i.line, "field larger than field limit" in i.reason) for i in items if isinstance(i, Reject)] == [
        (2, True)]
    assert [i.value for i in items if not isinstance(i, Reject)] == ["maxmind.com"]
