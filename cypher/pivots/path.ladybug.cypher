// path on Ladybug: recursive relationship with ALL SHORTEST; the filter sees every node after the start.
MATCH p = (a)-[e:RESOLVES_TO|CNAME|NS|MX|PTR|SUBDOMAIN_OF|IN_NETBLOCK|ANNOUNCED_BY|SERVES_CERT|SAN|HAS_FINGERPRINT|REGISTRANT|SOA_EMAIL* ALL SHORTEST 1..6 (r, n | WHERE r.last_seen >= $since AND r.first_seen <= $until
      AND ((coalesce(n.degree, 0) <= $max_fanout AND ($include_noise OR coalesce(n.noise, false) = false))
           OR n.key = $to))]-(b)
WHERE a.key = $from AND b.key = $to
RETURN length(p) AS hops,
       properties(nodes(p), 'key') AS keys,
       properties(nodes(p), 'kind') AS kinds,
       properties(rels(p), '_label') AS edges,
       properties(nodes(p), 'degree') AS degrees
ORDER BY list_to_string(' ', keys)
LIMIT $limit
