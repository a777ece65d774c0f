"""The files of a job's directory: written whole or not at all. No engine, no database: the job's
light processes (the print files' signer, ``service.batch.firmatore``) use them too."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["scrivi_atomico", "leggi_lavoro", "percorso_blocco", "nome_firmato", "blocchi_totali"]


def scrivi_atomico(percorso: Path, dati: bytes) -> None:
    tmp = percorso.with_name(f".{percorso.name}.{os.getpid()}.tmp")
    tmp.write_bytes(dati)
    os.replace(tmp, percorso)


def leggi_lavoro(cartella: Path) -> dict[str, Any]:
    return json.loads((cartella / "lavoro.json").read_text(encoding="utf-8"))


def percorso_blocco(cartella: Path, indice: int) -> Path:
    return cartella / "blocchi" / f"blocco-{indice:05d}.pdf"


def nome_firmato(nome: str) -> str:
    """``stampa-001.pdf`` → ``stampa-001.firmato.pdf``."""
    return nome[:-4] + ".firmato.pdf" if nome.endswith(".pdf") else nome + ".firmato.pdf"


def blocchi_totali(lavoro: Mapping[str, Any]) -> int:
    return math.ceil((lavoro["record_totali"] + lavoro.get("spostamento", 0)) / lavoro["record_per_blocco"])
