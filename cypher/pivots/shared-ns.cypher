// id: shared-ns
// title: Domains delegated to the same name server as the seed
// description: >
//   From a seed domain (or, for a subdomain, its registered domain, where the
//   delegation lives) to every other domain that used one of its name servers.
//   Name servers used by more than max_fanout domains (registrar defaults,
//   DNS-hosting providers) and those on the noise list (parking, registrar,
//   sinkhole name servers) are skipped; the degree of each name server crossed
//   is reported. A self-hosted or rarely used name server is a strong link.
// attack: [T1583.002, T1584.002]
// maturity: stable
// tags: [pivot, dns, name-server]
// params:
//   seed: {type: domain, required: true, description: the domain to pivot from}
//   max_fanout: {type: int, default: 200, description: skip name servers used by more domains than this}
//   include_noise: {type: bool, default: false, description: also cross name servers on the noise list (flagged in ns_noise)}
//   since: {type: time, default: 0, description: only delegations seen at or after this time}
//   until: {type: time, default: 253402300799, description: only delegations seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [domain, indicator, via_ns, ns_degree, ns_noise, noise_reason, first_seen, last_seen, sources]
// references:
//   - https://attack.mitre.org/techniques/T1583/002/
MATCH (s:Domain {key: $seed})
WITH s, coalesce(s.registered_domain, s.key) AS zone
MATCH (z:Domain)-[r1:NS]->(ns:Domain)
WHERE z.key IN [s.key, zone]
  AND r1.last_seen >= $since AND r1.first_seen <= $until
  AND coalesce(ns.degree, 0) <= $max_fanout
  AND ($include_noise OR coalesce(ns.noise, false) = false)
WITH DISTINCT s, zone, ns
MATCH (ns)<-[r2:NS]-(d:Domain)
WHERE d.key <> s.key AND d.key <> zone
  AND r2.last_seen >= $since AND r2.first_seen <= $until
RETURN d.key AS domain,
       coalesce(d.indicator, false) AS indicator,
       ns.key AS via_ns,
       coalesce(ns.degree, 0) AS ns_degree,
       coalesce(ns.noise, false) AS ns_noise,
       ns.noise_reason AS noise_reason,
       r2.first_seen AS first_seen,
       r2.last_seen AS last_seen,
       r2.sources AS sources
ORDER BY ns_degree, domain, via_ns
LIMIT $limit
