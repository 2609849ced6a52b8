"""Reference geography shipped with tansiq, and where points fall in it.

`reference` loads the shipped COD boundaries, borders, disputed-territories list and gazetteer;
`locator` places coordinates in sub-districts, vectorised for bulk imports; `outline` measures
how far a point lies outside Iraq.
"""
