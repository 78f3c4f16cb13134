// id: frontier
// title: Pivot frontier
// description: >-
//   Domains and IPs one edge away from an indicator that are not indicators themselves
//   (the IPs, name servers, mail hosts and co-located names the next pivot will cross).
// params:
//   kinds: {type: "list[str]", default: "Domain,IP", description: node labels to return}
// columns: [kind, key, sources]
MATCH (i)-[]-(n)
WHERE i.indicator = true AND n.kind IN $kinds AND (n.indicator IS NULL OR n.indicator = false)
RETURN DISTINCT n.kind AS kind, n.key AS key, n.sources AS sources
