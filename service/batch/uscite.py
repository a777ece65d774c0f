"""A job's outputs: the print PDF(s) merged from its chunks, and the report of what was produced.

Split from ``service.batch.lavoro`` (which runs the job and re-exports :func:`unisci` and
:func:`uscite`): the merge after printing (split outputs, a resumed or distributed job) and the
report written once the outputs are signed (``rapporto.json``, ``rapporto.csv``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.errors import RuleViolation
from service.batch.blocchi import blocco_fatto
from service.batch.cartelle import blocchi_totali, leggi_lavoro, scrivi_atomico
from service.batch.tipi import tipo_lotto
from service.batch.unione import scrivi_unione

__all__ = ["uscite", "unisci", "unisci_blocchi", "righe_rapporto", "scrivi_rapporto"]


def uscite(cartella: Path) -> list[str]:
    """Every output of a finished job, relative to its directory: print files, signed copies,
    report, per-record PDFs (what a distributed merge publishes and the client fetches)."""
    rapporto = json.loads((cartella / "rapporto.json").read_text(encoding="utf-8"))
    nomi = [*rapporto["file"], *rapporto.get("firmati", []), "rapporto.json", "rapporto.csv"]
    for r in rapporto["record"]:
        nomi.extend(f"documenti/{r[k]}" for k in ("documento", "documento_firmato") if r.get(k))
    return nomi


def unisci(cartella: Path) -> dict[str, Any]:
    """Merge the chunks into the print PDF(s) and write the report (deterministic bytes)."""
    lavoro = leggi_lavoro(cartella)
    file, pagine, righe = unisci_blocchi(cartella, lavoro)
    return scrivi_rapporto(cartella, lavoro, righe, file, pagine)


def unisci_blocchi(cartella: Path, lavoro: Mapping[str, Any]) -> tuple[list[str], int, list[dict[str, Any]]]:
    """Merge the chunks into the print PDF(s): the files, their pages in all, the report's rows."""
    rapporti = []
    for i in range(blocchi_totali(lavoro)):
        r = blocco_fatto(cartella, i, lavoro["manifest_sha256"])
        if r is None:
            raise RuleViolation(f"Il blocco {i} del lavoro {lavoro['id']} non è stato stampato.", path=("lavoro",))
        rapporti.append(r)
    for vecchio in cartella.glob("stampa*.pdf"):
        vecchio.unlink()
    blocchi = [cartella / "blocchi" / f"blocco-{r['indice']:05d}.pdf" for r in rapporti]
    file_pagine = _uscite(cartella, lavoro, rapporti)
    file_di: dict[tuple[int, int], tuple[str, int]] = {}
    for nome, pagine in file_pagine:
        tmp = cartella / f".{nome}.{os.getpid()}.tmp"
        identita = "\0".join([lavoro["manifest_sha256"], nome, *(r["pdf_sha256"] for r in rapporti)]).encode()
        with tmp.open("wb") as f:
            scrivi_unione(f, blocchi, pagine, titolo=lavoro["titolo"], identita=identita)
        os.replace(tmp, cartella / nome)
        for numero, kp in enumerate(pagine, start=1):
            file_di[kp] = (nome, numero)
    righe = righe_rapporto(cartella, lavoro, rapporti, file_di)
    return [n for n, _ in file_pagine], sum(len(p) for _, p in file_pagine), righe


def _uscite(cartella: Path, lavoro: Mapping[str, Any], rapporti: list[dict[str, Any]]
            ) -> list[tuple[str, list[tuple[int, int]]]]:
    """Output files and their pages as (chunk position, page in the chunk), from the chunk reports."""
    tutte = [(k, p) for k, r in enumerate(rapporti) for p in range(r["pagine"])]
    if lavoro.get("dividi_per"):
        tipo = tipo_lotto(lavoro["tipo"])
        gruppi: dict[str, list[tuple[int, int]]] = {}
        with (cartella / "manifest.jsonl").open(encoding="utf-8") as f:
            chiavi = [tipo.gruppo(json.loads(riga), lavoro["dividi_per"]) for riga in f]
        for k, r in enumerate(rapporti):
            for v in r["record"]:
                gruppi.setdefault(chiavi[v["n"]], []).extend((k, v["pagina"] + j) for j in range(v["pagine"]))
        return [(f"stampa-{_nome(g)}.pdf", pag) for g, pag in gruppi.items()]
    ogni = lavoro.get("dividi_ogni")
    if ogni:
        return [(f"stampa-{i // ogni + 1:03d}.pdf", tutte[i:i + ogni]) for i in range(0, len(tutte), ogni)]
    return [("stampa.pdf", tutte)]


def _nome(gruppo: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in gruppo)[:60]


def righe_rapporto(cartella: Path, lavoro: Mapping[str, Any], rapporti: list[dict[str, Any]],
                    file_di: Mapping[tuple[int, int], tuple[str, int]]) -> list[dict[str, Any]]:
    righe = []
    for k, r in enumerate(rapporti):
        for v in r["record"]:
            pos = [file_di[(k, v["pagina"] + j)] for j in range(v["pagine"]) if (k, v["pagina"] + j) in file_di]
            righe.append({"n": v["n"] + 1, "chiave": v["chiave"], "stato": v["stato"],
                          "file": pos[0][0] if pos else "", "pagine": f"{pos[0][1]}-{pos[-1][1]}" if pos else "",
                          "impaginazione_completa": v["impaginazione_completa"], "documento": v.get("documento", ""),
                          "motivo": v["motivo"], **({"documento_id": v["documento_id"]} if v.get("documento_id") else {})})
    for s in json.loads((cartella / "scarti.json").read_text(encoding="utf-8")):
        righe.append({"n": s["riga"], "chiave": s["chiave"], "stato": "scartato", "file": "", "pagine": "",
                      "impaginazione_completa": False, "documento": "", "motivo": s["motivo"]})
    return righe


def scrivi_rapporto(cartella: Path, lavoro: Mapping[str, Any], righe: list[dict[str, Any]],
                     file: list[str], pagine: int, firmati: list[str] | None = None) -> dict[str, Any]:
    sintesi = {
        "lavoro": lavoro["id"], "tipo": lavoro["tipo"], "manifest_sha256": lavoro["manifest_sha256"],
        "record_totali": lavoro["record_totali"],
        "prodotti": sum(1 for r in righe if r["stato"] == "prodotto"),
        "falliti": sum(1 for r in righe if r["stato"] == "fallito"),
        "scartati": sum(1 for r in righe if r["stato"] == "scartato"),
        "impaginazioni_complete": sum(1 for r in righe if r["impaginazione_completa"]),
        "pagine": pagine,
        "file": file,
        "firmati": firmati or [],
        "emittente": (lavoro.get("firma") or {}).get("stampa"),
        "archiviati": sum(1 for r in righe if r.get("archivio")),
        "sigillati": sum(1 for r in righe if r.get("documento_id")),
        "nota": ("Modulo senza modello di stampa variabile: ogni record è impaginato per intero da WeasyPrint."
                 if lavoro["tipo"].startswith("moduli:") and tipo_lotto(lavoro["tipo"]).template is None else ""),
    }
    scrivi_atomico(cartella / "rapporto.json",
                   json.dumps({**sintesi, "record": righe}, ensure_ascii=False, indent=1).encode())
    buf = io.StringIO()
    campi = list(dict.fromkeys(k for r in righe for k in r)) or ["n"]
    w = csv.DictWriter(buf, fieldnames=campi, delimiter=";", restval="")
    w.writeheader()
    w.writerows(righe)
    scrivi_atomico(cartella / "rapporto.csv", buf.getvalue().encode("utf-8"))
    return sintesi
