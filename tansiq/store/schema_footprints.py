"""Tables for the deconfliction registry: footprints and their grid cells (issue 6).

tansiq.store.schema imports this module so the tables join its metadata.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401

from tansiq.store.schema import metadata  # noqa: F401
