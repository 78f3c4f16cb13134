// id: shared-ip
// title: Domains that resolved to the same IP as the seed, at overlapping times
// description: >
//   From a seed domain to every other domain that resolved to one of its IPs while
//   the seed did (within a tolerance). IPs used by more than max_fanout domains
//   (shared hosting, CDNs) and IPs on the noise list are skipped; the degree of
//   each IP crossed is reported, so the analyst sees the pivot value. Classic
//   false positive avoided: IP reuse after the adversary moved on.
// attack: [T1583.001, T1583.003, T1584.001]
// maturity: stable
// tags: [pivot, ip, time-aware]
// params:
//   seed: {type: domain, required: true, description: the domain to pivot from}
//   max_fanout: {type: int, default: 200, description: skip IPs used by more domains than this}
//   include_noise: {type: bool, default: false, description: also cross IPs on the noise list (flagged in ip_noise)}
//   tolerance: {type: int, default: 86400, description: seconds of slack when comparing time windows}
//   since: {type: time, default: 0, description: only resolutions seen at or after this time}
//   until: {type: time, default: 253402300799, description: only resolutions seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [domain, indicator, via_ip, ip_degree, ip_noise, noise_reason, seed_first_seen, seed_last_seen, first_seen, last_seen, sources]
// references:
//   - https://attack.mitre.org/techniques/T1583/
MATCH (s:Domain {key: $seed})-[r1:RESOLVES_TO]->(ip:IP)
WHERE r1.last_seen >= $since AND r1.first_seen <= $until
  AND coalesce(ip.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(ip.noise, false) = false)
MATCH (ip)<-[r2:RESOLVES_TO]-(d:Domain)
WHERE d.key <> s.key
  AND r2.last_seen >= $since AND r2.first_seen <= $until
  AND r2.first_seen <= r1.last_seen + $tolerance
  AND r1.first_seen <= r2.last_seen + $tolerance
RETURN d.key AS domain,
       coalesce(d.indicator, false) AS indicator,
       ip.key AS via_ip,
       coalesce(ip.degree, 0) AS ip_degree,
       coalesce(ip.noise, false) AS ip_noise,
       ip.noise_reason AS noise_reason,
       r1.first_seen AS seed_first_seen,
       r1.last_seen AS seed_last_seen,
       r2.first_seen AS first_seen,
       r2.last_seen AS last_seen,
       r2.sources AS sources
ORDER BY ip_degree, domain, via_ip
LIMIT $limit
