"""The adversary: its published indicators, its unpublished infrastructure, the planted exposures and traps.

``Adversary`` draws every name, address and certificate of one actor (and of the
sloppy intel around it). ``plant`` picks hosts and gives each planted exposure
its sessions; ``plant_traps`` gives trap hosts the benign sessions that a naive
or careless grader mistakes for exposure. Each plant records what it did in a
``Planted`` entry, which is what ``truth.json`` is made of.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field

from hunt_model import (
    ACTOR_ADJ,
    ACTOR_NAMES,
    ACTOR_WORDS,
    CLIENTS,
    DAY,
    NOUNS,
    WEEK_START,
    Cert,
    Client,
    Host,
    Issuer,
    Session,
    Site,
)
from hunt_world import CAS, POPULAR_NS, SAME_CA, World

VPS = ("45.134.0.0/16", "45.142.0.0/16", "185.174.0.0/16", "185.225.0.0/16", "194.87.0.0/16", "91.215.0.0/16",
       "193.142.0.0/16", "5.181.0.0/16", "89.23.0.0/16", "146.70.0.0/16")
ACTOR_TLDS = (".net", ".xyz", ".top", ".info", ".online", ".site", ".live", ".cloud")
RESIDENTIAL = ("84.128.0.0/10", "91.0.0.0/10", "79.192.0.0/10")
SERVICE_CONTEXT = ("pastebin.com", "drive.google.com", "docs.google.com", "api.telegram.org",
                   "raw.githubusercontent.com", "cdn.discordapp.com")
IP_LOOKUP = ("api.ipify.org", "checkip.amazonaws.com", "ipinfo.io", "icanhazip.com", "ifconfig.me", "ip-api.com",
             "wtfismyip.com", "myexternalip.com")
DYNAMIC_DNS = ("duckdns.org", "ddns.net", "no-ip.biz", "myftp.biz", "dynu.net", "hopto.org")
HIGH_PREVALENCE = ("www.msftconnecttest.com", "ctldl.windowsupdate.com")


@dataclass
class Planted:
    """One planted exposure or trap on one host, as truth.json records it."""

    host: Host
    kind: str
    variant: str
    indicator: str  # the published value the evidence leads to (for siblings: the indicator it shares with)
    match: list[str]  # values a finding may name to count as finding this exposure (siblings: unpublished only)
    channel: str  # which file shows it
    expected: str  # above-weak (exposures), pivot (siblings), at-most-weak (traps)
    detail: str


@dataclass
class Adversary:
    """Every value the intel publishes and the infrastructure it does not."""

    threat: str
    family: str
    names: dict[str, str] = field(default_factory=dict)  # role -> domain
    ips: dict[str, str] = field(default_factory=dict)  # role -> address
    urls: dict[str, str] = field(default_factory=dict)  # role -> URL
    certs: dict[str, Cert] = field(default_factory=dict)  # role -> certificate
    implant: Client | None = None
    ns: list[str] = field(default_factory=list)  # the actor's own name servers
    emails: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # file name -> sha256 / md5 text
    cidr: str = ""
    lookalikes: list[str] = field(default_factory=list)
    lures: dict[str, list[str]] = field(default_factory=dict)  # trap kind -> intel values that lure a grader

    @property
    def browser_ja3(self) -> str:
        return CLIENTS["chromium-win"].ja3


# ------------------------------------------------------------------ infrastructure


def _domain(world: World, tld: str) -> str:
    rng = world.rng
    for _ in range(10_000):
        w1, w2 = rng.sample(ACTOR_WORDS, 2)
        name = (f"{w1}-{w2}", f"{w1}{w2}", f"{w1}-{w2}{rng.randrange(2, 99)}", f"{w2}-{w1}")[rng.randrange(4)] + tld
        if name not in world.used_names:
            world.used_names.add(name)
            return name
    raise RuntimeError("actor name space exhausted")


def _self_signed(world: World, role: str, parts: tuple[tuple[str, str], ...]) -> Cert:
    seed = f"{world.seed}:actor:{role}"
    start = WEEK_START - world.rng.randrange(20, 60) * DAY
    return Cert(parts, Issuer(parts, key_seed=seed), (), world.rng.getrandbits(63) | 1, start, start + 3650 * DAY, seed)


def _actor_site(world: World, name: str, ip: str, *, cert: Cert | None = None, ttl: int = 300,
                ns: list[str] | None = None, zone: str | None = None) -> Site:
    zone = zone or name
    site = Site(name, zone, [ip], "web", cert=cert, tls13=0.0 if cert else 1.0, ja3s="e35df3e00ca4ef31d42b34bebaa2f86e",
                ttl=ttl)
    world.add_site(site)
    world.zone_ns.setdefault(zone, ns or list(world.rng.choice((("dns1.registrar-servers.com",
                                                                  "dns2.registrar-servers.com"), POPULAR_NS))))
    return site


def build_adversary(world: World) -> Adversary:
    """Names, addresses, URLs and certificates of the actor and of the intel's sloppy context."""
    rng = world.rng
    adv = Adversary(f"{rng.choice(ACTOR_ADJ)} {rng.choice(ACTOR_NAMES)}",
                    f"{rng.choice(ACTOR_WORDS).capitalize()}{rng.choice(('Loader', 'Rat', 'Stealer', 'Beacon'))}")
    n, ip = adv.names, adv.ips
    for role in ("exact", "proxy", "url", "sub", "url_dns", "url_sni", "answer", "ns", "c2", "sib_ip", "sib_ns",
                 "cdn", "shared", "popns", "ca"):
        n[role] = _domain(world, ".com" if role == "exact" else rng.choice(ACTOR_TLDS))
    for role in ("exact_dom", "exact_ip", "proxy", "url", "sub", "url_dns", "url_sni", "cert", "answer", "c2",
                 "sib_ns", "sib_cert", "reuse_stix", "reuse_misp", "ns_dom", "popns"):
        ip[role] = world.addresses.public(VPS)
    _certificates(world, adv)
    _sites(world, adv)
    _urls(world, adv)
    _intel_context(world, adv)
    return adv


def _certificates(world: World, adv: Adversary) -> None:
    rng = world.rng
    word = rng.choice(NOUNS)
    adv.certs["shared"] = _self_signed(world, "shared", (("C", "US"), ("ST", "Washington"),
                                                         ("O", "Microsoft Corporation"), ("CN", "Microsoft Update")))
    adv.certs["published"] = _self_signed(world, "published", (("C", "GB"), ("O", f"{word.capitalize()} Ltd"),
                                                               ("CN", f"{word}-{rng.randrange(100, 999)}.internal")))
    adv.certs["c2"] = world.cert_for([adv.names["c2"]], CAS["le-r10"])
    adv.certs["ca"] = world.cert_for([adv.names["ca"]], CAS[SAME_CA])
    ciphers = f"49192-49191-49172-49171-159-158-57-51-157-156-61-60-53-47-{rng.randrange(10, 255)}"
    adv.implant = Client("implant", f"771,{ciphers},0-10-11-13-35-23-65281-{rng.randrange(30000, 40000)},23-24-25,0",
                         "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko")


def _sites(world: World, adv: Adversary) -> None:
    n, ip = adv.names, adv.ips
    rng = world.rng
    adv.ns = [f"ns1.{n['ns']}", f"ns2.{n['ns']}"]
    _actor_site(world, n["exact"], ip["exact_dom"])
    _actor_site(world, n["sib_ip"], ip["exact_dom"]).tags = ("no-bump",)  # the same dedicated VPS address
    _actor_site(world, n["proxy"], ip["proxy"]).tags = ("no-bump",)
    url_site = _actor_site(world, n["url"], ip["url"])
    url_site.scheme, url_site.port = "http", 80
    adv.names["sub_a"] = f"{rng.choice(('cdn', 'api', 'img', 'static'))}.{n['sub']}"
    adv.names["sub_b"] = f"{rng.choice(('mail', 'files', 'dl'))}{rng.randrange(1, 9)}.eu.{n['sub']}"
    for role in ("sub_a", "sub_b"):
        _actor_site(world, n[role], ip["sub"], zone=n["sub"]).tags = ("no-bump",)
    _actor_site(world, n["url_dns"], ip["url_dns"])
    _actor_site(world, n["url_sni"], ip["url_sni"])
    adv.names["answer_name"] = f"{rng.choice(('sync', 'upd', 'ws'))}{rng.randrange(10, 99)}.{n['answer']}"
    _actor_site(world, adv.names["answer_name"], ip["answer"], zone=n["answer"], ttl=60)
    _actor_site(world, n["c2"], ip["c2"], cert=adv.certs["c2"])
    _actor_site(world, n["sib_ns"], ip["sib_ns"], ns=adv.ns).tags = ("no-bump",)
    # nobody the sensors watch visits these two, but the resolver recursed for them (an unmonitored segment),
    # so their name servers are in the DMZ telemetry as well as in MISP
    _actor_site(world, n["ns"], ip["ns_dom"], ns=adv.ns)
    _actor_site(world, n["popns"], ip["popns"], ns=list(POPULAR_NS))
    world.background_names += [n["ns"], n["popns"]]
    world.zone_ns[n["exact"]] = ["dns1.registrar-servers.com", "dns2.registrar-servers.com"]
    world.zone_ns[n["sib_ip"]] = ["dns1.registrar-servers.com", "dns2.registrar-servers.com"]
    cdn = _actor_site(world, n["cdn"], world.cf_hub[0])
    cdn.ips = list(world.cf_hub)
    _actor_site(world, n["shared"], world.shared_hub)
    adv.cidr = _free_slash24(world)


def _free_slash24(world: World) -> str:
    """A /24 in the VPS ranges that holds no address of the week (nobody contacts it)."""
    used = {a.rsplit(".", 1)[0] for a in world.addresses.used}
    while True:
        net = ipaddress.ip_network(world.rng.choice(VPS))
        prefix = str(net[world.rng.randrange(256, net.num_addresses - 256)]).rsplit(".", 1)[0]
        if prefix not in used:
            return f"{prefix}.0/24"


def _urls(world: World, adv: Adversary) -> None:
    rng, n = world.rng, adv.names
    token = "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
    adv.urls["exact"] = f"http://{n['url']}/{rng.choice(NOUNS)}/{rng.choice(('gate', 'check', 'in'))}.php"
    adv.urls["paste"] = f"https://pastebin.com/raw/{token}"
    adv.urls["url_dns"] = f"https://{n['url_dns']}/wp-content/uploads/2026/10/{rng.choice(NOUNS)}.zip"
    adv.urls["url_sni"] = f"https://{n['url_sni']}/api/v2/{rng.choice(('check', 'status', 'task'))}"
    snowflake = rng.randrange(10**17, 10**18)
    adv.urls["discord"] = f"https://cdn.discordapp.com/attachments/{snowflake}/{snowflake + 77}/Invoice_{token}.zip"
    repo = f"{rng.choice(NOUNS)}{rng.randrange(10, 99)}/tools"
    adv.urls["github"] = f"https://raw.githubusercontent.com/{repo}/main/a.ps1"


def _intel_context(world: World, adv: Adversary) -> None:
    rng, n = world.rng, adv.names
    adv.emails = [f"{rng.choice(('billing', 'hr', 'noreply', 'support'))}@{_domain(world, '.com')}",
                  f"{rng.choice(NOUNS)}.{rng.choice(NOUNS)}{rng.randrange(10, 99)}@gmail.com"]
    for name in ("dropper.exe", "Invoice.lnk", "stage2.dll"):
        adv.hashes[name] = world.ids.hexdigest(64)
    adv.hashes["Invoice.lnk.md5"] = world.ids.hexdigest(32)
    exact = n["exact"]
    adv.lookalikes = [f"{exact}.br", f"not{exact}", f"{exact}.{rng.choice(NOUNS)}-cdn.net"]
    adv.lures = {
        "ip-reuse": [adv.ips["reuse_stix"], adv.ips["reuse_misp"]],
        "cdn-hub": [n["cdn"], *world.cf_hub],
        "shared-hosting": [n["shared"], world.shared_hub],
        "popular-context": list(SERVICE_CONTEXT),
        "lookalike": [exact],
        "popular-ns": [n["popns"], *POPULAR_NS],
        "same-ca": [n["ca"], adv.certs["ca"].sha256],
        "cloud-upload": ["drive.google.com"],
        "shared-ja3": [f"ja3:{adv.browser_ja3}", adv.browser_ja3],
        "high-prevalence": list(HIGH_PREVALENCE),
        "ip-lookup": list(IP_LOOKUP),
        "dynamic-dns": list(DYNAMIC_DNS),
    }


# ------------------------------------------------------------------ planted exposures

# (kind, variant, segment); the small week plants the first list, the large one both
PLAN_FIRST = (
    ("exact-domain", "dns+sni", "hq"), ("exact-domain", "proxy-connect", "east"), ("exact-ip", "implant", "hq"),
    ("exact-url", "proxy-http", "east"), ("exact-url", "zeek-http", "branch"), ("exact-url", "web-service", "east"),
    ("client-fingerprint", "implant", "hq"), ("client-fingerprint", "implant", "east"),
    ("subdomain", "dns+sni", "branch"), ("url-host-dns", "dns-only", "hq"), ("url-host-sni", "sni-only", "branch"),
    ("certificate", "self-signed", "hq"), ("dns-answer-ip", "answer", "east"),
    ("sibling-shared-ip", "dns+sni", "branch"), ("sibling-shared-ns", "dns+sni", "hq"),
    ("sibling-shared-cert", "no-sni", "east"),
)
PLAN_SECOND = (
    ("exact-domain", "dns+sni", "branch"), ("exact-ip", "implant", "branch"), ("exact-url", "zeek-http", "hq"),
    ("client-fingerprint", "implant", "branch"), ("subdomain", "proxy-connect", "east"),
    ("url-host-dns", "dns-only", "east"), ("url-host-sni", "sni-only", "hq"), ("certificate", "self-signed", "east"),
    ("dns-answer-ip", "answer", "hq"), ("sibling-shared-ip", "proxy-connect", "east"),
    ("sibling-shared-ns", "dns+sni", "branch"), ("sibling-shared-cert", "no-sni", "hq"),
)


class Planter:
    """Gives chosen hosts the sessions of one planted exposure or trap each."""

    def __init__(self, world: World, adv: Adversary) -> None:
        self.world, self.adv, self.rng = world, adv, world.rng
        self.taken: set[str] = set()
        self.planted: list[Planted] = []
        self.sessions: list[Session] = []

    def pick(self, segment: str | None = None, *, os_name: str | None = None) -> Host:
        """A workstation not yet used for a plant (in ``segment`` when given)."""
        pool = [h for h in self.world.hosts if h.ip not in self.taken and h.role != "server"
                and (segment is None or h.segment == segment) and (os_name is None or h.os == os_name)]
        if not pool:
            pool = [h for h in self.world.hosts if h.ip not in self.taken and h.role != "server"]
        host = self.rng.choice(pool)
        self.taken.add(host.ip)
        return host

    def workday_time(self, host: Host) -> float:
        return self.world.when(self.rng.randrange(0, 5), host)

    def record(self, host: Host, kind: str, variant: str, indicator: str, match: list[str], channel: str,
               expected: str, detail: str) -> None:
        self.planted.append(Planted(host, kind, variant, indicator, match, channel, expected, detail))

    def beacons(self, start: float, count: int, every: float) -> list[float]:
        return [start + i * every + self.rng.uniform(-0.2, 0.2) * every for i in range(count)]

    # -------------------------------------------------------------- exposures
    def plant_exposures(self, copies: int) -> None:
        plan = list(PLAN_FIRST) + (list(PLAN_SECOND) if copies > 1 else [])
        for kind, variant, segment in plan:
            host = self.pick(segment)
            getattr(self, "_" + kind.replace("-", "_"))(host, variant)

    def _site(self, role: str) -> Site:
        return self.world.sites[self.adv.names[role]]

    def _browse(self, host: Host, site: Site, times: list[float], *, uri: str | None = None, method: str = "GET",
                client: str | None = None, bytes_out: int | None = None, resolve: bool = True) -> None:
        for t in times:
            self.sessions.append(self.world.visit(host, site, t, uri=uri, method=method, client=client,
                                                  bytes_out=bytes_out, resolve=resolve))

    def _exact_domain(self, host: Host, variant: str) -> None:
        role = "proxy" if variant == "proxy-connect" else "exact"
        site = self._site(role)
        start = self.workday_time(host)
        self._browse(host, site, [start + i * self.rng.uniform(5, 90) for i in range(self.rng.randrange(3, 7))])
        channel = "squid CONNECT" if host.segment == "east" else _zeek(host) + " dns+ssl(sni)"
        self.record(host, "exact-domain", variant, site.name, [site.name], channel, "above-weak",
                    f"browsed {site.name} (phishing landing page) on {site.ips[0]}")

    def _implant_tls(self, host: Host, ip: str, times: list[float], *, cert: Cert | None, sni: str | None,
                     ja3: str, name: str | None = None, resolve: bool = False) -> None:
        for t in times:
            self.sessions.append(Session(
                t, host, name, ip, client="implant", resolve=resolve, sni=sni, ja3=ja3,
                ja3s="e35df3e00ca4ef31d42b34bebaa2f86e", tls_version="TLSv12" if cert else "TLSv13", cert=cert,
                chain=self.world.chain_for(cert),
                bytes_out=self.rng.randrange(300, 2_500), bytes_in=self.rng.randrange(200, 9_000),
                duration=round(self.rng.uniform(0.2, 3.0), 6), user_agent=CLIENTS["schannel-win"].user_agent))

    def _exact_ip(self, host: Host, variant: str) -> None:
        ip = self.adv.ips["exact_ip"]
        times = self.beacons(self.workday_time(host), self.rng.randrange(18, 30), 1800)
        self._implant_tls(host, ip, times, cert=self.adv.certs["shared"], sni=None, ja3=host.system_ja3)
        self.record(host, "exact-ip", variant, ip, [ip], _sensor(host) + " conn/flow+tls (no DNS, no SNI)",
                    "above-weak", f"implant beacons to {ip}:443 by address, self-signed certificate")

    def _exact_url(self, host: Host, variant: str) -> None:
        t = self.workday_time(host)
        if variant == "web-service":
            url = self.adv.urls["paste"]
            site = self.world.sites["pastebin.com"]
            self._browse(host, site, [t, t + 3], uri=url.split("pastebin.com", 1)[1], client="system")
            self.record(host, "exact-url", variant, url, [url], "squid (TLS-bumped GET)", "above-weak",
                        "fetched the actor's raw paste (PowerShell stager); pastebin.com itself is everyday")
            return
        url = self.adv.urls["exact"]
        site = self._site("url")
        path = url.split(site.name, 1)[1]
        self._browse(host, site, [t, t + 40, t + 41], uri=path, client="system")
        self._browse(host, site, [t + 42], uri=path.rsplit("/", 1)[0] + "/submit.php", method="POST",
                     client="system", bytes_out=2_400)
        channel = "squid GET http://" if host.segment == "east" else _zeek(host) + " http.log"
        self.record(host, "exact-url", variant, url, [url, site.name], channel, "above-weak",
                    f"requested {url} (macro download) and posted to the same site")

    def _client_fingerprint(self, host: Host, variant: str) -> None:
        assert self.adv.implant is not None
        site = self._site("c2")
        times = self.beacons(self.workday_time(host), self.rng.randrange(15, 25), 2400)
        self._implant_tls(host, site.ips[0], times, cert=self.adv.certs["c2"], sni=site.name,
                          ja3=self.adv.implant.ja3, name=site.name, resolve=True)
        ja3 = self.adv.implant.ja3
        self.record(host, "client-fingerprint", variant, f"ja3:{ja3}", [ja3, f"ja3:{ja3}"],
                    _sensor(host) + " tls ja3", "above-weak",
                    f"implant TLS client (JA3 {ja3}) beacons to new, unpublished C2 {site.name}")

    def _subdomain(self, host: Host, variant: str) -> None:
        t = self.workday_time(host)
        for i, role in enumerate(("sub_a", "sub_b")):
            self._browse(host, self._site(role), [t + i * 120 + k * 7 for k in range(3)])
        zone = self.adv.names["sub"]
        subs = [self.adv.names["sub_a"], self.adv.names["sub_b"]]
        channel = "squid CONNECT" if host.segment == "east" else _zeek(host) + " dns+ssl(sni)"
        self.record(host, "subdomain", variant, zone, [zone, *subs], channel, "above-weak",
                    f"resolved and browsed {', '.join(subs)} under the indicator domain {zone}")

    def _url_host_dns(self, host: Host, variant: str) -> None:
        site = self._site("url_dns")
        t = self.workday_time(host)
        for dt in (0, 2.5):
            self.sessions.append(Session(t + dt, host, site.name, site.ips[0], client="system", connect=False))
        url = self.adv.urls["url_dns"]
        self.record(host, "url-host-dns", variant, url, [url, site.name], _sensor(host) + " dns only",
                    "above-weak", f"resolved {site.name}, the site of {url}; the download was blocked (no flow)")

    def _url_host_sni(self, host: Host, variant: str) -> None:
        site = self._site("url_sni")
        doh = self._doh_site()
        t = self.workday_time(host)
        self._browse(host, doh, [t - 1, t + 300])
        self._browse(host, site, [t + k * 31 for k in range(4)], resolve=False)
        url = self.adv.urls["url_sni"]
        self.record(host, "url-host-sni", variant, url, [url, site.name], _sensor(host) + " ssl sni only",
                    "above-weak", f"TLS to {site.name} (site of {url}) with names resolved over DoH: no DNS log")

    def _doh_site(self) -> Site:
        name = "mozilla.cloudflare-dns.com"
        if name not in self.world.sites:
            doh = [self.world.addresses.take(a) for a in ("104.16.248.249", "104.16.249.249")]
            self.world.add_site(Site(name, "cloudflare-dns.com", doh, "system",
                                     tls13=1.0, ja3s="907bf3ecef1c987c889946b737b43de8"))
            self.world.zone_ns["cloudflare-dns.com"] = ["ns3.cloudflare.com", "ns4.cloudflare.com"]
        return self.world.sites[name]

    def _certificate(self, host: Host, variant: str) -> None:
        cert = self.adv.certs["published"]
        times = self.beacons(self.workday_time(host), self.rng.randrange(8, 14), 3000)
        self._implant_tls(host, self.adv.ips["cert"], times, cert=cert, sni=None, ja3=host.system_ja3)
        self.record(host, "certificate", variant, cert.sha256, [cert.sha256, cert.sha1, self.adv.ips["cert"]],
                    _sensor(host) + " tls certificate (TLS 1.2, no SNI)", "above-weak",
                    f"TLS to unpublished {self.adv.ips['cert']} whose self-signed certificate's SHA-256 is in MISP")

    def _dns_answer_ip(self, host: Host, variant: str) -> None:
        site = self.world.sites[self.adv.names["answer_name"]]
        t = self.workday_time(host)
        for dt in (0, 61, 122):
            self.sessions.append(Session(t + dt, host, site.name, site.ips[0], client="system", connect=False))
        ip = self.adv.ips["answer"]
        self.record(host, "dns-answer-ip", variant, ip, [ip, site.name], _sensor(host) + " dns answer",
                    "above-weak", f"asked unpublished {site.name}; the answer was the indicator address {ip}")

    def _sibling_shared_ip(self, host: Host, variant: str) -> None:
        site = self._site("sib_ip")
        self._browse(host, site, [self.workday_time(host) + k * 15 for k in range(4)])
        seed, via = self.adv.names["exact"], self.adv.ips["exact_dom"]
        self.record(host, "sibling-shared-ip", variant, seed, [site.name, via],
                    "squid CONNECT" if host.segment == "east" else _zeek(host) + " dns+ssl(sni)", "pivot",
                    f"browsed unpublished {site.name}, which resolves to {via} in the same days as indicator {seed}")

    def _sibling_shared_ns(self, host: Host, variant: str) -> None:
        site = self._site("sib_ns")
        self._browse(host, site, [self.workday_time(host) + k * 20 for k in range(3)])
        seed = self.adv.names["ns"]
        self.record(host, "sibling-shared-ns", variant, seed, [site.name, site.ips[0]],
                    _zeek(host) + " dns+ssl(sni); NS seen in zeek-dmz", "pivot",
                    f"browsed unpublished {site.name}, served by the actor's own name servers {', '.join(self.adv.ns)}"
                    f" like indicator {seed}")

    def _sibling_shared_cert(self, host: Host, variant: str) -> None:
        cert = self.adv.certs["shared"]
        ip = self.adv.ips["sib_cert"]
        times = self.beacons(self.workday_time(host), self.rng.randrange(6, 10), 3600)
        self._implant_tls(host, ip, times, cert=cert, sni=None, ja3=host.system_ja3)
        seed = self.adv.ips["exact_ip"]
        self.record(host, "sibling-shared-cert", variant, seed, [ip, cert.sha256],
                    _sensor(host) + " tls certificate", "pivot",
                    f"TLS to unpublished {ip} presenting the self-signed certificate indicator {seed} presents")


    # -------------------------------------------------------------- traps
    def plant_traps(self) -> None:
        """Dedicated trap hosts; popular context, shared JA3, same CA and prevalence also hit most other hosts."""
        self._ip_reuse()
        for segment in ("branch", "east"):
            self._hub(segment, "cdn-hub", self.adv.names["cdn"], "CDN address pair")
        for segment in ("hq", "east"):
            self._hub(segment, "shared-hosting", self.adv.names["shared"], "shared-hosting address")
        self._lookalikes()
        self._popular_ns()
        self._uploads()
        self._dynamic_dns()
        self._ip_lookup()
        self._popular_context()

    def _trap_site(self, name: str, ip: str, zone: str | None = None, *, ca: str = "le-r11",
                   ns: list[str] | None = None, tags: tuple[str, ...] = ()) -> Site:
        world = self.world
        cert = world.cert_for([name, f"www.{name}"], CAS[ca])
        site = Site(name, zone or name, [ip], "web", cert=cert, tls13=0.5, ja3s="6c13ac74a8d2f5d4e1ab4e4a1a4d6d2b",
                    paths=("/", "/menu.html", "/kontakt/", "/img/logo.png"), tags=tags)
        world.add_site(site)
        world.zone_ns.setdefault(zone or name, ns or ["ns1.hetzner.com", "ns2.hetzner.com"])
        world.background_names.append(name)
        return site

    def _visits(self, host: Host, site: Site, count: int) -> None:
        start = self.workday_time(host)
        self._browse(host, site, [start + k * self.rng.uniform(20, 4000) for k in range(count)])

    def _ip_reuse(self) -> None:
        for role, segment, source in (("reuse_stix", "hq", "STIX valid_until"), ("reuse_misp", "east",
                                                                               "MISP last_seen")):
            ip = self.adv.ips[role]
            site = self._trap_site(self.world.fresh_name((".de", ".com", ".at")), ip, tags=("ip-reuse",))
            host = self.pick(segment)
            self._visits(host, site, self.rng.randrange(3, 6))
            self.record(host, "ip-reuse", role, ip, [ip, site.name], _sensor(host), "at-most-weak",
                        f"browsed {site.name}, the new tenant of former indicator {ip} ({source} before the week)")

    def _hub(self, segment: str, kind: str, indicator: str, what: str) -> None:
        host = self.pick(segment)
        names = [s for s in self.world.sites.values() if kind in s.tags]
        picks = self.rng.sample(names, 3)
        for site in picks:
            self._visits(host, site, 2)
        self.record(host, kind, "benign-neighbours", indicator, [indicator, *picks[0].ips], _sensor(host),
                    "at-most-weak", f"browsed {', '.join(s.name for s in picks)}: other names on the {what} of "
                    f"{indicator}")

    def _lookalikes(self) -> None:
        providers = (("brazil", None), ("hetzner", None), ("akamai", "cdn"))
        for name, (provider, zone_kind) in zip(self.adv.lookalikes, providers, strict=True):
            zone = ".".join(name.split(".")[-2:]) if zone_kind else None
            site = self.world.hosted(name, provider, zone=zone, tags=("lookalike",))
            self.world.background_names.append(name)
            host = self.pick()
            self._visits(host, site, 3)
            self.record(host, "lookalike", name, self.adv.names["exact"], [name], _sensor(host), "at-most-weak",
                        f"browsed {name}, which only looks like indicator {self.adv.names['exact']}")

    def _popular_ns(self) -> None:
        sites = [s for s in self.world.sites.values() if "popular-ns" in s.tags]
        site = self.rng.choice(sites)
        host = self.pick("branch")
        self._visits(host, site, 3)
        self.record(host, "popular-ns", "registrar-ns", self.adv.names["popns"], [site.name, *POPULAR_NS],
                    _sensor(host), "at-most-weak",
                    f"browsed {site.name}, hosted at the registrar name servers indicator "
                    f"{self.adv.names['popns']} also uses ({', '.join(POPULAR_NS)})")

    def _uploads(self) -> None:
        for name, segment in (("drive.google.com", "hq"), ("s3.eu-central-1.amazonaws.com", "branch")):
            site = self.world.sites[name]
            host = self.pick(segment)
            t = self.workday_time(host)
            for k in range(2):
                session = self.world.visit(host, site, t + k * 900, bytes_out=self.rng.randrange(80, 420) * 2**20,
                                           method="PUT", tags=("cloud-upload",))
                session.duration = round(self.rng.uniform(300, 900), 6)
                self.sessions.append(session)
            self.record(host, "cloud-upload", name, name, [name], _sensor(host) + " conn bytes", "at-most-weak",
                        f"uploaded a few hundred MB of project files to {name}")

    def _dynamic_dns(self) -> None:
        name = f"{self.rng.choice(NOUNS)}{self.rng.randrange(10, 99)}nas.duckdns.org"
        site = self._trap_site(name, self.world.addresses.public(RESIDENTIAL), "duckdns.org", ca="le-r10",
                               ns=["ns1.duckdns.org", "ns2.duckdns.org"], tags=("dynamic-dns",))
        host = self.pick("hq")
        self._visits(host, site, 4)
        self.record(host, "dynamic-dns", "home-nas", "duckdns.org", [name, "duckdns.org"], _sensor(host),
                    "at-most-weak", f"an employee opened their home NAS at {name}")

    def _ip_lookup(self) -> None:
        site = self.world.sites["api.ipify.org"]
        host = self.pick()
        self._browse(host, site, [self.world.when(d, host) for d in range(5)], client="system")
        self.record(host, "ip-lookup", "vpn-client", site.name, [site.name], _sensor(host), "at-most-weak",
                    "the VPN client checks the public address every morning")

    def _popular_context(self) -> None:
        host = self.pick("hq")
        for name in SERVICE_CONTEXT:
            self._visits(host, self.world.sites[name], 2)
        self.record(host, "popular-context", "every-service", "pastebin.com", list(SERVICE_CONTEXT), _sensor(host),
                    "at-most-weak", "a developer using every service the intel names as context")


def _zeek(host: Host) -> str:
    return {"hq": "zeek-hq (TSV)", "branch": "zeek-branch (JSON)"}.get(host.segment, "eve")


def _sensor(host: Host) -> str:
    return {"hq": "zeek-hq (TSV)", "branch": "zeek-branch (JSON)", "east": "suricata-east eve"}[host.segment]


def new_rng(seed: int, part: str) -> random.Random:
    """An independent generator per part, so adding to one part does not shift the others."""
    return random.Random(f"{seed}:{part}")
