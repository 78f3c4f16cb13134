"""Pure parts of the intel loaders: STIX pattern comparisons, typed values, times, tolerant JSON, CSV mappings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphpivot.loaders.intel.csvfeed import PRESETS, FeedColumns, read_csv_feed
from graphpivot.loaders.intel.indicators import epoch, read_json, typed_indicator
from graphpivot.loaders.intel.stixpattern import PatternError, comparisons

from graphpivot.canonical import InvalidValue
from graphpivot.model import Edge, Node, Reject, Skipped


def test_pattern_comparisons_keep_observation_and_typed_values() -> None:
    found = comparisons(
        "[x509-certificate:hashes.'SHA-256' = 'AB' AND x509-certificate:issuer = 'CN=it\\'s'] "
        "OR [ipv4-addr:value IN ('198.51.100.1', '198.51.100.2') AND network-traffic:dst_port = 443]"
    )
    assert [(c.observation, c.object_type, c.path, c.op, c.values) for c in found] == [
        (0, "x509-certificate", ("hashes", "SHA-256"), "=", ("AB",)),
        (0, "x509-certificate", ("issuer",), "=", ("CN=it's",)),
        (1, "ipv4-addr", ("value",), "IN", ("198.51.100.1", "198.51.100.2")),
        (1, "network-traffic", ("dst_port",), "=", (443,)),
    ]


def test_pattern_operators_and_versions() -> None:
    (neg,) = comparisons("[domain-name:value NOT = 'a.example']")
    assert neg.op == "NOT ="
    (star,) = comparisons("[email-message:body_multipart[*].body_raw_ref.name MATCHES '^x']", "2.0")
    assert star.path == ("body_multipart", "*", "body_raw_ref", "name") and star.op == "MATCHES"
    (subset,) = comparisons("[ipv4-addr:value ISSUBSET '203.0.113.0/24']")
    assert subset.values == ("203.0.113.0/24",)


@pytest.mark.parametrize("bad", ["[domain-name:value = 'a.example'", "domain-name:value = 'x'", "[url:value = ]"])
def test_invalid_patterns_raise(bad: str) -> None:
    with pytest.raises(PatternError):
        comparisons(bad)


def test_non_string_pattern_is_an_error() -> None:
    with pytest.raises(PatternError, match="not a string"):
        comparisons(["[domain-name:value = 'a']"])


def test_typed_indicators() -> None:
    ip_port = typed_indicator("ip-port", "198.51.100.7:8443")
    assert (ip_port.node.label, ip_port.node.key, ip_port.context) == ("IP", "198.51.100.7", ["port: 8443"])
    assert typed_indicator("ip", "10.1.2.3/8").node.key == "10.0.0.0/8"
    assert typed_indicator("ip", "10.1.2.3/32").node.label == "IP"
    assert typed_indicator("x509-sha1", "AA:" * 19 + "AA").node.props["key_type"] == "sha1"
    assert typed_indicator("ja3", "E7D705A3286E19EA42F587B344EE6865").node.key == "ja3:e7d705a3286e19ea42f587b344ee6865"
    with pytest.raises(InvalidValue, match="single-label"):
        typed_indicator("domain", "localhost")
    with pytest.raises(InvalidValue):
        typed_indicator("jarm", "abc")


def test_epoch_reads_intel_time_formats() -> None:
    assert epoch("2020-11-24T19:50:07.416Z") == 1606247407
    assert epoch("2024-06-13 10:58:07") == 1718276287
    assert epoch("2024-06-13") == 1718236800
    assert epoch("1520624226") == 1520624226
    for bad in ("yesterday", "", True):
        with pytest.raises(InvalidValue):
            epoch(bad)


def test_truncated_json_keeps_complete_values(tmp_path: Path) -> None:
    doc = {"type": "bundle", "id": "bundle--1", "objects": [{"id": f"x--{i}", "v": [i, {"k": i}]} for i in range(5)]}
    text = json.dumps(doc)
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"x--3"') + 3], encoding="utf-8")
    salvaged, reject = read_json(path, lambda prefix: prefix == "objects.item")
    assert reject is not None and reject.line == 1 and "malformed JSON" in reject.reason
    assert salvaged["id"] == "bundle--1"
    assert [o["id"] for o in salvaged["objects"]] == ["x--0", "x--1", "x--2"]
    assert salvaged["objects"][2] == doc["objects"][2]
    kept, _ = read_json(path)
    assert kept["objects"][3] == {}, "without records the unfinished object stays (empty: its id was cut)"


def test_unreadable_json(tmp_path: Path) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe{")
    doc, reject = read_json(path)
    assert doc is None and reject is not None


def test_feed_columns_parse_and_presets() -> None:
    cols = FeedColumns.parse("value=ioc,threat=3", PRESETS["threatfox"])
    assert cols.value == "ioc" and cols.threat == "3" and cols.type == "ioc_type"
    with pytest.raises(ValueError, match="ROLE=COLUMN"):
        FeedColumns.parse("colour=2")
    with pytest.raises(ValueError, match="value"):
        FeedColumns.parse("threat=2")


def test_feed_header_in_comment_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "urlhaus.csv"
    path.write_text(
        "################\n# URLhaus dump\n#\n"
        "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
        '"1","2024-06-13 10:58:07","http://198.51.100.9/bins/x.arm","online","2024-06-14 00:00:00",'
        '"malware_download","elf,mirai","https://urlhaus.example/url/1/","r"\n'
        '"2","not a date","http://a.example/","online","","malware_download","","",""\n'
        '"3","2024-06-13 10:58:07","hxxp://b[.]example/p","offline","","malware_download","","None","r"\n',
        encoding="utf-8",
    )
    records = list(read_csv_feed(path, "urlhaus", columns=PRESETS["urlhaus"], observed_at=0))
    rejects = [r for r in records if isinstance(r, Reject)]
    assert [(r.line, "not a time" in r.reason) for r in rejects] == [(6, True)]
    urls = [r.key for r in records if isinstance(r, Node) and r.label == "URL"]
    assert urls == ["http://198.51.100.9/bins/x.arm", "http://b.example/p"]
    first = next(r for r in records if isinstance(r, Edge) and r.type == "MENTIONS")
    assert first.props["valid_from"] == 1718276287 and first.props["valid_until"] == 1718323200
    assert sorted(first.props["context"]) == ["reference: https://urlhaus.example/url/1/", "tag: elf", "tag: mirai"]


def test_feed_without_header_and_numbered_columns(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("198.51.100.4,AgentTesla,sha256_hash\nbad..name,X,domain\n", encoding="utf-8")
    records = list(read_csv_feed(path, "f", columns=FeedColumns.parse("value=1,threat=2"), observed_at=0))
    assert [r.line for r in records if isinstance(r, Reject)] == [2]
    assert any(isinstance(r, Edge) and r.type == "ATTRIBUTED_TO" and r.dst_key == "agenttesla" for r in records)
    typed = list(read_csv_feed(path, "f", columns=FeedColumns.parse("value=1,type=3"), observed_at=0))
    assert [r.what for r in typed if isinstance(r, Skipped)] == ["feed type sha256_hash"]


def test_feed_named_columns_need_a_header(tmp_path: Path) -> None:
    path = tmp_path / "nohead.csv"
    path.write_text("a.example,x\n", encoding="utf-8")
    records = list(read_csv_feed(path, "f", columns=FeedColumns.parse("value=ioc"), observed_at=0))
    (reject,) = [r for r in records if isinstance(r, Reject)]
    assert reject.line == 1 and "no header" in reject.reason
