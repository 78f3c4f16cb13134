// id: ws-large-upload
// title: Large uploads to web services (exfiltration over web service)
// description: >
//   AN2028 / T1567: bytes sent by an internal host to a web service, from proxy/HTTP logs
//   (REQUESTED bytes_out, per URL) or from flows (CONNECTED_TO bytes_out) to an IP that one of
//   the service's domains resolved to while the host resolved that domain (within tolerance),
//   so flows to a shared CDN address count only for the host that asked for the service.
// attack: [T1567, T1567.002, T1048, T1102]
// maturity: experimental
// params:
//   min_bytes: {type: int, default: 10000000, description: report transfers with at least this many bytes out}
//   tolerance: {type: int, default: 3600, description: seconds of slack when matching a flow to a DNS answer}
//   since: {type: time, default: 0, description: only transfers seen at or after this time}
//   until: {type: time, default: 253402300799, description: only transfers seen at or before this time}
// columns: [host, service, category, channel, target, domain, bytes_out, first_seen, last_seen, count, telemetry]
// references:
//   - https://attack.mitre.org/techniques/T1567/
MATCH (h:Host)-[r:REQUESTED]->(u:URL)-[:ON_HOST]->(d:Domain)-[:OPERATED_BY]->(w:WebService)
WHERE r.bytes_out >= $min_bytes AND r.last_seen >= $since AND r.first_seen <= $until
RETURN h.key AS host, w.key AS service, w.category AS category, 'http' AS channel, u.key AS target, d.key AS domain,
       r.bytes_out AS bytes_out, r.first_seen AS first_seen, r.last_seen AS last_seen, r.count AS count,
       r.sources AS telemetry
ORDER BY bytes_out DESC, host, target
UNION ALL
MATCH (h:Host)-[c:CONNECTED_TO]->(ip:IP)
WHERE c.bytes_out >= $min_bytes AND c.last_seen >= $since AND c.first_seen <= $until
MATCH (ip)<-[a:RESOLVES_TO]-(d:Domain)-[:OPERATED_BY]->(w:WebService)
WHERE a.first_seen <= c.last_seen + $tolerance AND c.first_seen <= a.last_seen + $tolerance
MATCH (h)-[q:QUERIED]->(d)
WHERE q.first_seen <= c.last_seen + $tolerance AND c.first_seen <= q.last_seen + $tolerance
WITH h.key AS host, w.key AS service, w.category AS category, ip.key AS target, c.bytes_out AS bytes_out,
     c.first_seen AS first_seen, c.last_seen AS last_seen, c.count AS count, c.sources AS telemetry, min(d.key) AS domain
RETURN host, service, category, 'flow' AS channel, target, domain, bytes_out, first_seen, last_seen, count, telemetry
ORDER BY bytes_out DESC, host, target
