// Pivot value: on every attribute node, how many domains use it (its degree).
// Run after every load by graphpivot.maintenance; one statement per block.
// Certificates and fingerprints are often seen on bare IPs, so for them an IP
// that presents one counts as a user too; a certificate is also used by every
// name in its SAN list. A netblock or an ASN is used by the domains resolving
// into it.
MATCH (ip:IP) OPTIONAL MATCH (d:Domain)-[:RESOLVES_TO]->(ip) WITH ip, count(DISTINCT d) AS n SET ip.degree = n;
MATCH (ns:Domain) OPTIONAL MATCH (d:Domain)-[:NS]->(ns) WITH ns, count(DISTINCT d) AS n SET ns.degree = n;
MATCH (c:Certificate) OPTIONAL MATCH (c)-[:SERVES_CERT|SAN]-(u) WITH c, count(DISTINCT u) AS n SET c.degree = n;
MATCH (e:Email) OPTIONAL MATCH (d:Domain)-[:REGISTRANT|SOA_EMAIL]->(e) WITH e, count(DISTINCT d) AS n SET e.degree = n;
MATCH (f:Fingerprint) OPTIONAL MATCH (u)-[:HAS_FINGERPRINT]->(f) WITH f, count(DISTINCT u) AS n SET f.degree = n;
MATCH (b:Netblock) OPTIONAL MATCH (d:Domain)-[:RESOLVES_TO]->(:IP)-[:IN_NETBLOCK]->(b) WITH b, count(DISTINCT d) AS n SET b.degree = n;
MATCH (a:ASN) OPTIONAL MATCH (d:Domain)-[:RESOLVES_TO]->(:IP)-[:IN_NETBLOCK]->(:Netblock)-[:ANNOUNCED_BY]->(a) WITH a, count(DISTINCT d) AS n SET a.degree = n;
