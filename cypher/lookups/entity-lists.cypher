// id: entity-lists
// title: What the reference data says about entities - warninglists, noise, web service, degree
// description: >
//   One row per Domain or IP among the keys: the warninglists
//   covering it (lists, list_meanings: MISP warninglists and local entries), its noise flag and
//   reason, the web service operating it (domains only), its degree and (domains) registered
//   domain. graphpivot exposure reads it to grade evidence, to pick expansion seeds and to tell a
//   dedicated pivot attribute from a hub (other attributes on the noise list are never crossed by expand).
// attack: []
// maturity: stable
// params:
//   keys: {type: "list[str]", required: true, description: canonical keys}
// columns: [kind, key, lists, list_meanings, noise, noise_reason, service, degree, registered_domain]
MATCH (n:Domain)
WHERE n.key IN $keys
OPTIONAL MATCH (n)-[:OPERATED_BY]->(w:WebService)
WITH n, coalesce(min(w.key), '') AS service
RETURN 'Domain' AS kind, n.key AS key, n.lists AS lists, n.list_meanings AS list_meanings,
       coalesce(n.noise, false) AS noise, n.noise_reason AS noise_reason, service, coalesce(n.degree, 0) AS degree,
       n.registered_domain AS registered_domain
ORDER BY key
UNION ALL
MATCH (n:IP)
WHERE n.key IN $keys
RETURN 'IP' AS kind, n.key AS key, n.lists AS lists, n.list_meanings AS list_meanings,
       coalesce(n.noise, false) AS noise, n.noise_reason AS noise_reason, '' AS service, coalesce(n.degree, 0) AS degree,
       '' AS registered_domain
ORDER BY key
