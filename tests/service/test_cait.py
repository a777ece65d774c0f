"""CAIT documents from the database: pdftotext content and totals, QR, lettere per Ente, rendiconto
equal to the ricevute of the month, pre-filled G whose dati.json matches the catasto record."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from archive.cait_dichiarazioni import registra_dichiarazione
from archive.cait_ricevute import ricarica_portafoglio, vendi_etichette
from archive.cait_tabelle import Attore
from archive.catasto import ImpiantoCatasto
from archive.db import session_scope
from renderers.pdf import read_attachment
from service.cait_cassa import rendiconto_cait, stampa_ricevuta
from service.cait_consegne import lettere_trasmissione, stampa_distinta
from service.cait_precompilati import giro, precompilato
from tests.archive.test_cait_documenti import AUTORE, CLI, consegna, popola


def _testo(pdf: bytes, tmp_path, nome: str = "x.pdf") -> str:
    path = tmp_path / nome
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_distinta_due_copie_totali_e_qr(engine, tmp_path) -> None:
    dati = popola(engine)
    distinta_id = consegna(engine, dati)
    with session_scope(engine) as s:
        p = stampa_distinta(s, distinta_id, CLI)
    testo = _testo(p.pdf, tmp_path, "d.pdf")
    assert "Copia per il manutentore" in testo and "Copia per il CAIT" in testo
    assert testo.count("N. CAIT-MN-01/2026/000001") == 2
    assert "12/10/2026 ore 10:35" in testo  # 08:35 UTC printed in Italian local time
    for codice in dati.impianti:
        assert codice in testo
    assert re.search(r"Totale dichiarazioni consegnate e convalidate\s+3", testo)
    assert re.search(r"Allegato F \(≥ 35 kW\)\s+1", testo)
    assert "Manca la firma del responsabile" in testo and "Ferrari Giulia" in testo
    png = tmp_path / "d1"
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", str(tmp_path / "d.pdf"), str(png)], check=True)
    qr = subprocess.run(["zbarimg", "-q", "--raw", str(png) + "-1.png"], capture_output=True, text=True).stdout
    assert qr.strip().startswith("CURIT-DISTINTA|CAIT-MN-01/2026/000001|01876540202|3|2026-10-12T08:35Z")
    record = json.loads(read_attachment(p.pdf))
    assert record["tipo"] == "distinta-ricevuta" and len(record["dati"]["righe"]) == 3


def test_lettere_una_per_ente(engine, tmp_path) -> None:
    dati = popola(engine)
    distinta_id = consegna(engine, dati)
    with session_scope(engine) as s:
        lettere = lettere_trasmissione(s, distinta_id, CLI, oggi=date(2026, 10, 12))
    assert sorted(p.meta.ente for p in lettere) == ["comune-mantova", "provincia-mantova"]
    provincia = next(p for p in lettere if p.meta.ente == "provincia-mantova")
    testo = _testo(provincia.pdf, tmp_path)
    assert "Provincia di Mantova" in testo and "Totale rapporti allegati: 2" in testo
    assert "timbro di ricevuta e data del ricevimento".upper() in testo.upper()
    assert "Copia da restituire al manutentore con timbro di ricevuta" in testo
    assert "Verdi Anna" in testo and "Bellini Marco" not in testo


def _euro(testo: str) -> Decimal:
    return Decimal(testo.replace(".", "").replace(",", ".").replace("€", "").strip())


@pytest.mark.slow
def test_rendiconto_uguale_alla_somma_delle_ricevute_del_mese(engine, tmp_path) -> None:
    dati = popola(engine)
    ottobre = [datetime(2026, 10, 1, 8, tzinfo=timezone.utc), datetime(2026, 10, 31, 22, 30, tzinfo=timezone.utc)]
    with session_scope(engine) as s:
        vendite = [
            (dati.etichette_g[:2], datetime(2026, 9, 30, 21, 59, tzinfo=timezone.utc)),  # 30/09 23:59 in Italia
            (dati.etichette_g[2:4] + dati.etichette_f[:1], ottobre[0]),
            (dati.etichette_g[4:5], datetime(2026, 10, 31, 22, 59, tzinfo=timezone.utc)),  # 31/10 23:59 (CET)
            (dati.etichette_g[5:6] + dati.etichette_f[1:2], datetime(2026, 10, 31, 23, 1, tzinfo=timezone.utc)),
        ]
        ricevute = [vendi_etichette(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, numeri=n,
                                    operatore="Ferrari Giulia", autore=AUTORE, ora=ora) for n, ora in vendite]
        ricarica_portafoglio(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, importo="50,00",
                             operatore="Ferrari Giulia", utente="t", ora=ottobre[1])
        atteso = ricevute[1].totale + ricevute[2].totale
        p = rendiconto_cait(s, "CAIT-MN-01", "2026-10", CLI, oggi=date(2026, 11, 3))
    testo = _testo(p.pdf, tmp_path)
    totale = re.search(r"Totale generale\s+(\d+)\s+([\d.,]+ €)\s+([\d.,]+ €)\s+([\d.,]+ €)", testo)
    assert totale is not None
    assert int(totale.group(1)) == 4
    assert _euro(totale.group(4)) == atteso == Decimal("112.00")
    assert _euro(totale.group(2)) + _euro(totale.group(3)) == atteso
    assert "con 2 ricevute" in testo
    righe = json.loads(read_attachment(p.pdf))["dati"]["righe"]
    assert sorted({r["ricevuta"] for r in righe}) == [ricevute[1].numero, ricevute[2].numero]


def test_precompilato_g_dati_json_dal_catasto(engine, tmp_path) -> None:
    dati = popola(engine)
    codice = dati.impianti[2]  # Mantova, 22,5 kW: Allegato G
    io = Attore("manutentore.rossi", "manutentore", manutentore_id=dati.rossi)
    with session_scope(engine) as s:
        p = precompilato(s, codice, io, oggi=date(2026, 10, 1), data_controllo=date(2026, 10, 20))
        imp = s.get(ImpiantoCatasto, codice)
        record = json.loads(read_attachment(p.pdf))
        assert record["tipo"] == "allegato-g-precompilato"
        g = record["dati"]
        assert g["codice_catasto"] == imp.codice_impianto
        assert (g["comune"], g["provincia_sigla"], g["indirizzo"], g["civico"], g["cap"]) == (
            imp.comune, imp.provincia, imp.indirizzo, imp.civico, imp.cap)
        assert Decimal(g["pot_focolare_kw"]) == imp.potenza_focolare_totale_kw
        assert (g["responsabile_nome"], g["responsabile_tel"]) == (imp.responsabile_cognome_nome,
                                                                   imp.responsabile_telefono)
        assert [c["stagione"] for c in g["consumi"]] == ["2024/25", "2025/26"]
        assert "misura" not in g and g["tecnico"]["ragione_sociale"] == "Rossi Termoidraulica S.n.c."
    testo = _testo(p.pdf, tmp_path)
    # the title takes two lines beside the header's corner kept blank for the contrassegno
    assert "RAPPORTO DI CONTROLLO" in testo and "TECNICO (Allegato G)" in testo
    assert codice in testo and "20/10/2026" in testo


def test_precompilato_usa_l_ultima_dichiarazione_e_giro_unico(engine) -> None:
    from service.documents.controllo_tecnico import esempio_f

    dati = popola(engine)
    io = Attore("manutentore.rossi", "manutentore", manutentore_id=dati.rossi)
    with session_scope(engine) as s:
        registra_dichiarazione(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, codice_impianto=dati.impianti[1],
                               tipo="F", data_controllo=date(2025, 11, 5), dati=esempio_f())
        p = giro(s, dati.impianti, io, oggi=date(2026, 10, 1), data_controllo=date(2026, 10, 21))
    record = json.loads(read_attachment(p.pdf))
    docs = record["documenti"]
    assert [d["codice_impianto"] for d in docs] == dati.impianti
    assert [d["tipo"] for d in docs] == ["allegato-g-precompilato", "allegato-f-precompilato", "allegato-g-precompilato"]
    f = docs[1]["dati"]
    assert [g["generatore"]["matricola"] for g in f["generatori"]] == ["7543109600217", "RTQ185-0931-0457"]
    assert f["consumi"][0] == {"stagione": "2024/25", "valore": "36920", "unita": "m3"}
    import pikepdf, io as _io
    with pikepdf.open(_io.BytesIO(p.pdf)) as pdf:
        assert len(pdf.pages) == sum(d["pagine"] for d in docs)
        assert docs[2]["pagina_iniziale"] == 1 + docs[0]["pagine"] + docs[1]["pagine"]


def test_precompilato_solo_per_impianti_mantenuti(engine) -> None:
    from domain.errors import NotFound

    dati = popola(engine)
    bianchi = Attore("manutentore.bianchi", "manutentore", manutentore_id=dati.bianchi)
    with session_scope(engine) as s, pytest.raises(NotFound, match="non è tra quelli mantenuti"):
        precompilato(s, dati.impianti[0], bianchi, oggi=date(2026, 10, 1))


def test_ricevuta_vendita_importi_italiani(engine, tmp_path) -> None:
    dati = popola(engine)
    with session_scope(engine) as s:
        r = vendi_etichette(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi,
                            numeri=dati.etichette_g[:2] + dati.etichette_f[:1], operatore="Ferrari Giulia",
                            pagamento="POS", autore=AUTORE)
        testo = _testo(stampa_ricevuta(s, r.id, CLI).pdf, tmp_path)
    assert r.totale == Decimal("103.00")
    assert re.search(r"Totale \(3 etichette\)\s+91,00 €\s+12,00 €\s+103,00 €", testo)
    assert "Potenza 116,4 – 350 kW" in testo and "con carta (POS)" in testo
