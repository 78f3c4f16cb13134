// id: subdomains
// title: Other names in the seed's zone (its registered domain)
// description: >
//   Every known name under the seed's registered domain: the seed's siblings and
//   children, e.g. the other hosts of a C2 domain seen in DNS or proxy logs. The
//   registered domain is the attribute crossed; its degree is how many names sit
//   under it. A zone with more than max_fanout names (dynamic-DNS providers, big
//   platforms) or on the noise list is skipped, since its names belong to
//   unrelated customers.
// attack: [T1583.001, T1584.001]
// maturity: stable
// tags: [pivot, dns, subdomain]
// params:
//   seed: {type: domain, required: true, description: the domain whose zone to list}
//   max_fanout: {type: int, default: 200, description: skip zones with more names than this}
//   include_noise: {type: bool, default: false, description: also list zones on the noise list}
//   since: {type: time, default: 0, description: only names seen at or after this time}
//   until: {type: time, default: 253402300799, description: only names seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [domain, indicator, zone, zone_degree, zone_noise, noise_reason, first_seen, last_seen, sources]
MATCH (s:Domain {key: $seed})
WITH coalesce(s.registered_domain, s.key) AS zone
MATCH (n:Domain)
WHERE n.registered_domain = zone AND n.key <> zone
  AND coalesce(n.last_seen, $until) >= $since AND coalesce(n.first_seen, $since) <= $until
WITH zone, count(n) AS zone_degree
OPTIONAL MATCH (z:Domain {key: zone})
WITH zone, zone_degree, coalesce(z.noise, false) AS zone_noise, z.noise_reason AS noise_reason
WHERE zone_degree <= $max_fanout AND ($include_noise OR zone_noise = false)
MATCH (d:Domain)
WHERE d.registered_domain = zone AND d.key <> zone AND d.key <> $seed
  AND coalesce(d.last_seen, $until) >= $since AND coalesce(d.first_seen, $since) <= $until
RETURN d.key AS domain,
       coalesce(d.indicator, false) AS indicator,
       zone,
       zone_degree,
       zone_noise,
       noise_reason,
       d.first_seen AS first_seen,
       d.last_seen AS last_seen,
       d.sources AS sources
ORDER BY domain
LIMIT $limit
