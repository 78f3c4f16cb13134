// id: cert-san
// title: Names listed on the same certificates as the seed (subject alternative names)
// description: >
//   From a seed domain to every certificate it served or is named in, then to the
//   other names in those certificates' SAN lists: one operator asked a CA to
//   vouch for all of them together. Certificates used by more than max_fanout
//   domains and IPs (CDN certificates with hundreds of customer names) and those
//   on the noise list are skipped; the degree of each certificate crossed is
//   reported. Only certificates valid at some point between since and until count.
// attack: [T1587.003, T1588.004]
// maturity: stable
// tags: [pivot, tls, certificate, san]
// params:
//   seed: {type: domain, required: true, description: the domain to pivot from}
//   max_fanout: {type: int, default: 200, description: skip certificates used by more domains and IPs than this}
//   include_noise: {type: bool, default: false, description: also cross certificates on the noise list (flagged in cert_noise)}
//   since: {type: time, default: 0, description: only certificates seen at or after this time}
//   until: {type: time, default: 253402300799, description: only certificates seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [domain, indicator, via_cert, cert_degree, cert_noise, noise_reason, subject_cn, issuer, not_before, not_after, first_seen, last_seen, sources]
// references:
//   - https://attack.mitre.org/techniques/T1588/004/
//   - https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.6
MATCH (s:Domain {key: $seed})-[r1:SERVES_CERT|SAN]-(c:Certificate)
WHERE r1.last_seen >= $since AND r1.first_seen <= $until
  AND coalesce(c.not_after, $until) >= $since AND coalesce(c.not_before, $since) <= $until
  AND coalesce(c.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(c.noise, false) = false)
WITH DISTINCT s, c
MATCH (c)-[r2:SAN]->(d:Domain)
WHERE d.key <> s.key
  AND r2.last_seen >= $since AND r2.first_seen <= $until
RETURN d.key AS domain,
       coalesce(d.indicator, false) AS indicator,
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
ORDER BY cert_degree, domain, via_cert
LIMIT $limit
