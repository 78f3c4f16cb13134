// id: blind-spots-hosts
// title: Per internal host, which telemetry the graph holds (DNS, HTTP/proxy, flows, TLS clients)
// description: >
//   A hunt can only clear a host it can see. For every Host: how many DNS (QUERIED),
//   HTTP/proxy (REQUESTED), flow (CONNECTED_TO) and TLS client (USED_CLIENT) edges it has in
//   the window and the span they cover. A zero is a blind spot: an exposure hunt saying
//   "nothing found" about that host means "not looked at".
// attack: []
// maturity: stable
// params:
//   since: {type: time, default: 0, description: only telemetry seen at or after this time}
//   until: {type: time, default: 253402300799, description: only telemetry seen at or before this time}
// columns: [host, dns, http, flow, tls, dns_first_seen, dns_last_seen, http_first_seen, http_last_seen, flow_first_seen, flow_last_seen, tls_first_seen, tls_last_seen]
MATCH (h:Host)
OPTIONAL MATCH (h)-[q:QUERIED]->(:Domain)
WHERE q.last_seen >= $since AND q.first_seen <= $until
WITH h, count(q) AS dns, min(q.first_seen) AS dns_first_seen, max(q.last_seen) AS dns_last_seen
OPTIONAL MATCH (h)-[r:REQUESTED]->(:URL)
WHERE r.last_seen >= $since AND r.first_seen <= $until
WITH h, dns, dns_first_seen, dns_last_seen, count(r) AS http, min(r.first_seen) AS http_first_seen,
     max(r.last_seen) AS http_last_seen
OPTIONAL MATCH (h)-[c:CONNECTED_TO]->(:IP)
WHERE c.last_seen >= $since AND c.first_seen <= $until
WITH h, dns, dns_first_seen, dns_last_seen, http, http_first_seen, http_last_seen, count(c) AS flow,
     min(c.first_seen) AS flow_first_seen, max(c.last_seen) AS flow_last_seen
OPTIONAL MATCH (h)-[t:USED_CLIENT]->(:Fingerprint)
WHERE t.last_seen >= $since AND t.first_seen <= $until
WITH h, dns, dns_first_seen, dns_last_seen, http, http_first_seen, http_last_seen, flow, flow_first_seen,
     flow_last_seen, count(t) AS tls, min(t.first_seen) AS tls_first_seen, max(t.last_seen) AS tls_last_seen
RETURN h.key AS host, dns, http, flow, tls, dns_first_seen, dns_last_seen, http_first_seen, http_last_seen,
       flow_first_seen, flow_last_seen, tls_first_seen, tls_last_seen
ORDER BY host
