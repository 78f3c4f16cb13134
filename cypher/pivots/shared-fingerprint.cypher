// id: shared-fingerprint
// title: Servers with the same TLS server fingerprint (JARM, JA3S, JA4S) as the seed
// description: >
//   From a seed domain or IP through its server-side fingerprints to every other
//   domain or IP that presented one. A JARM of a C2 framework's default TLS stack
//   links team servers; popular server stacks (default nginx, CDN edges) give
//   fingerprints used by thousands, which max_fanout and the noise list skip. The
//   degree of each fingerprint crossed is reported. Client fingerprints (JA3,
//   JA4 of internal hosts) are the hunts' business, not this pivot's.
// attack: [T1587.001, T1588.002, T1071.001]
// maturity: experimental
// tags: [pivot, tls, fingerprint, jarm, ja3s, ja4s]
// params:
//   seed: {type: host, required: true, description: the domain or IP to pivot from}
//   fp_types: {type: "list[fp_type]", default: "jarm,ja3s,ja4s", description: fingerprint types to cross}
//   max_fanout: {type: int, default: 200, description: skip fingerprints presented by more domains and IPs than this}
//   include_noise: {type: bool, default: false, description: also cross fingerprints on the noise list (flagged in fp_noise)}
//   since: {type: time, default: 0, description: only fingerprints seen at or after this time}
//   until: {type: time, default: 253402300799, description: only fingerprints seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [host, host_kind, indicator, via_fingerprint, fp_type, fp_degree, fp_noise, noise_reason, first_seen, last_seen, sources]
// references:
//   - https://github.com/salesforce/jarm
//   - https://github.com/FoxIO-LLC/ja4
MATCH (s)-[r1:HAS_FINGERPRINT]->(f:Fingerprint)
WHERE s.key = $seed
  AND f.fp_type IN $fp_types
  AND r1.last_seen >= $since AND r1.first_seen <= $until
  AND coalesce(f.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(f.noise, false) = false)
WITH DISTINCT s, f
MATCH (f)<-[r2:HAS_FINGERPRINT]-(h)
WHERE h.key <> s.key
  AND r2.last_seen >= $since AND r2.first_seen <= $until
RETURN h.key AS host,
       h.kind AS host_kind,
       coalesce(h.indicator, false) AS indicator,
       f.key AS via_fingerprint,
       f.fp_type AS fp_type,
       coalesce(f.degree, 0) AS fp_degree,
       coalesce(f.noise, false) AS fp_noise,
       f.noise_reason AS noise_reason,
       r2.first_seen AS first_seen,
       r2.last_seen AS last_seen,
       r2.sources AS sources
ORDER BY fp_degree, host, via_fingerprint
LIMIT $limit
