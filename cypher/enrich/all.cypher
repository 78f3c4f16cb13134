// id: all
// title: Every domain and IP
// description: >
//   Every node of the given labels (for small graphs or a first full pass), except those only the
//   reference data put there (the web-service catalogue's and the noise list's own names: nothing
//   seen or reported them).
// params:
//   kinds: {type: "list[str]", default: "Domain,IP", description: node labels to return}
// columns: [kind, key]
MATCH (n)
WHERE n.kind IN $kinds
  AND coalesce(n.sources, ['']) <> ['webservices'] AND coalesce(n.sources, ['']) <> ['noise-list']
RETURN n.kind AS kind, n.key AS key
