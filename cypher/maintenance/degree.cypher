// Pivot value: how many domains use each shared-infrastructure attribute.
// Run after every load by graphpivot.maintenance; one statement per block.
MATCH (ip:IP) OPTIONAL MATCH (d:Domain)-[:RESOLVES_TO]->(ip) WITH ip, count(DISTINCT d) AS n SET ip.degree = n;
MATCH (ns:Domain) OPTIONAL MATCH (d:Domain)-[:NS]->(ns) WITH ns, count(DISTINCT d) AS n SET ns.degree = n;
MATCH (c:Certificate) OPTIONAL MATCH (d:Domain)-[:SERVES_CERT]->(c) WITH c, count(DISTINCT d) AS n SET c.degree = n;
MATCH (e:Email) OPTIONAL MATCH (d:Domain)-[:REGISTRANT|SOA_EMAIL]->(e) WITH e, count(DISTINCT d) AS n SET e.degree = n;
MATCH (f:Fingerprint) OPTIONAL MATCH (d:Domain)-[:HAS_FINGERPRINT]->(f) WITH f, count(DISTINCT d) AS n SET f.degree = n;
MATCH (b:Netblock) OPTIONAL MATCH (ip:IP)-[:IN_NETBLOCK]->(b) WITH b, count(DISTINCT ip) AS n SET b.degree = n;
MATCH (a:ASN) OPTIONAL MATCH (b:Netblock)-[:ANNOUNCED_BY]->(a) WITH a, count(DISTINCT b) AS n SET a.degree = n;
