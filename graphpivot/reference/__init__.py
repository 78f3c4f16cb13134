"""Reference data in the graph: installing the packaged lists and spreading their flags over the nodes they cover."""
