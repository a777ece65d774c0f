"""Names where ids would stand: Enti (registry), CAIT (database), document types (registry).

Templates call ``nomi.ente(id)``, ``nomi.cait(id)``, ``nomi.tipo(codice)``; an unknown id is
shown as it is (never an error on a page)."""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Any

_TIPI_EXTRA = {
    "targhe": "Targhe degli impianti",
    "avviso-ispezione": "Avviso di ispezione",
    "lettera-esito": "Lettera di esito dell'ispezione",
    "etichette": "Fogli di etichette di validazione",
}


@lru_cache(maxsize=1)
def _tipi() -> dict[str, str]:
    from service.documents import ALL

    out = {t.code: t.title.split(" - ")[0] if t.title.startswith("Allegato") else t.title for t in ALL}
    for k, v in _TIPI_EXTRA.items():
        out.setdefault(k, v)
    return out


def titolo_tipo(codice: str | None) -> str:
    if not codice:
        return "—"
    return _tipi().get(codice, codice)


def titolo_tipo_lungo(codice: str | None) -> str:
    from service.documents import ALL

    for t in ALL:
        if t.code == codice:
            return t.title
    return titolo_tipo(codice)


def nome_ente(ente_id: str | None) -> str:
    if not ente_id:
        return "—"
    from domain.enti import registro_enti
    from domain.errors import NotFound

    try:
        ente = registro_enti().get(ente_id)
    except NotFound:
        return ente_id
    return f"{ente.tipo} di {ente.nome}" if ente.tipo in ("Comune", "Provincia") else ente.nome


_cait_cache: dict[str, tuple[float, dict[str, str]]] = {}
_lock = threading.Lock()
_TTL_S = 60.0


def _cait_nomi(settings: Any, sessione: Any = None) -> dict[str, str]:
    chiave = getattr(settings, "db_url", "")
    with _lock:
        voce = _cait_cache.get(chiave)
        if voce is not None and time.monotonic() - voce[0] < _TTL_S:
            return voce[1]
    nomi: dict[str, str] = {}
    try:
        from sqlalchemy import select

        from archive.anagrafiche import Cait
        from service.api.deps import state_for

        if sessione is not None:  # the page's own session (SQLite: a second one may find the file locked)
            nomi = {c.id: c.denominazione for c in sessione.scalars(select(Cait))}
        else:
            with state_for(settings).sessions() as session:
                nomi = {c.id: c.denominazione for c in session.scalars(select(Cait))}
    except Exception:  # noqa: BLE001 - the id is shown instead (not cached: next page retries)
        return {}
    with _lock:
        _cait_cache[chiave] = (time.monotonic(), nomi)
    return nomi


class Nomi:
    """Bound to the app's settings for one page."""

    def __init__(self, settings: Any, sessione: Any = None) -> None:
        self._settings, self._sessione = settings, sessione

    def ente(self, ente_id: str | None) -> str:
        return nome_ente(ente_id)

    def cait(self, cait_id: str | None) -> str:
        if not cait_id:
            return "—"
        if self._settings is None:
            return cait_id
        return _cait_nomi(self._settings, self._sessione).get(cait_id, cait_id)

    def tipo(self, codice: str | None) -> str:
        return titolo_tipo(codice)

    def detentore(self, tipo: str | None, ident: str | None) -> str:
        if tipo != "cait":
            return self.ente(ident)
        nome = self.cait(ident)
        return nome if nome.upper().startswith("CAIT") else f"CAIT {nome}"

    def destinatari(self) -> list[tuple[str, str]]:
        """Every CAIT and Ente as ``(tipo:id, name)``, for custody transfers."""
        from domain.enti import registro_enti

        cait = _cait_nomi(self._settings, self._sessione) if self._settings is not None else {}
        out = [(f"cait:{k}", self.detentore("cait", k)) for k, _ in sorted(cait.items(), key=lambda kv: kv[1])]
        return out + [(f"ente:{e.id}", nome_ente(e.id)) for e in sorted(registro_enti(), key=lambda e: e.nome)]
