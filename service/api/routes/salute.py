"""Liveness/readiness."""

from fastapi import APIRouter
from sqlalchemy import text

from service.api.deps import SessionDep

router = APIRouter(tags=["salute"])


@router.get("/salute")
def salute(session: SessionDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"stato": "ok"}
