"""The week's threat intel: three MISP events, a STIX 2.1 bundle, a partner IOC list and a 'suspicious' list.

The intel is written the way real sharing communities write it: the actor's
event mixes indicators (``to_ids`` true) with context (services the actor
abused, ``to_ids`` false; URL-object host attributes; resolved CDN addresses);
a sandbox auto-import lists the OS's own connectivity checks and a browser JA3;
the partner list is defanged and mixes in hashes, e-mail addresses and a CIDR.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hunt_actor import DYNAMIC_DNS, HIGH_PREVALENCE, IP_LOOKUP, Adversary
from hunt_model import Cert, Ids, zeek_dn
from hunt_world import POPULAR_NS, World

Obj = dict[str, Any]
TEMPLATES = {  # MISP object templates (uuid, version) as shipped with PyMISP
    "x509": ("d1ab756a-26b5-4349-9f43-765630f0911c", "14"),
    "url": ("60efb77b-40b5-4c46-871b-ed1ed999fce5", "10"),
    "domain-ip": ("43b3b146-77eb-4931-b4cc-b66c60f28734", "11"),
    "dns-record": ("f023c8f0-81ab-41f3-9f5d-fa597a34a9b9", "2"),
}
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def _misp_time(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _stix_time(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def defang(value: str) -> str:
    """Analyst defanging: ``hxxp://`` and ``[.]`` before the host's last label."""
    if "://" in value:
        scheme, rest = value.split("://", 1)
        host, slash, path = rest.partition("/")
        return f"{scheme.replace('http', 'hxxp')}://{_dot(host)}{slash}{path}"
    return _dot(value)


def _dot(host: str) -> str:
    head, sep, tail = host.rpartition(".")
    return f"{head}[.]{tail}" if sep else host


# ------------------------------------------------------------------ MISP


class MispWriter:
    """MISP events as a REST search answer (``{"response": [{"Event": ...}]}``)."""

    def __init__(self, ids: Ids, published: dict[str, list[str]]) -> None:
        self.ids = ids
        self.next_id = 880_000
        self.published = published
        self.event_id = 0
        self.timestamp = 0

    def _id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def attribute(self, type_: str, value: str, *, category: str = "Network activity", to_ids: bool = True,
                  comment: str = "", first_seen: str | None = None, last_seen: str | None = None,
                  relation: str | None = None, object_id: str = "0") -> Obj:
        where = "misp" + ("" if to_ids else " (to_ids=false)") + (f" {relation}" if relation else "")
        self.published.setdefault(value, []).append(where)
        return {"id": self._id(), "type": type_, "category": category, "to_ids": to_ids, "uuid": self.ids.uuid(),
                "event_id": str(self.event_id), "distribution": "5", "timestamp": str(self.timestamp),
                "comment": comment, "sharing_group_id": "0", "deleted": False, "disable_correlation": False,
                "object_id": object_id, "object_relation": relation,
                "first_seen": _misp_time(first_seen) if first_seen else None,
                "last_seen": _misp_time(last_seen) if last_seen else None,
                "value": value, "Galaxy": [], "ShadowAttribute": [], "Tag": []}

    def obj(self, name: str, attrs: list[tuple[str, str, str, bool]], comment: str = "") -> Obj:
        """An object; ``attrs`` are (relation, MISP type, value, to_ids)."""
        oid = self._id()
        template, version = TEMPLATES[name]
        category = "Network activity"
        return {"id": oid, "name": name, "meta-category": "network", "description": f"MISP {name} object",
                "template_uuid": template, "template_version": version, "event_id": str(self.event_id),
                "uuid": self.ids.uuid(), "timestamp": str(self.timestamp), "distribution": "5",
                "sharing_group_id": "0", "comment": comment, "deleted": False, "first_seen": None,
                "last_seen": None, "ObjectReference": [],
                "Attribute": [self.attribute(t, v, category=category, to_ids=ids, relation=rel, object_id=oid)
                              for rel, t, v, ids in attrs]}

    def x509(self, cert: Cert, comment: str, *, with_names: bool) -> Obj:
        attrs = [("x509-fingerprint-sha256", "x509-fingerprint-sha256", cert.sha256, True),
                 ("x509-fingerprint-sha1", "x509-fingerprint-sha1", cert.sha1, True),
                 ("subject", "text", zeek_dn(cert.subject), False),
                 ("issuer", "text", zeek_dn(cert.issuer.parts), False),
                 ("serial-number", "text", cert.serial_hex, False),
                 ("validity-not-before", "datetime", _iso_z(cert.not_before), False),
                 ("validity-not-after", "datetime", _iso_z(cert.not_after), False)]
        if with_names:
            attrs += [("dns_names", "hostname", name, False) for name in cert.sans]
        return self.obj("x509", attrs, comment)

    def event(self, *, info: str, date: str, org: str, tags: list[str], galaxy: tuple[str, str] | None,
              build: list[Obj], objects: list[Obj]) -> Obj:
        org_obj = {"id": str(zlib.crc32(org.encode()) % 900 + 10), "name": org, "uuid": self.ids.uuid()}
        tag_objs = [{"id": str(i + 1), "name": t, "colour": "#ffc000", "exportable": True, "hide_tag": False}
                    for i, t in enumerate(tags)]
        galaxies = []
        if galaxy is not None:
            kind, value = galaxy
            tag_objs.append({"id": "900", "name": f'misp-galaxy:{kind}="{value}"', "colour": "#0088cc",
                             "exportable": True, "hide_tag": False})
            galaxies.append({"id": "7", "uuid": self.ids.uuid(), "name": kind.replace("-", " ").title(),
                             "type": kind, "description": f"{kind} galaxy", "namespace": "misp",
                             "GalaxyCluster": [{"id": "4001", "uuid": self.ids.uuid(), "type": kind,
                                                "value": value, "tag_name": f'misp-galaxy:{kind}="{value}"',
                                                "description": f"{value} ({kind})", "source": org,
                                                "authors": [org], "meta": {}}]})
        return {"Event": {
            "id": str(self.event_id), "orgc_id": org_obj["id"], "org_id": org_obj["id"], "date": date,
            "threat_level_id": "1", "info": info, "published": True, "uuid": self.ids.uuid(),
            "attribute_count": str(len(build) + sum(len(o["Attribute"]) for o in objects)), "analysis": "2",
            "timestamp": str(self.timestamp), "distribution": "1", "proposal_email_lock": False, "locked": False,
            "publish_timestamp": str(self.timestamp + 3600), "sharing_group_id": "0", "disable_correlation": False,
            "extends_uuid": "", "Org": org_obj, "Orgc": org_obj, "Attribute": build, "ShadowAttribute": [],
            "RelatedEvent": [], "Galaxy": galaxies, "Object": objects, "EventReport": [], "Tag": tag_objs}}

    def start(self, event_id: int, date: str) -> None:
        self.event_id, self.timestamp = event_id, _epoch(date) + 14 * 3600


def _iso_z(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def misp_events(world: World, adv: Adversary, ids: Ids, published: dict[str, list[str]]) -> Obj:
    """The three events: the actor's campaign, a sloppy sandbox auto-import, a phishing-kit write-up."""
    m = MispWriter(ids, published)
    return {"response": [_actor_event(m, world, adv), _sandbox_event(m, adv), _kit_event(m, adv)]}


def _actor_event(m: MispWriter, world: World, adv: Adversary) -> Obj:
    n, ip = adv.names, adv.ips
    m.start(4711, "2026-10-27")
    a = m.attribute
    attrs = [
        a("domain", n["exact"], first_seen="2026-10-21", comment="phishing landing page"),
        a("domain", n["ns"], first_seen="2026-10-19", comment="C2; the actor runs its own DNS"),
        a("domain", n["cdn"], first_seen="2026-10-23", comment="C2 fronted by Cloudflare"),
        a("url", adv.urls["url_dns"], category="Payload delivery", first_seen="2026-10-24",
          comment="second-stage archive"),
        a("ip-dst", ip["answer"], first_seen="2026-10-18", comment=f"{adv.family} C2"),
        a("ja3-fingerprint-md5", adv.implant.ja3 if adv.implant else "", comment=f"{adv.family} TLS client"),
        a("domain", "drive.google.com", to_ids=False, comment="exfiltration over the Google Drive API"),
        a("domain", "api.telegram.org", to_ids=False, comment="bot API used for tasking"),
        a("sha256", adv.hashes["dropper.exe"], category="Payload delivery", comment="dropper"),
        a("md5", adv.hashes["Invoice.lnk.md5"], category="Payload delivery", comment="Invoice.lnk"),
        a("email-src", adv.emails[0], category="Payload delivery", comment="phishing sender"),
        a("link", f"https://intel.{world.company}-isac.example/reports/{adv.family.lower()}-2026-10",
          category="External analysis", to_ids=False),
    ]
    objects = [
        m.x509(adv.certs["published"], "C2 server certificate (self-signed, reused across VPS)", with_names=False),
        m.obj("dns-record", [("queried-domain", "domain", n["ns"], True),
                             *[("ns-record", "domain", ns, False) for ns in adv.ns]]),
        m.obj("domain-ip", [("domain", "domain", n["cdn"], True),
                            *[("ip", "ip-dst", edge, False) for edge in world.cf_hub]], "resolved 2026-10-23"),
        m.obj("url", [("url", "url", adv.urls["paste"], True), ("host", "hostname", "pastebin.com", False),
                      ("resource_path", "text", adv.urls["paste"].split("pastebin.com", 1)[1], False),
                      ("scheme", "text", "https", False)], "stager hosted on a paste site"),
    ]
    return m.event(info=f"{adv.threat} - {adv.family} phishing and C2 infrastructure (October 2026)",
                   date="2026-10-27", org=f"{world.company.capitalize()} ISAC", tags=["tlp:amber"],
                   galaxy=("threat-actor", adv.threat), build=attrs, objects=objects)


def _sandbox_event(m: MispWriter, adv: Adversary) -> Obj:
    n, ip = adv.names, adv.ips
    m.start(4720, "2026-10-29")
    a = m.attribute
    attrs = [a("domain", name, comment="") for name in HIGH_PREVALENCE]
    attrs += [
        a("ja3-fingerprint-md5", adv.browser_ja3, comment="loader TLS client"),
        a("domain", n["popns"], first_seen="2026-10-02"),
        a("ip-dst", ip["reuse_misp"], first_seen="2026-07-01", last_seen="2026-10-05", comment="C2 (July campaign)"),
        a("sha256", adv.hashes["stage2.dll"], category="Payload delivery"),
    ]
    objects = [
        m.obj("dns-record", [("queried-domain", "domain", n["popns"], True),
                             *[("ns-record", "domain", ns, False) for ns in POPULAR_NS]]),
        m.obj("url", [("url", "url", adv.urls["discord"], True), ("host", "hostname", "cdn.discordapp.com", False),
                      ("scheme", "text", "https", False)]),
        m.obj("url", [("url", "url", adv.urls["github"], True),
                      ("host", "hostname", "raw.githubusercontent.com", False), ("scheme", "text", "https", False)]),
    ]
    return m.event(info=f"OSINT - {adv.family} loader sandbox run (automatic import)", date="2026-10-29",
                   org="Community Sandbox Feed", tags=["tlp:clear", "type:OSINT"],
                   galaxy=("malpedia", adv.family), build=attrs, objects=objects)


def _kit_event(m: MispWriter, adv: Adversary) -> Obj:
    m.start(4733, "2026-10-30")
    a = m.attribute
    attrs = [
        a("domain", adv.names["ca"], first_seen="2026-10-25", comment="credential phishing kit"),
        a("email-src", adv.emails[1], category="Payload delivery"),
        a("whois-registrant-email", adv.emails[1], category="Attribution", to_ids=False),
    ]
    objects = [m.x509(adv.certs["ca"], "certificate of the kit's landing page", with_names=True)]
    return m.event(info="Credential phishing kit - hosting and certificates", date="2026-10-30",
                   org="Partner CERT", tags=["tlp:green"], galaxy=None, build=attrs, objects=objects)


# ------------------------------------------------------------------ STIX


def stix_bundle(world: World, adv: Adversary, ids: Ids, published: dict[str, list[str]]) -> Obj:
    """A vendor's STIX 2.1 report: indicators with validity, SCOs, observed context, a report."""
    n, ip = adv.names, adv.ips
    created = "2026-10-28T09:30:00.000Z"
    identity = _sdo(ids, "identity", created, name="Ironbark Threat Research", identity_class="organization")
    actor = _sdo(ids, "intrusion-set", created, name=adv.threat, aliases=[adv.threat.replace(" ", "")])
    malware = _sdo(ids, "malware", created, name=adv.family, is_family=True, malware_types=["remote-access-trojan"])
    objects: list[Obj] = [identity, actor, malware]
    objects.append(_rel(ids, created, actor, "uses", malware))
    specs = [
        ("ipv4-addr", ip["exact_ip"], "2026-10-26", "2027-01-31", 85, f"{adv.family} C2 address"),
        ("domain-name", n["sub"], "2026-10-22", None, 80, "C2 domain (rotating subdomains)"),
        ("url", adv.urls["url_sni"], "2026-10-24", "2027-01-31", 75, "tasking endpoint"),
        ("ipv4-addr", ip["reuse_stix"], "2026-07-20", "2026-10-12", 70, "C2 address (summer wave, since vacated)"),
        ("domain-name", n["shared"], "2026-10-20", None, 60, "phishing page on shared hosting"),
    ]
    for kind, value, start, end, confidence, name in specs:
        published.setdefault(value, []).append("stix indicator")
        indicator = _sdo(ids, "indicator", created, name=name, indicator_types=["malicious-activity"],
                         pattern=f"[{kind}:value = '{value}']", pattern_type="stix", pattern_version="2.1",
                         valid_from=_stix_time(start), confidence=confidence, created_by_ref=identity["id"],
                         object_marking_refs=[TLP_AMBER])
        if end:
            indicator["valid_until"] = _stix_time(end)
        objects += [indicator, _rel(ids, created, indicator, "indicates", malware)]
    hashed = _sdo(ids, "indicator", created, name="dropper", indicator_types=["malicious-activity"],
                  pattern=f"[file:hashes.'SHA-256' = '{adv.hashes['dropper.exe']}']", pattern_type="stix",
                  valid_from=_stix_time("2026-10-21"))
    objects.append(hashed)
    objects += _stix_observables(ids, world, adv, created, published)
    report = _sdo(ids, "report", created, name=f"{adv.threat}: {adv.family} infrastructure update",
                  published=created, report_types=["threat-actor", "indicator"], created_by_ref=identity["id"],
                  object_refs=[o["id"] for o in objects if o["type"] not in ("identity",)])
    objects.append(report)
    return {"type": "bundle", "id": f"bundle--{ids.uuid()}", "objects": objects}


def _stix_observables(ids: Ids, world: World, adv: Adversary, created: str,
                      published: dict[str, list[str]]) -> list[Obj]:
    shared = {"type": "domain-name", "spec_version": "2.1", "id": f"domain-name--{ids.uuid()}",
              "value": adv.names["shared"]}
    hub = {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{ids.uuid()}", "value": world.shared_hub}
    published.setdefault(world.shared_hub, []).append("stix ipv4-addr (resolves-to)")
    context = [{"type": "domain-name", "spec_version": "2.1", "id": f"domain-name--{ids.uuid()}", "value": name}
               for name in ("docs.google.com", "raw.githubusercontent.com")]
    for obj in context:
        published.setdefault(obj["value"], []).append("stix observed-data")
    seen = _sdo(ids, "observed-data", created, first_observed="2026-10-22T00:00:00.000Z",
                last_observed="2026-10-27T00:00:00.000Z", number_observed=14,
                object_refs=[o["id"] for o in context])
    return [shared, hub, _rel(ids, created, shared, "resolves-to", hub), *context, seen]


def _sdo(ids: Ids, kind: str, created: str, **props: Any) -> Obj:
    return {"type": kind, "spec_version": "2.1", "id": f"{kind}--{ids.uuid()}", "created": created,
            "modified": created, **props}


def _rel(ids: Ids, created: str, source: Obj, kind: str, target: Obj) -> Obj:
    return _sdo(ids, "relationship", created, relationship_type=kind, source_ref=source["id"],
                target_ref=target["id"])


# ------------------------------------------------------------------ plain lists


def partner_list(world: World, adv: Adversary, published: dict[str, list[str]]) -> str:
    """A partner CERT's e-mailed list: defanged, with hashes, e-mail addresses and a CIDR mixed in."""
    n, ip = adv.names, adv.ips
    rows = [
        f"# {world.company.capitalize()} partner CERT - shared indicators - TLP:AMBER",
        f"# Campaign: {adv.threat} ({adv.family}), updated 2026-10-29",
        f"# Reference: https://cert.{world.company}-partner.example/advisories/2026-117",
        "", "# landing pages and payload URLs",
    ]
    network = [defang(adv.urls["exact"]), defang(n["proxy"]), defang(n["exact"]), f"{ip['exact_ip']}:443",
               defang(ip["answer"])]
    rows += network
    rows += ["", "# payload hashes", adv.hashes["dropper.exe"], adv.hashes["Invoice.lnk.md5"],
             "", "# sender addresses", adv.emails[0].replace("@", "[@]"), "",
             "# bulletproof hosting range used for staging", adv.cidr, ""]
    for value in (adv.urls["exact"], n["proxy"], n["exact"], ip["exact_ip"], ip["answer"], adv.cidr):
        published.setdefault(value, []).append("partner list")
    return "\n".join(rows) + "\n"


def suspicious_list(published: dict[str, list[str]]) -> str:
    """A maltrail-style 'suspicious' trail: IP-lookup services and dynamic-DNS providers."""
    rows = ["# suspicious: services malware likes to use, not malicious infrastructure (maltrail-style trail)", "",
            "# Reference: maltrail static trails, suspicious/ipinfo.txt", *IP_LOOKUP, "",
            "# Reference: maltrail static trails, suspicious/dynamic_domain.txt", *DYNAMIC_DNS]
    for value in (*IP_LOOKUP, *DYNAMIC_DNS):
        published.setdefault(value, []).append("suspicious list")
    return "\n".join(rows) + "\n"


def write_intel(folder: Path, world: World, adv: Adversary, ids: Ids) -> tuple[list[Path], dict[str, list[str]]]:
    """Write every intel file; return them and where each value is published."""
    published: dict[str, list[str]] = {}
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "misp-events.json": json.dumps(misp_events(world, adv, ids, published), indent=1) + "\n",
        "stix-bundle.json": json.dumps(stix_bundle(world, adv, ids, published), indent=1) + "\n",
        "partner-iocs.txt": partner_list(world, adv, published),
        "suspicious-services.txt": suspicious_list(published),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files], published
