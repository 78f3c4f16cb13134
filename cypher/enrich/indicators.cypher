// id: indicators
// title: Indicator domains and IPs
// description: Nodes that intel marked as indicators (their own infrastructure; resolving them is active).
// params:
//   kinds: {type: "list[str]", default: "Domain,IP", description: node labels to return}
// columns: [kind, key, sources]
MATCH (n)
WHERE n.indicator = true AND n.kind IN $kinds
RETURN n.kind AS kind, n.key AS key, n.sources AS sources
