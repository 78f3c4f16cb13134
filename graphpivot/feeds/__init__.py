"""Feeds graphpivot talks to over the network: TAXII 2.1 collections (pull and push)."""
