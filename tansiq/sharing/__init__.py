"""Sharing with partner nodes: the STIX 2.1 objects tansiq sends and receives."""
