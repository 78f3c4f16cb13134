// path on Neo4j 5: GQL shortest-path search with the hub, noise and time filters inside the pattern.
MATCH (a), (b)
WHERE a.key = $from AND b.key = $to
MATCH p = ALL SHORTEST (a)
  ((x)-[r:RESOLVES_TO|CNAME|NS|MX|PTR|SUBDOMAIN_OF|IN_NETBLOCK|ANNOUNCED_BY|SERVES_CERT|SAN|HAS_FINGERPRINT|REGISTRANT|SOA_EMAIL]-(y)
   WHERE r.last_seen >= $since AND r.first_seen <= $until
     AND ((coalesce(y.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(y.noise, false) = false))
          OR y.key = $to)){1,6}
  (b)
RETURN length(p) AS hops,
       [n IN nodes(p) | n.key] AS keys,
       [n IN nodes(p) | n.kind] AS kinds,
       [r IN relationships(p) | type(r)] AS edges,
       [n IN nodes(p) | n.degree] AS degrees
ORDER BY keys
LIMIT $limit
