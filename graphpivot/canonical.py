"""Canonical text forms for every key in the graph.

Each function takes raw text as found in intel or telemetry and returns the one
canonical string the graph stores, or raises :class:`InvalidValue` with a reason
an analyst can act on. They are pure and cached, so loaders call them per line.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import idna
from publicsuffixlist import PublicSuffixList

__all__ = [
    "InvalidValue",
    "canonical_asn",
    "canonical_cidr",
    "canonical_domain",
    "canonical_email",
    "canonical_fingerprint",
    "canonical_hash",
    "canonical_ip",
    "canonical_url",
    "fits_key",
    "is_global_ip",
    "public_suffix",
    "refang",
    "registered_domain",
    "split_host_port",
]


class InvalidValue(ValueError):
    """A value that cannot be made canonical; the message is the reason."""


# Keys longer than this (UTF-8 bytes) are refused on every engine alike: Neo4j's range index
# refuses keys over about 8 KiB, which would fail a whole batch there and not on Ladybug.
MAX_KEY_BYTES = 4096


def fits_key(key: str) -> str:
    """``key`` itself, or :class:`InvalidValue` when it is longer than :data:`MAX_KEY_BYTES` in UTF-8."""
    if len(key) * 4 > MAX_KEY_BYTES and len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidValue(f"key longer than {MAX_KEY_BYTES} bytes ({key[:60]!r}...)")
    return key


# Refanging runs regexes (ours and ioc-fanger's) whose time grows with the square of the text on
# inputs like ``[[[[...]]]]``: a 10k-character value took about a minute. So the text is bounded
# first: no value longer than a key may be (in characters, each at least one UTF-8 byte) is
# refanged, and a host part that still needs ioc-fanger must be short enough to be a defanged
# domain name (253 characters at most once refanged; this leaves room for every dot defanged).
MAX_REFANG_CHARS = MAX_KEY_BYTES
MAX_DEFANGED_HOST_CHARS = 512


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    """The offline public-suffix list, parsed on first use (not at import: commands like --help never need it)."""
    return PublicSuffixList()


# A defanged dot; the spaces around it go too (stripped, not matched: ``\s*`` before the marker
# made the regex retry every position of a long run of spaces).
_DOT_MARKER = re.compile(r"\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[dot\]|\(dot\)|\{dot\}", re.I)
_REFANG = [
    (re.compile(r"\[\s*:\s*/\s*/\s*\]"), "://"),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\[\s*/\s*\]"), "/"),
    (re.compile(r"\[@\]|\[at\]|\(at\)", re.I), "@"),
    (re.compile(r"^h(?:xx|\*\*|XX)p(s?)(\[?:\]?)//", re.I), r"http\1://"),
    (re.compile(r"^fxp(s?)://", re.I), r"ftp\1://"),
]
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_HEX = re.compile(r"^[0-9a-f]+$")
_HASH_LEN = {"md5": 32, "sha1": 40, "sha256": 64}
_FINGERPRINT_FORMS = {
    "jarm": re.compile(r"^[0-9a-f]{62}$"),
    "ja4": re.compile(r"^[a-z0-9]+(_[a-z0-9]+){1,2}$"),
    "ja4s": re.compile(r"^[a-z0-9]+(_[a-z0-9]+){1,2}$"),
    "favicon_mmh3": re.compile(r"^-?\d+$"),
}
FINGERPRINT_TYPES = ("jarm", "ja3", "ja3s", "ja4", "ja4s", "hassh", "hassh_server", "favicon_mmh3", "body_sha256")


_STILL_DEFANGED = re.compile(r"[\[\]{}()\\]|\s(?:dot|at)\s", re.I)
_DOT_WORDS = re.compile(r"^[\w-]+(?:\s+dot\s+[\w-]+)+$", re.I)


def refang(text: str) -> str:
    """Undo defanging: ``evil[.]com``, ``hxxp[://]``, ``1.2.3[.]4``, ``evil [.] com``, ``evil\\.com``, ``evil dot com``.

    The common forms are undone here; a host part that still holds a marker then goes through
    ``ioc-fanger`` (its fang rules), and ``a dot b`` spelt in words becomes ``a.b``. Paths and
    queries are left as they are, so a URL's own brackets or backslashes survive.
    """
    out = text.strip()
    if len(out) > MAX_REFANG_CHARS:
        raise InvalidValue(f"value of {len(out)} characters, longer than any key ({MAX_KEY_BYTES} bytes): "
                           f"not refanged ({out[:60]!r}...)")
    parts = _DOT_MARKER.split(out)
    if len(parts) > 1:
        out = ".".join([parts[0].rstrip(), *(part.strip() for part in parts[1:-1]), parts[-1].lstrip()])
    for pattern, repl in _REFANG:
        out = pattern.sub(repl, out)
    start = out.find("://") + 3 if "://" in out else 0
    end = out.find("/", start)
    head, rest = (out, "") if end < 0 else (out[:end], out[end:])
    if _STILL_DEFANGED.search(head):
        if len(head) - start > MAX_DEFANGED_HOST_CHARS:
            raise InvalidValue(f"defanged host of {len(head) - start} characters, longer than "
                               f"{MAX_DEFANGED_HOST_CHARS} (a domain name has at most 253): not refanged "
                               f"({head[:60]!r}...)")
        import ioc_fanger

        if _DOT_WORDS.match(head.strip()):
            head = re.sub(r"\s+dot\s+", ".", head.strip(), flags=re.I)
        head = ioc_fanger.fang(head)
    return head + rest


@lru_cache(maxsize=262_144)
def canonical_domain(raw: str) -> str:
    """Lower-case IDNA A-label form without trailing dot; rejects IPs, ports and junk."""
    name = refang(raw).strip().rstrip(".").lower()
    if not name:
        raise InvalidValue("empty domain name")
    if "://" in name or "/" in name:
        raise InvalidValue(f"not a bare domain name (looks like a URL): {raw!r}")
    if ":" in name or name.startswith("["):
        raise InvalidValue(f"domain name with a port or IPv6 text: {raw!r}")
    if _is_ip(name):
        raise InvalidValue(f"is an IP address, not a domain name: {raw!r}")
    if name.startswith("*."):
        raise InvalidValue(f"wildcard is not a domain name: {raw!r}")
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidValue(f"invalid internationalised name {raw!r}: {exc}") from None
    if len(name) > 253:
        raise InvalidValue(f"domain name longer than 253 characters: {raw[:60]!r}...")
    for label in name.split("."):
        if not label:
            raise InvalidValue(f"empty label in domain name: {raw!r}")
        if not _LABEL.match(label):
            raise InvalidValue(f"invalid label {label!r} in domain name {raw!r}")
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except idna.IDNAError as exc:
                raise InvalidValue(f"invalid punycode label {label!r}: {exc}") from None
    if name.replace(".", "").isdigit():
        raise InvalidValue(f"all-numeric name is neither a domain nor an IP: {raw!r}")
    return name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=262_144)
def canonical_ip(raw: str) -> str:
    """Canonical IPv4/IPv6 text; strips brackets and zone ids, maps ``::ffff:a.b.c.d`` to IPv4."""
    text = refang(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidValue(f"not an IP address: {raw!r}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return str(addr)


def is_global_ip(address: str) -> bool:
    """True for publicly routable addresses (embedded IPv4 of NAT64, 6to4, Teredo, mapped judged too)."""
    from graphpivot.addresses import is_public

    return is_public(address)


def canonical_cidr(raw: str) -> str:
    """Canonical network text (host bits cleared): ``10.1.2.3/8`` -> ``10.0.0.0/8``."""
    text = refang(raw).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise InvalidValue(f"not a CIDR network: {raw!r}") from None


def split_host_port(raw: str) -> tuple[str, int | None]:
    """Split ``host:port``, ``[v6]:port`` or a bare host; the host is not canonicalised."""
    text = refang(raw).strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = _port(rest[1:], raw) if rest.startswith(":") and rest[1:].isdigit() else None
        return host, port
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if port_text.isdigit():
            return host, _port(port_text, raw)
        raise InvalidValue(f"invalid port in {raw!r}")
    return text, None


def _port(text: str, raw: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise InvalidValue(f"port out of range in {raw!r}")
    return port


def canonical_host(raw: str) -> tuple[str, str]:
    """Return ``("IP", address)`` or ``("Domain", name)`` for a host string."""
    try:
        return "IP", canonical_ip(raw)
    except InvalidValue:
        return "Domain", canonical_domain(raw)


_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


@lru_cache(maxsize=131_072)
def canonical_url(raw: str) -> str:
    """Scheme and host lower-cased and canonical, default port and fragment dropped.

    A URL without scheme (as IOC lists often write them) is taken as ``http``.
    """
    text = refang(raw).strip()
    if not text:
        raise InvalidValue("empty URL")
    if text.startswith("/") and not text.startswith("//"):
        raise InvalidValue(f"URL path without a host (a path pattern, not an indicator): {raw!r}")
    if "://" not in text:
        text = "http://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidValue(f"invalid URL {raw!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        raise InvalidValue(f"URL without host: {raw!r}")
    kind, host = canonical_host(parts.hostname)
    if kind == "IP" and ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return fits_key(urlunsplit((scheme, netloc, parts.path or "/", parts.query, "")))


def url_host(url: str) -> tuple[str, str]:
    """``(label, key)`` of a canonical URL's host."""
    hostname = urlsplit(url).hostname or ""
    return canonical_host(hostname)


def canonical_email(raw: str) -> str:
    """``local@domain`` with the domain canonical and the local part lower-cased."""
    text = refang(raw).strip().strip("<>").lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    local, sep, domain = text.rpartition("@")
    if not sep or not local or any(c.isspace() for c in local):
        raise InvalidValue(f"not an e-mail address: {raw!r}")
    return fits_key(f"{local}@{canonical_domain(domain)}")


def canonical_hash(raw: str, algorithm: str = "sha256") -> str:
    """Lower-case hex digest without separators, checked for length."""
    text = raw.strip().lower().replace(":", "").replace(" ", "")
    expected = _HASH_LEN[algorithm]
    if len(text) != expected or not _HEX.match(text):
        raise InvalidValue(f"not a {algorithm} digest ({expected} hex digits): {raw!r}")
    return text


def canonical_fingerprint(fp_type: str, raw: str) -> str:
    """Key ``type:value`` for a TLS/SSH/HTTP fingerprint, value checked per type."""
    kind = fp_type.strip().lower()
    value = raw.strip().lower()
    if kind not in FINGERPRINT_TYPES:
        raise InvalidValue(f"unknown fingerprint type {fp_type!r}")
    if kind in ("ja3", "ja3s", "hassh", "hassh_server"):
        value = canonical_hash(value, "md5")
    elif kind == "body_sha256":
        value = canonical_hash(value, "sha256")
    elif kind in _FINGERPRINT_FORMS and not _FINGERPRINT_FORMS[kind].match(value):
        raise InvalidValue(f"not a {kind} fingerprint: {raw!r}")
    return f"{kind}:{value}"


def canonical_asn(raw: str | int) -> str:
    """AS number as decimal text: ``AS13335``, ``as 13335`` and ``13335`` give ``13335``."""
    text = str(raw).strip().upper().removeprefix("AS").strip()
    if not text.isdigit() or not 0 <= int(text) < 2**32:
        raise InvalidValue(f"not an AS number: {raw!r}")
    return str(int(text))


@lru_cache(maxsize=262_144)
def registered_domain(name: str) -> str | None:
    """The registrable domain under the public-suffix list (private suffixes included)."""
    return _psl().privatesuffix(name)


@lru_cache(maxsize=262_144)
def public_suffix(name: str) -> str | None:
    """The public suffix of a canonical domain name."""
    return _psl().publicsuffix(name)
