"""The web-service catalogue file and its matching rules, without a database."""

from __future__ import annotations

import csv
from pathlib import Path

from graphpivot.loaders.reference.webservice_catalogue import ABUSE_TYPES, CATEGORIES, catalogue_path, read_web_services

from graphpivot.canonical import url_host
from graphpivot.model import Edge, Node, Reject, indicator_node
from graphpivot.reference.service_match import WebServiceIndex

ATTACK_SERVICES = {"T1102", "T1567", "T1608", "T1583", "T1572", "T1090", "T1105"}


def catalogue_rows() -> list[dict[str, str]]:
    with catalogue_path().open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def test_shipped_catalogue_is_valid_and_covers_the_asked_categories() -> None:
    rows = catalogue_rows()
    records = list(read_web_services(observed_at=0))
    assert not [r for r in records if isinstance(r, Reject)]
    services = {r.key: r.props for r in records if isinstance(r, Node) and r.label == "WebService"}
    assert len(services) == len({row["slug"] for row in rows})
    assert {p["category"] for p in services.values()} == set(CATEGORIES)
    assert {a for p in services.values() for a in p["abuse"]} == set(ABUSE_TYPES)
    assert all(p["references"] for p in services.values()), "every service names its source"
    assert {a.split(".")[0] for p in services.values() for a in p["attack_ids"]} <= ATTACK_SERVICES
    wanted = {"pastebin.com": "paste", "raw.githubusercontent.com": "code-hosting", "api.telegram.org": "messaging",
              "hooks.slack.com": "messaging", "drive.google.com": "cloud-storage", "onedrive.live.com": "cloud-storage",
              "dropbox.com": "cloud-storage", "mega.nz": "cloud-storage", "ngrok.io": "tunnel",
              "trycloudflare.com": "tunnel", "workers.dev": "serverless", "pages.dev": "serverless",
              "twitter.com": "social", "imgur.com": "image-hosting"}
    by_domain = {row["domain"]: row["category"] for row in rows if not row["url_prefix"]}
    assert {d: by_domain.get(d) for d in wanted} == wanted
    assert any(row["domain"] == "discord.com" and row["url_prefix"] == "/api/webhooks/" for row in rows)


def test_operated_by_only_from_catalogue_domains() -> None:
    rows = catalogue_rows()
    edges = [r for r in read_web_services(observed_at=0) if isinstance(r, Edge)]
    assert {(e.src_key, e.dst_key) for e in edges} == {(r["domain"], r["slug"]) for r in rows if not r["url_prefix"]}


def index() -> WebServiceIndex:
    idx = WebServiceIndex()
    for row in catalogue_rows():
        idx.add(row["slug"], [] if row["url_prefix"] else [row["domain"]],
                [row["domain"] + row["url_prefix"]] if row["url_prefix"] else [])
    return idx


def test_most_specific_entry_wins() -> None:
    idx = index()
    assert idx.match_domain("pastebin.com") == "pastebin"
    assert idx.match_domain("a.b.workers.dev") == "cloudflare-workers"
    assert idx.match_domain("raw.githubusercontent.com") == "github-raw"
    assert idx.match_domain("github.com") == "github"
    assert idx.match_domain("gist.github.com") == "github-gist"
    assert idx.match_domain("google.com") is None
    assert idx.match_domain("notpastebin.com") is None
    assert idx.match_url("https://discord.com/api/webhooks/1/abc") == "discord-webhook"
    assert idx.match_url("https://ptb.discord.com/api/webhooks/1/abc") == "discord-webhook"
    assert idx.match_url("https://discord.com/invite/x") is None


def test_every_maltrail_abused_service_is_catalogued(data_dir: Path) -> None:
    """Maltrail's derived list of trails on abused services: each trail's host and service are matched."""
    idx = index()
    path = data_dir / "maltrail-trails/derived/maltrail_abused_web_services.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        node = indicator_node(row["trail"])
        host = url_host(node.key)[1] if node.label == "URL" else node.key
        service = idx.match_domain(row["web_service"])
        assert service is not None, row["web_service"]
        assert idx.match_domain(host) is not None, row["trail"]
