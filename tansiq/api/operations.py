"""Operations routes (issue 6)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tansiq.api.auth import caller

router = APIRouter(tags=["operations"], dependencies=[Depends(caller)])
