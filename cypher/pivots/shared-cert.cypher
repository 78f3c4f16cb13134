// id: shared-cert
// title: Hosts that presented the same TLS certificate as the seed
// description: >
//   From a seed domain or IP through every certificate it served to every other
//   domain or IP that served one of them. A certificate is the same key pair and
//   names, so sharing one is a strong link, unless it is shared by design:
//   certificates used by more than max_fanout hosts (CDN shared certificates,
//   appliance defaults) and those on the noise list are skipped; the degree of
//   each certificate crossed is reported. Only certificates valid at some point
//   between since and until count.
// attack: [T1587.003, T1588.004]
// maturity: stable
// tags: [pivot, tls, certificate]
// params:
//   seed: {type: host, required: true, description: the domain or IP to pivot from}
//   max_fanout: {type: int, default: 200, description: skip certificates used by more domains and IPs than this}
//   include_noise: {type: bool, default: false, description: also cross certificates on the noise list (flagged in cert_noise)}
//   since: {type: time, default: 0, description: only certificates served at or after this time}
//   until: {type: time, default: 253402300799, description: only certificates served at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, host_kind, indicator, via_cert, cert_degree, cert_noise, noise_reason, subject_cn, issuer, not_before, not_after, first_seen, last_seen, sources]
// references:
//   - https://attack.mitre.org/techniques/T1588/004/
MATCH (s)-[r1:SERVES_CERT]->(c:Certificate)
WHERE s.key = $seed
  AND r1.last_seen >= $since AND r1.first_seen <= $until
  AND coalesce(c.not_after, $until) >= $since AND coalesce(c.not_before, $since) <= $until
  AND coalesce(c.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(c.noise, false) = false)
WITH DISTINCT s, c
MATCH (c)<-[r2:SERVES_CERT]-(h)
WHERE h.key <> s.key
  AND r2.last_seen >= $since AND r2.first_seen <= $until
RETURN h.key AS host,
       h.kind AS host_kind,
       coalesce(h.indicator, false) AS indicator,
       c.key AS via_cert,
       coalesce(c.degree, 0) AS cert_degree,
       coalesce(c.noise, false) AS cert_noise,
       c.noise_reason AS noise_reason,
       c.subject_cn AS subject_cn,
       c.issuer AS issuer,
       c.not_before AS not_before,
       c.not_after AS not_after,
       r2.first_seen AS first_seen,
       r2.last_seen AS last_seen,
       r2.sources AS sources
ORDER BY cert_degree, host, via_cert
LIMIT $limit
