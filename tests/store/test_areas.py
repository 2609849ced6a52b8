from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tansiq.domain.areas import AreaLevel
from tansiq.errors import InvalidInput
from tansiq.geo.reference import areas
from tansiq.store.areas import list_areas, load_areas, require_area
from tansiq.store.database import reading, writing


def test_pcodes_nest_by_prefix_so_one_index_serves_every_level() -> None:
    # store.incidents filters districts and governorates as a prefix range on adm3_pcode.
    for area in areas():
        if area.parent_pcode is not None:
            assert area.pcode.startswith(area.parent_pcode), area


def test_loading_the_areas_twice_keeps_one_copy(engine: Engine) -> None:
    with writing(engine) as conn:
        assert load_areas(conn, areas()) == 413
    with reading(engine) as conn:
        assert len(list_areas(conn)) == 413
        assert len(list_areas(conn, AreaLevel.GOVERNORATE)) == 18


def test_the_disputed_units_are_unamis_fourteen_districts_and_mandali(engine: Engine) -> None:
    with reading(engine) as conn:
        districts = list_areas(conn, AreaLevel.DISTRICT, disputed_only=True)
        subdistricts = list_areas(conn, AreaLevel.SUBDISTRICT, disputed_only=True)
    assert len(districts) == 14
    assert "IQG18Q05" not in {a.pcode for a in districts}  # Badra: a KRG claim only
    mandali = [a for a in subdistricts if a.pcode == "IQG10Q03N01"]
    assert mandali
    assert mandali[0].name_ar == "مندلي"


def test_an_unknown_area_is_invalid_input(engine: Engine) -> None:
    with reading(engine) as conn:
        require_area(conn, "IQG13Q04")
        require_area(conn, None)
        with pytest.raises(InvalidInput, match="unknown area"):
            require_area(conn, "IQG13Q99")
