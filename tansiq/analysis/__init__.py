"""Spatial analysis for the joint centre: hotspots, next-month risk, coverage and the vacuum,
checkpoint placement, geocoding of text. Pure computation on numpy arrays and H3 cells; the
commands and the API read the inputs from the store and hand them in."""
