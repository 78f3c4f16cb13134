"""The benign side of the synthetic enterprise: providers, popular services, the long tail, hubs, hosts, habits.

A ``World`` holds every server name the week's telemetry can mention (``sites``),
the name servers of every zone (``zone_ns``), the internal hosts and the
adversary (``hunt_actor.Adversary``). Background sessions follow realistic
prevalence: a few dozen services nearly every host uses all day, a middle band
some hosts use, and a long tail each host picks a handful from; workdays are
busy, weekends quiet, servers run around the clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from hunt_model import (
    ADJECTIVES,
    CLIENTS,
    DAY,
    DAYS,
    LOCAL_OFFSET,
    NOUNS,
    WEEK_START,
    Addresses,
    Cert,
    Host,
    Ids,
    Issuer,
    Session,
    Site,
)


@dataclass(frozen=True)
class Scale:
    """How big a week is."""

    hosts: int
    sessions: float  # mean sessions per workstation on a workday
    cdn_names: int  # benign names on the CDN address pair the CDN-hosted indicator also uses
    shops: int  # benign shops on the shared-hosting address of the shared-hosted indicator
    tail: int  # other long-tail sites
    copies: int  # hosts per planted exposure kind


SCALES = {
    "small": Scale(hosts=40, sessions=9.0, cdn_names=240, shops=300, tail=140, copies=1),
    "large": Scale(hosts=200, sessions=15.0, cdn_names=300, shops=320, tail=420, copies=2),
}


def _ca(c: str, o: str, cn: str) -> Issuer:
    return Issuer((("C", c), ("O", o), ("CN", cn)), key_seed=f"ca:{cn}")


CAS = {
    "gts-wr2": _ca("US", "Google Trust Services", "WR2"),
    "gts-we1": _ca("US", "Google Trust Services", "WE1"),
    "ms-rsa-03": _ca("US", "Microsoft Corporation", "Microsoft Azure RSA TLS Issuing CA 03"),
    "digicert-g2": _ca("US", "DigiCert Inc", "DigiCert Global G2 TLS RSA SHA256 2020 CA1"),
    "amazon-m02": _ca("US", "Amazon", "Amazon RSA 2048 M02"),
    "sectigo": _ca("GB", "Sectigo Limited", "Sectigo RSA Domain Validation Secure Server CA"),
    "globalsign": _ca("BE", "GlobalSign nv-sa", "GlobalSign Atlas R3 DV TLS CA 2025 Q1"),
    "le-r10": _ca("US", "Let's Encrypt", "R10"),
    "le-r11": _ca("US", "Let's Encrypt", "R11"),
    "le-e6": _ca("US", "Let's Encrypt", "E6"),
}
ROOTS = {
    "gts": _ca("US", "Google Trust Services LLC", "GTS Root R1"),
    "digicert": _ca("US", "DigiCert Inc", "DigiCert Global Root G2"),
    "amazon": _ca("US", "Amazon", "Amazon Root CA 1"),
    "sectigo": _ca("US", "The USERTRUST Network", "USERTrust RSA Certification Authority"),
    "globalsign": _ca("BE", "GlobalSign nv-sa", "GlobalSign Root R3"),
    "isrg": _ca("US", "Internet Security Research Group", "ISRG Root X1"),
}
ROOT_OF = {"gts-wr2": "gts", "gts-we1": "gts", "ms-rsa-03": "digicert", "digicert-g2": "digicert",
           "amazon-m02": "amazon", "sectigo": "sectigo", "globalsign": "globalsign", "le-r10": "isrg",
           "le-r11": "isrg", "le-e6": "isrg"}
SAME_CA = "le-r11"  # the CA of the certificate published for the 'same CA' trap


@dataclass(frozen=True)
class Provider:
    """Where a kind of site is hosted and how its TLS looks."""

    prefixes: tuple[str, ...]
    cas: tuple[str, ...]
    tls13: float
    ja3s: str
    ns: tuple[str, ...]


PROVIDERS = {
    "google": Provider(("142.250.0.0/15", "172.217.0.0/16", "216.58.192.0/19"), ("gts-wr2",), 0.95,
                       "f4febc55ea12b31ae17cfb7e614afda8", ("ns1.google.com", "ns2.google.com", "ns3.google.com")),
    "microsoft": Provider(("13.107.0.0/16", "20.190.128.0/18", "40.126.0.0/18", "52.96.0.0/14"),
                          ("ms-rsa-03", "digicert-g2"), 0.55, "ae4edc6faf64d08308082ad26be60767",
                          ("ns1-39.azure-dns.com", "ns2-39.azure-dns.net", "ns3-39.azure-dns.org")),
    "akamai": Provider(("23.32.0.0/11", "104.64.0.0/10"), ("digicert-g2",), 0.6, "15af977ce25de452b96affa2addb1036",
                       ("a1-67.akam.net", "a9-64.akam.net", "a22-65.akam.net")),
    "cloudflare": Provider(("104.16.0.0/13", "172.64.0.0/13"), ("gts-we1", "le-e6"), 0.9,
                           "907bf3ecef1c987c889946b737b43de8", ()),
    "fastly": Provider(("151.101.0.0/16", "199.232.0.0/16"), ("globalsign",), 0.85,
                       "eb1d94daa7e0344597e756a1fb6e7054", ("ns1.fastly-dns.net", "ns2.fastly-dns.net")),
    "aws": Provider(("52.0.0.0/11", "54.64.0.0/11", "3.64.0.0/12", "18.184.0.0/15"), ("amazon-m02",), 0.5,
                    "d2935c58fe676744fecc8614ee5356c7",
                    ("ns-1321.awsdns-37.org", "ns-412.awsdns-51.com", "ns-1839.awsdns-37.co.uk")),
    "github": Provider(("140.82.112.0/20",), ("sectigo",), 0.8, "d2935c58fe676744fecc8614ee5356c7",
                       ("dns1.p08.nsone.net", "dns2.p08.nsone.net")),
    "edgecast": Provider(("192.229.128.0/17",), ("digicert-g2",), 0.5, "ae4edc6faf64d08308082ad26be60767",
                         ("ns1.digicertdns.com", "ns2.digicertdns.com")),
    "hetzner": Provider(("88.198.0.0/16", "49.12.0.0/16", "116.202.0.0/16", "78.46.0.0/15"),
                        ("le-r10", "le-r11"), 0.5, "6c13ac74a8d2f5d4e1ab4e4a1a4d6d2b", ()),
    "ovh": Provider(("51.68.0.0/16", "51.75.0.0/16", "54.36.0.0/14", "145.239.0.0/16"), ("le-r10", "le-r11"), 0.5,
                    "6c13ac74a8d2f5d4e1ab4e4a1a4d6d2b", ()),
    "sharedhost": Provider(("217.160.0.0/16", "85.13.128.0/18", "81.169.128.0/17", "212.227.0.0/16"),
                           ("le-r10", "le-r11"), 0.45, "6c13ac74a8d2f5d4e1ab4e4a1a4d6d2b", ()),
    "brazil": Provider(("177.12.0.0/14", "186.202.0.0/16"), ("sectigo", "le-r10"), 0.5,
                       "6c13ac74a8d2f5d4e1ab4e4a1a4d6d2b", ("ns1.locaweb.com.br", "ns2.locaweb.com.br")),
}
POPULAR_NS = ("ns43.domaincontrol.com", "ns44.domaincontrol.com")  # a big registrar's shared name servers
OTHER_NS = (("dns1.registrar-servers.com", "dns2.registrar-servers.com"), ("ns1.hetzner.com", "ns2.hetzner.com"),
            ("dns101.ovh.net", "ns101.ovh.net"), ("ns1.ionos.de", "ns2.ionos.de"))
CF_NS = ("amy", "bart", "cody", "dana", "elle", "fred", "gina", "hugo", "ivan", "jill", "kate", "leo", "mona")

# name, provider, category, prevalence, weight, audience, scheme, trap tags
POPULAR: tuple[tuple[str, str, str, float, float, str, str, tuple[str, ...]], ...] = (
    ("www.google.com", "google", "web", 0.95, 8, "all", "https", ()),
    ("www.gstatic.com", "google", "web", 0.9, 5, "all", "https", ()),
    ("fonts.googleapis.com", "google", "web", 0.8, 3, "all", "https", ()),
    ("accounts.google.com", "google", "web", 0.5, 1, "all", "https", ()),
    ("docs.google.com", "google", "web", 0.45, 2, "all", "https", ("popular-context",)),
    ("drive.google.com", "google", "web", 0.35, 1.5, "all", "https", ("popular-context",)),
    ("www.youtube.com", "google", "web", 0.5, 2, "all", "https", ()),
    ("i.ytimg.com", "google", "web", 0.45, 1, "all", "https", ()),
    ("update.googleapis.com", "google", "system", 0.6, 1, "all", "https", ()),
    ("login.microsoftonline.com", "microsoft", "system", 0.95, 4, "all", "https", ()),
    ("outlook.office365.com", "microsoft", "system", 0.9, 6, "all", "https", ()),
    ("graph.microsoft.com", "microsoft", "system", 0.8, 3, "all", "https", ()),
    ("teams.microsoft.com", "microsoft", "system", 0.85, 4, "all", "https", ()),
    ("settings-win.data.microsoft.com", "microsoft", "system", 0.9, 1, "windows", "https", ()),
    ("v10.events.data.microsoft.com", "microsoft", "system", 0.9, 2, "windows", "https", ()),
    ("www.msftconnecttest.com", "akamai", "system", 0.95, 0.6, "windows", "http", ("high-prevalence",)),
    ("ctldl.windowsupdate.com", "akamai", "system", 0.9, 0.8, "windows", "http", ("high-prevalence",)),
    ("download.windowsupdate.com", "akamai", "system", 0.5, 0.4, "windows", "http", ()),
    ("officecdn.microsoft.com", "akamai", "system", 0.5, 0.5, "windows", "https", ()),
    ("ocsp.digicert.com", "edgecast", "system", 0.8, 1.5, "all", "http", ()),
    ("www.linkedin.com", "akamai", "web", 0.4, 1, "all", "https", ()),
    ("github.com", "github", "web", 0.9, 3, "developer", "https", ()),
    ("api.github.com", "github", "system", 0.7, 1, "developer", "https", ()),
    ("raw.githubusercontent.com", "fastly", "web", 0.7, 1, "developer", "https", ("popular-context",)),
    ("stackoverflow.com", "cloudflare", "web", 0.8, 2, "developer", "https", ()),
    ("pypi.org", "fastly", "system", 0.6, 1, "developer", "https", ()),
    ("files.pythonhosted.org", "fastly", "system", 0.6, 1, "developer", "https", ()),
    ("registry.npmjs.org", "cloudflare", "system", 0.5, 1, "developer", "https", ()),
    ("pastebin.com", "cloudflare", "web", 0.3, 0.5, "developer", "https", ("popular-context",)),
    ("en.wikipedia.org", "fastly", "web", 0.4, 1, "all", "https", ()),
    ("www.bbc.co.uk", "fastly", "web", 0.3, 1, "all", "https", ()),
    ("www.reddit.com", "fastly", "web", 0.25, 1, "all", "https", ()),
    ("zoom.us", "aws", "web", 0.3, 1, "all", "https", ()),
    ("www.dropbox.com", "aws", "web", 0.1, 0.5, "all", "https", ()),
    ("discord.com", "cloudflare", "web", 0.06, 0.5, "all", "https", ()),
    ("cdn.discordapp.com", "cloudflare", "web", 0.06, 0.5, "all", "https", ("popular-context",)),
    ("web.telegram.org", "aws", "web", 0.05, 0.4, "all", "https", ()),
    ("api.telegram.org", "aws", "system", 0.8, 0.5, "server", "https", ("popular-context",)),
    ("api.ipify.org", "aws", "system", 0.12, 0.3, "all", "https", ("ip-lookup",)),
    ("checkip.amazonaws.com", "aws", "system", 0.06, 0.3, "all", "https", ("ip-lookup",)),
    ("ipinfo.io", "cloudflare", "web", 0.03, 0.3, "all", "https", ("ip-lookup",)),
    ("cdnjs.cloudflare.com", "cloudflare", "web", 0.5, 1, "all", "https", ()),
    ("ajax.googleapis.com", "google", "web", 0.5, 1, "all", "https", ()),
    ("cdn.jsdelivr.net", "fastly", "web", 0.4, 1, "all", "https", ()),
    ("www.amazon.com", "akamai", "web", 0.3, 1, "all", "https", ()),
    ("swscan.apple.com", "akamai", "system", 0.9, 1, "mac", "https", ()),
    ("mesu.apple.com", "akamai", "system", 0.9, 1, "mac", "https", ()),
    ("archive.ubuntu.com", "ovh", "system", 0.9, 1, "linux", "http", ()),
    ("security.ubuntu.com", "ovh", "system", 0.9, 1, "linux", "http", ()),
    ("s3.eu-central-1.amazonaws.com", "aws", "system", 0.1, 0.4, "all", "https", ()),
)
CNAMES = {  # popular names that reach their addresses through a CDN chain
    "www.msftconnecttest.com": ["www.msftconnecttest.com.edgesuite.net", "a1961.g2.akamai.net"],
    "ctldl.windowsupdate.com": ["ctldl.windowsupdate.com.delivery.microsoft.com", "wu-b-net.trafficmanager.net"],
    "download.windowsupdate.com": ["download.windowsupdate.com.edgesuite.net", "a767.dspw65.akamai.net"],
    "www.linkedin.com": ["www-linkedin-com.l-0005.l-msedge.net", "l-0005.l-msedge.net"],
    "www.amazon.com": ["tp.47cf2c8c9-frontier.amazon.com", "www.amazon.com.edgekey.net", "e15316.a.akamaiedge.net"],
    "ocsp.digicert.com": ["ocsp.edge.digicert.com", "fp2e7a.wpc.phicdn.net"],
    "outlook.office365.com": ["outlook.ha.office365.com", "outlook.ms-acdc.office.com"],
    "teams.microsoft.com": ["teams.office.com", "s-0005.s-msedge.net"],
}
TLDS = (".com", ".com", ".com", ".net", ".de", ".co.uk", ".org", ".io", ".shop", ".fr", ".nl", ".eu")


@dataclass
class World:
    """Everything the week's telemetry and intel can name."""

    seed: int
    scale: Scale
    rng: random.Random
    ids: Ids
    addresses: Addresses
    company: str
    sites: dict[str, Site] = field(default_factory=dict)
    zone_ns: dict[str, list[str]] = field(default_factory=dict)
    ns_addresses: dict[str, str] = field(default_factory=dict)
    hosts: list[Host] = field(default_factory=list)
    cf_hub: list[str] = field(default_factory=list)  # the CDN address pair the CDN-hosted indicator sits on
    shared_hub: str = ""  # the shared-hosting address with hundreds of shops
    resolvers: dict[str, str] = field(default_factory=dict)  # segment -> internal resolver
    dmz_resolver: str = ""
    background_names: list[str] = field(default_factory=list)  # resolved by users the sensors do not see
    used_names: set[str] = field(default_factory=set)
    intermediates: dict[str, Cert] = field(default_factory=dict)

    # -------------------------------------------------------------- names and sites
    def fresh_name(self, tlds: tuple[str, ...] = TLDS) -> str:
        """A new benign registrable domain."""
        for _ in range(10_000):
            a, n = self.rng.choice(ADJECTIVES), self.rng.choice(NOUNS)
            style = self.rng.randrange(4)
            base = (f"{a}{n}", f"{a}-{n}", f"{n}{a}", f"{a}{n}{self.rng.randrange(2, 99)}")[style]
            name = base + self.rng.choice(tlds)
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("name space exhausted")

    def cert_for(self, names: list[str], ca: Issuer, *, days: int = 90) -> Cert:
        """A leaf for ``names`` issued by ``ca`` some weeks before the telemetry week."""
        start = WEEK_START - self.rng.randrange(5, days - 10) * DAY
        return Cert((("CN", names[0]),), ca, tuple(names), self.rng.getrandbits(120) | 1 << 119, start,
                    start + days * DAY, key_seed=f"{self.seed}:leaf:{names[0]}:{start}")

    def chain_for(self, cert: Cert | None) -> list[Cert]:
        """The intermediate a CA-issued leaf is served with (none for self-signed certificates)."""
        if cert is None or cert.self_signed:
            return []
        ca = next((key for key, issuer in CAS.items() if issuer == cert.issuer), None)
        if ca is None:
            return []
        if ca not in self.intermediates:
            issuer = CAS[ca]
            start = WEEK_START - 400 * DAY
            self.intermediates[ca] = Cert(issuer.parts, ROOTS[ROOT_OF[ca]], (), self.rng.getrandbits(120) | 1 << 119,
                                          start, start + 1460 * DAY, key_seed=issuer.key_seed, is_ca=True)
        return [self.intermediates[ca]]

    def add_site(self, site: Site) -> Site:
        self.sites[site.name] = site
        self.used_names.add(site.zone)
        return site

    def hosted(self, name: str, provider: str, category: str = "web", *, zone: str | None = None,
               ips: list[str] | None = None, scheme: str = "https", tags: tuple[str, ...] = (),
               ca: str | None = None) -> Site:
        """A site on ``provider``: addresses from its pools (or ``ips``), a certificate from one of its CAs."""
        p = PROVIDERS[provider]
        zone = zone or name
        addresses = ips or [self.addresses.public(p.prefixes)]
        issuer = CAS[ca or self.rng.choice(p.cas)]
        cert = self.cert_for([name, f"*.{zone}"] if name != zone else [name, f"www.{name}"], issuer)
        site = Site(name, zone, addresses, category, port=443 if scheme == "https" else 80, scheme=scheme,
                    cert=cert if scheme == "https" else None, tls13=p.tls13, ja3s=p.ja3s, tags=tags,
                    paths=self._paths(), ttl=self.rng.choice((60, 300, 300, 3600)))
        if zone not in self.zone_ns:
            self.zone_ns[zone] = list(p.ns) if p.ns else self._tail_ns(provider)
        return self.add_site(site)

    def _tail_ns(self, provider: str) -> list[str]:
        if provider == "cloudflare":
            return [f"{name}.ns.cloudflare.com" for name in self.rng.sample(CF_NS, 2)]
        if self.rng.random() < 0.35:
            return list(POPULAR_NS)
        return list(self.rng.choice(OTHER_NS))

    def _paths(self) -> tuple[str, ...]:
        words = self.rng.sample(NOUNS, 4)
        return ("/", f"/{words[0]}/", f"/{words[1]}/{words[2]}.html", f"/assets/{words[3]}.js", "/favicon.ico")

    # -------------------------------------------------------------- the benign catalogue
    def build_benign(self) -> None:
        """Popular services, CDN and shared-hosting hubs, and the long tail."""
        for name, provider, category, prevalence, weight, audience, scheme, tags in POPULAR:
            zone = ".".join(name.split(".")[-3:]) if name.endswith(".co.uk") else ".".join(name.split(".")[-2:])
            site = self.hosted(name, provider, category, zone=zone, scheme=scheme, tags=tags)
            site.prevalence, site.weight, site.audience = prevalence, weight, audience
            site.cname = CNAMES.get(name, [])
        for name in (f"{self.company}.sharepoint.com", f"{self.company}-my.sharepoint.com"):
            site = self.hosted(name, "microsoft", "system", zone="sharepoint.com")
            site.prevalence, site.weight = 0.7, 2
        self._build_cdn_hub()
        self._build_shared_hub()
        self._build_tail()

    def _build_cdn_hub(self) -> None:
        p = PROVIDERS["cloudflare"]
        self.cf_hub = [self.addresses.public(p.prefixes[:1]), self.addresses.public(p.prefixes[1:])]
        for _ in range(self.scale.cdn_names):
            name = self.fresh_name()
            site = self.hosted(name, "cloudflare", ips=list(self.cf_hub), tags=("cdn-hub",))
            self.background_names.append(name)
            site.weight = 1.0

    def _build_shared_hub(self) -> None:
        self.shared_hub = self.addresses.public(PROVIDERS["sharedhost"].prefixes)
        for _ in range(self.scale.shops):
            name = self.fresh_name((".de", ".com", ".shop", ".eu", ".at"))
            self.hosted(name, "sharedhost", ips=[self.shared_hub], tags=("shared-hosting",))
            self.background_names.append(name)

    def _build_tail(self) -> None:
        providers = ("hetzner", "ovh", "aws", "sharedhost", "cloudflare", "fastly", "akamai")
        weights = (3, 3, 3, 3, 2, 1, 1)
        cf_pairs = [[self.addresses.public(("104.16.0.0/13",)), self.addresses.public(("172.64.0.0/13",))]
                    for _ in range(8)]
        for _ in range(self.scale.tail):
            name = self.fresh_name()
            provider = self.rng.choices(providers, weights)[0]
            ips = self.rng.choice(cf_pairs) if provider == "cloudflare" else None
            site = self.hosted(name, provider, ips=ips)
            if self.zone_ns.get(site.zone) == list(POPULAR_NS):
                site.tags = (*site.tags, "popular-ns")
            self.background_names.append(name)
            if self.rng.random() < 0.3:  # a www. name beside the bare one
                www = self.hosted(f"www.{name}", provider, zone=name, ips=site.ips)
                www.tags = site.tags
        for _ in range(max(4, self.scale.tail // 20)):  # banks and health insurers: the proxy never bumps them
            name = self.fresh_name((".com", ".de", ".eu"))
            site = self.hosted(name, "akamai", tags=("no-bump",))
            site.prevalence, site.weight = 0.05, 0.3

    # -------------------------------------------------------------- hosts
    def build_hosts(self) -> None:
        """Workstations, developer machines and a few servers in three offices."""
        nets = {"hq": "10.20", "branch": "10.40", "east": "10.30"}
        self.resolvers = {seg: self.addresses.take(f"{net}.0.53") for seg, net in nets.items()}
        self.dmz_resolver = self.addresses.public(("195.47.236.0/22",))
        counts = {"hq": 0, "branch": 0, "east": 0}
        shares = (("hq", 0.45), ("branch", 0.25), ("east", 0.30))
        for n in range(self.scale.hosts):
            segment = self._segment_for(n, shares)
            counts[segment] += 1
            self.hosts.append(self._host(segment, counts[segment], nets[segment], n))
        for host in self.hosts:
            self._habits(host)

    def _segment_for(self, n: int, shares: tuple[tuple[str, float], ...]) -> str:
        cut = (n + 0.5) / self.scale.hosts
        total = 0.0
        for segment, share in shares:
            total += share
            if cut <= total:
                return segment
        return shares[-1][0]

    def _host(self, segment: str, number: int, net: str, n: int) -> Host:
        role = "server" if segment == "hq" and number % 17 == 5 else ("developer" if n % 7 == 3 else "workstation")
        os_name = "linux" if role == "server" else self.rng.choices(("windows", "mac", "linux"), (78, 14, 8))[0]
        browser = {"windows": self.rng.choices(("chromium-win", "firefox"), (88, 12))[0],
                   "mac": self.rng.choice(("safari", "chromium-win")), "linux": "firefox"}[os_name]
        if os_name == "mac" and browser == "chromium-win":
            browser = "firefox"
        system = {"windows": "schannel-win", "mac": "nsurlsession", "linux": "openssl"}[os_name]
        ip = self.addresses.take(f"{net}.{1 + (number - 1) // 200}.{10 + (number - 1) % 200}")
        prefix = {"server": "srv", "developer": "dev", "workstation": "ws"}[role]
        user = f"{self.rng.choice('abcdefghijklmnoprstw')}.{self.rng.choice(NOUNS)}"
        return Host(ip, f"{prefix}-{segment}-{number:03d}", segment, os_name, role, CLIENTS[browser].ja3,
                    CLIENTS[system].ja3, user)

    def _habits(self, host: Host) -> None:
        """Which sites a host uses and how often: popular by prevalence, plus a personal long tail."""
        for site in self.sites.values():
            if site.prevalence and _audience_fits(site.audience, host) and self.rng.random() < site.prevalence:
                host.sites.append(site)
                host.weights.append(site.weight)
        tail = [s for s in self.sites.values() if not s.prevalence and s.category == "web"]
        # hub tenants are many but obscure: a host rarely has one among its personal sites
        odds = [0.02 if {"cdn-hub", "shared-hosting"} & set(s.tags) else 1.0 for s in tail]
        picks = self.rng.randrange(6, 16) if host.role != "server" else 2
        chosen: set[int] = set()
        while len(chosen) < min(picks, len(tail)):
            chosen.add(self.rng.choices(range(len(tail)), odds)[0])
        for index in sorted(chosen):
            host.sites.append(tail[index])
            host.weights.append(0.6)

    # -------------------------------------------------------------- sessions
    def background(self) -> list[Session]:
        """Every host's ordinary week."""
        sessions: list[Session] = []
        for host in self.hosts:
            for day in range(DAYS):
                sessions += self._day(host, day)
        return sessions

    def _day(self, host: Host, day: int) -> list[Session]:
        workday = day < 5
        mean = self.scale.sessions * (1.0 if workday else 0.07)
        if host.role == "server":
            mean = self.scale.sessions * 0.5
        out = [self.visit(host, self.rng.choices(host.sites, host.weights)[0], self.when(day, host))
               for _ in range(_poisson(self.rng, mean))]
        if workday or host.role == "server":
            out += self._chores(host, day)
        return out

    def when(self, day: int, host: Host) -> float:
        """A plausible moment on ``day`` for ``host``: office hours for people, any time for servers."""
        base = WEEK_START + day * DAY
        if host.role == "server":
            return base + self.rng.uniform(0, DAY)
        hour = min(max(self.rng.gauss(12.5, 2.6), 7.2), 19.5)
        return base + hour * 3600 - LOCAL_OFFSET + self.rng.uniform(0, 60)

    def _chores(self, host: Host, day: int) -> list[Session]:
        """Boot-time and background lookups: internal names, NXDOMAIN noise, NTP."""
        t = self.when(day, host)
        internal = Session(t, host, f"dc01.corp.{self.company}.local", f"{host.ip.rsplit('.', 2)[0]}.0.10",
                           port=389, client="system", service="ldap", resolve=True, connect=False,
                           answers=[f"{host.ip.rsplit('.', 2)[0]}.0.10"])
        out = [internal]
        if self.rng.random() < 0.3:
            out.append(Session(t + 5, host, "wpad." + f"{self.company}.local", "", client="system", connect=False,
                               rcode="NXDOMAIN", answers=[]))
        if host.os == "windows":
            ntp = self.sites.get("time.windows.com") or self._ntp_site()
            out.append(Session(t + 30, host, ntp.name, ntp.ips[0], port=123, client="system", proto="udp",
                               service="ntp", bytes_out=48, bytes_in=48, duration=0.03))
        return out

    def _ntp_site(self) -> Site:
        site = Site("time.windows.com", "windows.com", [self.addresses.public(("51.145.123.0/24",))], "system",
                    cname=["twc.trafficmanager.net"], port=123, scheme="ntp", ttl=600)
        self.zone_ns["windows.com"] = list(PROVIDERS["microsoft"].ns)
        return self.add_site(site)

    def visit(self, host: Host, site: Site, ts: float, *, client: str | None = None, uri: str | None = None,
              method: str = "GET", bytes_out: int | None = None, resolve: bool = True,
              tags: tuple[str, ...] = ()) -> Session:
        """One visit of ``host`` to ``site`` at ``ts``, shaped by the site's protocol and the host's software."""
        client = client or ("browser" if site.category == "web" else "system")
        ja3 = host.browser_ja3 if client == "browser" else host.system_ja3
        agent = _agent_for(ja3)
        tls12 = site.scheme == "https" and self.rng.random() >= site.tls13
        out = bytes_out if bytes_out is not None else int(self.rng.lognormvariate(7.0, 0.8))
        session = Session(
            ts, host, site.name, self.rng.choice(site.ips), port=site.port, client=client,
            service="ssl" if site.scheme == "https" else "http", resolve=resolve, sni=site.name,
            ja3=ja3, ja3s=site.ja3s, tls_version=None if site.scheme != "https" else ("TLSv12" if tls12 else "TLSv13"),
            cert=site.cert if tls12 else None, chain=self.chain_for(site.cert) if tls12 else [], method=method,
            scheme=site.scheme, uri=uri or self.rng.choice(site.paths), user_agent=agent,
            bytes_out=out, bytes_in=int(self.rng.lognormvariate(9.5, 1.2)),
            duration=round(self.rng.uniform(0.05, 30.0), 6), tags=(*site.tags, *tags),
        )
        if site.scheme != "https":
            session.sni = None
        return session


def _agent_for(ja3: str) -> str:
    for client in CLIENTS.values():
        if client.ja3 == ja3:
            return client.user_agent
    return "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"


def _audience_fits(audience: str, host: Host) -> bool:
    if audience == "all":
        return host.role != "server"
    if audience in ("windows", "mac", "linux"):
        return host.os == audience and host.role != "server"
    if audience == "developer":
        return host.role == "developer"
    return host.role == audience


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
