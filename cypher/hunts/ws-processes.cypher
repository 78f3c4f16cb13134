// id: ws-processes
// title: Which processes on each host reached an abused web service (endpoint DNS with the process)
// description: >
//   AN2028 / T1102: a paste site or bot API reached by powershell.exe, a script host or a binary
//   from a user-writable folder is much stronger evidence than the same name looked up by a browser.
//   Endpoint telemetry (Sysmon EID 22 / EID 3) keeps the process images on QUERIED and CONNECTED_TO
//   edges; this hunt lists, per host, web service and process image, when that process reached the
//   service (DNS to one of its domains, or a connection to an address one of its domains resolved to
//   while the host used it). graphpivot hunt uses the rows to grade the ws-* leads.
// attack: [T1102, T1567, T1059.001]
// maturity: experimental
// params:
//   tolerance: {type: int, default: 3600, description: seconds of slack when matching a connection to a DNS answer}
//   since: {type: time, default: 0, description: only use seen at or after this time}
//   until: {type: time, default: 253402300799, description: only use seen at or before this time}
//   limit: {type: int, default: 10000, description: at most this many rows}
// columns: [host, service, process, channel, first_seen, last_seen, count, domains]
// references:
//   - https://attack.mitre.org/techniques/T1102/
//   - https://attack.mitre.org/techniques/T1059/001/
MATCH (h:Host)-[q:QUERIED]->(d:Domain)-[:OPERATED_BY]->(w:WebService)
WHERE size(w.abuse) > 0 AND size(q.processes) > 0 AND q.last_seen >= $since AND q.first_seen <= $until
UNWIND q.processes AS process
WITH h.key AS host, w.key AS service, process, min(q.first_seen) AS first_seen, max(q.last_seen) AS last_seen,
     sum(q.count) AS count, collect(DISTINCT d.key) AS domains
RETURN host, service, process, 'dns' AS channel, first_seen, last_seen, count, domains
ORDER BY host, service, process
LIMIT $limit
UNION ALL
MATCH (h:Host)-[c:CONNECTED_TO]->(ip:IP)<-[a:RESOLVES_TO]-(d:Domain)-[:OPERATED_BY]->(w:WebService)
WHERE size(w.abuse) > 0 AND size(c.processes) > 0 AND c.last_seen >= $since AND c.first_seen <= $until
  AND a.first_seen <= c.last_seen + $tolerance AND c.first_seen <= a.last_seen + $tolerance
MATCH (h)-[q:QUERIED]->(d)
WHERE q.first_seen <= c.last_seen + $tolerance AND c.first_seen <= q.last_seen + $tolerance
WITH h, c, w, min(d.key) AS domain
UNWIND c.processes AS process
WITH h.key AS host, w.key AS service, process, min(c.first_seen) AS first_seen, max(c.last_seen) AS last_seen,
     sum(c.count) AS count, collect(DISTINCT domain) AS domains
RETURN host, service, process, 'flow' AS channel, first_seen, last_seen, count, domains
ORDER BY host, service, process
LIMIT $limit
