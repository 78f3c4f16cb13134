// id: expand
// title: "TEMPORARY stand-in (hunt branch): a seed's infrastructure through IPs and name servers"
// description: >
//   Placeholder with the agreed interface of the pivots branch's expand, so exposure --expand can
//   be tested: from seed domains to their IPs, to domains sharing a low-degree IP at overlapping
//   times, and to domains sharing a low-degree name server; from seed IPs to the domains on them.
//   Stage 1 only. The pivots branch's version replaces this file.
// attack: [T1583.001, T1583.003]
// maturity: experimental
// params:
//   seeds: {type: "list[str]", required: true, description: canonical keys of Domain or IP nodes}
//   max_fanout: {type: int, default: 200, description: skip attributes used by more domains than this}
//   tolerance: {type: int, default: 86400, description: seconds of slack when comparing time windows}
//   since: {type: time, default: 0, description: only links seen at or after this time}
//   until: {type: time, default: 253402300799, description: only links seen at or before this time}
//   limit: {type: int, default: 1000, description: "the agreed interface; this stand-in returns every row (Ladybug 0.22 crashes on LIMIT inside UNION ALL parts)"}
// columns: [seed, kind, key, stage, via, via_kinds, max_degree]
MATCH (s:Domain)-[r:RESOLVES_TO]->(ip:IP)
WHERE s.key IN $seeds AND r.last_seen >= $since AND r.first_seen <= $until AND coalesce(ip.degree, 0) <= $max_fanout
RETURN DISTINCT s.key AS seed, 'IP' AS kind, ip.key AS key, 1 AS stage, [ip.key] AS via, ['IP'] AS via_kinds,
       coalesce(ip.degree, 0) AS max_degree
ORDER BY seed, key
UNION ALL
MATCH (s:Domain)-[r1:RESOLVES_TO]->(ip:IP)<-[r2:RESOLVES_TO]-(d:Domain)
WHERE s.key IN $seeds AND d.key <> s.key AND coalesce(ip.degree, 0) <= $max_fanout
  AND r1.last_seen >= $since AND r1.first_seen <= $until AND r2.last_seen >= $since AND r2.first_seen <= $until
  AND r2.first_seen <= r1.last_seen + $tolerance AND r1.first_seen <= r2.last_seen + $tolerance
WITH s.key AS seed, d.key AS key, ip.key AS via_key, coalesce(ip.degree, 0) AS degree
WITH seed, key, min(degree) AS max_degree, min(via_key) AS via_key
RETURN seed, 'Domain' AS kind, key, 1 AS stage, [via_key] AS via, ['IP'] AS via_kinds, max_degree
ORDER BY seed, key
UNION ALL
MATCH (s:Domain)-[:NS]->(ns:Domain)<-[:NS]-(d:Domain)
WHERE s.key IN $seeds AND d.key <> s.key AND coalesce(ns.degree, 0) <= $max_fanout
RETURN DISTINCT s.key AS seed, 'Domain' AS kind, d.key AS key, 1 AS stage, [ns.key] AS via, ['NS'] AS via_kinds,
       coalesce(ns.degree, 0) AS max_degree
ORDER BY seed, key
UNION ALL
MATCH (d:Domain)-[r:RESOLVES_TO]->(ip:IP)
WHERE ip.key IN $seeds AND coalesce(ip.degree, 0) <= $max_fanout AND r.last_seen >= $since AND r.first_seen <= $until
RETURN DISTINCT ip.key AS seed, 'Domain' AS kind, d.key AS key, 1 AS stage, [ip.key] AS via, ['IP'] AS via_kinds,
       coalesce(ip.degree, 0) AS max_degree
ORDER BY seed, key
