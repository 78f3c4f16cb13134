// id: pivot-value
// title: Pivot value of the attributes around a set of indicators
// description: >
//   For every attribute the seeds use (their IPs, name servers, certificates,
//   registrant e-mails, server fingerprints, and a seed IP or name server itself):
//   how many seeds use it, how many of its users are indicators and how many are
//   other domains or IPs, its degree, and whether it is noise or above max_fanout.
//   An attribute shared by several indicators and few others is a good pivot; one
//   used by thousands is a hub the other pivots skip. Run it before pivoting to
//   see which links carry weight.
// attack: [T1583, T1584]
// maturity: stable
// tags: [pivot, triage, degree]
// params:
//   seeds: {type: "list[host]", required: true, description: comma-separated domains and IPs}
//   max_fanout: {type: int, default: 200, description: attributes above this degree are reported as hubs (pivotable false)}
//   since: {type: time, default: 0, description: only links seen at or after this time}
//   until: {type: time, default: 253402300799, description: only links seen at or before this time}
//   limit: {type: int, default: 1000, description: at most this many rows}
// columns: [attribute, kind, degree, seeds_using, indicator_users, other_users, noise, noise_reason, pivotable]
MATCH (s)
WHERE s.key IN $seeds AND s.kind IN ['Domain', 'IP']
UNWIND ['link', 'self'] AS route
OPTIONAL MATCH (s)-[r1:RESOLVES_TO|NS|SERVES_CERT|REGISTRANT|SOA_EMAIL|HAS_FINGERPRINT]->(a)
WHERE route = 'link' AND r1.last_seen >= $since AND r1.first_seen <= $until
WITH DISTINCT s, route, a
WHERE (route = 'link' AND a IS NOT NULL) OR (route = 'self' AND (s.kind = 'IP' OR coalesce(s.degree, 0) > 0))
UNWIND ['in', 'san'] AS side
OPTIONAL MATCH (a)<-[ru:RESOLVES_TO|NS|SERVES_CERT|REGISTRANT|SOA_EMAIL|HAS_FINGERPRINT]-(u)
WHERE route = 'link' AND side = 'in' AND ru.last_seen >= $since AND ru.first_seen <= $until
OPTIONAL MATCH (a)-[rn:SAN]->(un)
WHERE route = 'link' AND side = 'san' AND rn.last_seen >= $since AND rn.first_seen <= $until
OPTIONAL MATCH (s)<-[rs:RESOLVES_TO|NS]-(us:Domain)
WHERE route = 'self' AND side = 'in' AND rs.last_seen >= $since AND rs.first_seen <= $until
WITH s,
     CASE route WHEN 'link' THEN a.key ELSE s.key END AS attribute,
     CASE route WHEN 'link' THEN a.kind ELSE s.kind END AS kind,
     coalesce(CASE route WHEN 'link' THEN a.degree ELSE s.degree END, 0) AS degree,
     coalesce(CASE route WHEN 'link' THEN a.noise ELSE s.noise END, false) AS noise,
     CASE route WHEN 'link' THEN a.noise_reason ELSE s.noise_reason END AS noise_reason,
     CASE WHEN route = 'self' THEN us.key WHEN side = 'in' THEN u.key ELSE un.key END AS user,
     coalesce(CASE WHEN route = 'self' THEN us.indicator WHEN side = 'in' THEN u.indicator ELSE un.indicator END, false)
       AS user_is_indicator
WITH attribute, kind, degree, noise, noise_reason,
     count(DISTINCT s.key) AS seeds_using,
     count(DISTINCT CASE WHEN user_is_indicator THEN user END) AS indicator_users,
     count(DISTINCT CASE WHEN NOT user_is_indicator THEN user END) AS other_users
RETURN attribute, kind, degree, seeds_using, indicator_users, other_users, noise, noise_reason,
       degree <= $max_fanout AND NOT noise AS pivotable
ORDER BY seeds_using DESC, indicator_users DESC, degree, attribute
LIMIT $limit
