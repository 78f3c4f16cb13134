// id: path
// title: Shortest paths between two entities over infrastructure edges
// description: >
//   How are two domains or IPs connected? Every shortest path (up to 6 hops) over
//   infrastructure edges only (DNS records incl. PTR, subdomains, netblocks and ASNs,
//   certificates and SAN names, server fingerprints, registrant e-mails); never
//   through telemetry or intel edges. Nodes used by more than max_fanout domains
//   or on the noise list are not crossed (the end points always count), and every
//   edge must have been seen between since and until. Returns each path's keys,
//   kinds, edge types and the degree of every node on it. Shortest paths are not
//   portable Cypher: each engine runs its override (path.neo4j.cypher,
//   path.ladybug.cypher); the text below is the classic openCypher form.
// attack: [T1583, T1584]
// maturity: stable
// tags: [pivot, path, explain]
// params:
//   from: {type: host, required: true, description: the domain or IP to start from}
//   to: {type: host, required: true, description: the domain or IP to reach}
//   max_fanout: {type: int, default: 200, description: do not cross nodes used by more domains than this}
//   include_noise: {type: bool, default: false, description: also cross nodes on the noise list}
//   since: {type: time, default: 0, description: only edges seen at or after this time}
//   until: {type: time, default: 253402300799, description: only edges seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many paths}
// columns: [hops, keys, kinds, edges, degrees]
MATCH (a), (b)
WHERE a.key = $from AND b.key = $to
MATCH p = allShortestPaths((a)-[:RESOLVES_TO|CNAME|NS|MX|PTR|SUBDOMAIN_OF|IN_NETBLOCK|ANNOUNCED_BY|SERVES_CERT|SAN|HAS_FINGERPRINT|REGISTRANT|SOA_EMAIL*..6]-(b))
WHERE all(r IN relationships(p) WHERE r.last_seen >= $since AND r.first_seen <= $until)
  AND all(n IN nodes(p)[1..-1] WHERE coalesce(n.degree, 0) <= $max_fanout
                                 AND ($include_noise OR coalesce(n.noise, false) = false))
RETURN length(p) AS hops,
       [n IN nodes(p) | n.key] AS keys,
       [n IN nodes(p) | n.kind] AS kinds,
       [r IN relationships(p) | type(r)] AS edges,
       [n IN nodes(p) | n.degree] AS degrees
ORDER BY keys
LIMIT $limit
