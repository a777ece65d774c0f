"""CAIT desk records on SQLite and PostgreSQL: closure locks, gap-free ricevute under concurrent
sales, Portafoglio, migration/model parity. ``popola`` is also used by the service tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from archive.anagrafiche import Manutentore, ManutenzioneImpianto
from archive.cait_dichiarazioni import (
    chiudi_distinta,
    dichiarazioni_della_distinta,
    distinte,
    get_distinta,
    modifica_dichiarazione,
    registra_dichiarazione,
)
from archive.cait_ricevute import ricarica_portafoglio, saldo_portafoglio, vendi_etichette
from archive.cait_tabelle import Attore, ContatoreCait, Ricevuta, RigaRicevuta
from archive.catasto import crea_impianto
from archive.db import Base, session_scope
from archive.etichette import Autore, assegna_a_cait, genera_lotto
from domain.enti import get_ente
from domain.errors import Conflict, NotFound, RuleViolation
from domain.stagione import Stagione
from service.demo import semina

CLI = Attore("cli:test", "cli")
AUTORE = Autore("cli:test", "cli")
MIEI = ("cait_contatori", "cait_distinte", "cait_dichiarazioni", "cait_ricevute", "cait_ricevute_righe",
        "portafoglio_movimenti")


@dataclass
class Dati:
    rossi: int
    bianchi: int
    impianti: list[str]
    """Rossi's: Viadana IN (G), Viadana CT (F), Mantova IN (G, Comune di Mantova)."""
    etichette_g: list[str]
    etichette_f: list[str]


def popola(engine, *, etichette: int = 6) -> Dati:
    """Demo data + one impianto of the Comune di Mantova + etichette in the CAIT Mantova stock."""
    with session_scope(engine) as s:
        semina(s)
        rossi = s.scalar(select(Manutentore.id).where(Manutentore.username == "MA023456"))
        bianchi = s.scalar(select(Manutentore.id).where(Manutentore.username == "bianchicalore"))
        mantova = crea_impianto(s, istat="020030", tipologia="IN", indirizzo="Via Chiassi", civico="41", cap="46100",
                                potenza_focolare_totale_kw=Decimal("22.5"), responsabile_cognome_nome="Bellini Marco",
                                responsabile_cf="BLLMRC70A01E897X", responsabile_telefono="0376 220011")
        s.add(ManutenzioneImpianto(codice_impianto=mantova, manutentore_id=rossi))
        s.flush()
        impianti = sorted(s.scalars(select(ManutenzioneImpianto.codice_impianto)
                                    .where(ManutenzioneImpianto.manutentore_id == rossi)))
        ente = get_ente("provincia-mantova")
        g = genera_lotto(s, ente, "G", etichette, stagione=Stagione(2026), autore=AUTORE)
        f = genera_lotto(s, ente, "F", 2, stagione=Stagione(2026), fascia="F4", autore=AUTORE)
        assegna_a_cait(s, "CAIT-MN-01", g + f, ente_id=ente.id, autore=AUTORE)
    viadana_in = next(c for c in impianti if c.startswith("020066IN"))
    viadana_ct = next(c for c in impianti if c.startswith("020066CT"))
    return Dati(rossi, bianchi, [viadana_in, viadana_ct, mantova], g, f)


def consegna(engine, dati: Dati) -> int:
    """Rossi hands in three rapporti (two Enti) and the CAIT closes them: returns the distinta id."""
    with session_scope(engine) as s:
        for i, (codice, tipo) in enumerate(zip(dati.impianti, ("G", "F", "G"))):
            registra_dichiarazione(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, codice_impianto=codice,
                                   tipo=tipo, data_controllo=date(2026, 10, 5 + i),
                                   numero_etichetta=(dati.etichette_f if tipo == "F" else dati.etichette_g)[i],
                                   anomalie="Manca la firma del responsabile" if i == 1 else None)
        return chiudi_distinta(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, operatore="op.ferrari",
                               utente="cait.mantova", ora=datetime(2026, 10, 12, 8, 35, tzinfo=timezone.utc)).id


def test_migrazione_e_modelli_coincidono(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    nostri = [d for d in diff if any(f"'{t}'" in repr(d) or f"<{t}>" in repr(d) for t in MIEI)]
    assert nostri == []


def test_distinta_chiude_e_blocca_il_manutentore(engine) -> None:
    dati = popola(engine)
    distinta_id = consegna(engine, dati)
    manutentore = Attore("manutentore.rossi", "manutentore", manutentore_id=dati.rossi)
    with session_scope(engine) as s:
        d = get_distinta(s, distinta_id, CLI)
        assert d.numero == "CAIT-MN-01/2026/000001"
        righe = dichiarazioni_della_distinta(s, distinta_id)
        assert {r.stato for r in righe} == {"chiusa"} and len(righe) == 3
        bersaglio = next(r for r in righe if r.ente_id == "provincia-mantova").id
    for attore in (manutentore, Attore("cait.mantova", "cait", cait_id="CAIT-MN-01")):
        with session_scope(engine) as s, pytest.raises(Conflict, match="solo l'Ente competente") as exc:
            modifica_dichiarazione(s, bersaglio, attore, anomalie="corretto")
        assert "CAIT-MN-01/2026/000001" in exc.value.message
    with session_scope(engine) as s, pytest.raises(NotFound):  # another Ente: not even visible
        modifica_dichiarazione(s, bersaglio, Attore("ente.brescia", "ente", ente_id="comune-brescia"),
                               anomalie="x")
    with session_scope(engine) as s:
        d = modifica_dichiarazione(s, bersaglio, Attore("ente.mantova", "ente", ente_id="provincia-mantova"),
                                   anomalie="Rettificato dall'Ente")
        assert d.anomalie == "Rettificato dall'Ente" and d.modificata_da == "ente.mantova"


def test_aperta_modificabile_e_seconda_distinta_numerata(engine) -> None:
    dati = popola(engine)
    consegna(engine, dati)
    with session_scope(engine) as s:
        nuova = registra_dichiarazione(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi,
                                       codice_impianto=dati.impianti[0], tipo="G", data_controllo=date(2026, 11, 2))
        io = Attore("manutentore.rossi", "manutentore", manutentore_id=dati.rossi)
        assert modifica_dichiarazione(s, nuova.id, io, anomalie="nessuna").anomalie == "nessuna"
        d = chiudi_distinta(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, operatore="op.ferrari",
                            utente="cait.mantova", ora=datetime(2026, 11, 2, 9, tzinfo=timezone.utc))
        assert d.numero == "CAIT-MN-01/2026/000002"
        with pytest.raises(Conflict, match="già stata consegnata"):
            registra_dichiarazione(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi,
                                   codice_impianto=dati.impianti[0], tipo="G", data_controllo=date(2026, 11, 2))


def test_modello_incoerente_con_la_potenza(engine) -> None:
    dati = popola(engine)
    with session_scope(engine) as s, pytest.raises(RuleViolation, match="va dichiarato con l'Allegato G"):
        registra_dichiarazione(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, codice_impianto=dati.impianti[0],
                               tipo="F", data_controllo=date(2026, 10, 1))


def _vendi(engine, dati: Dati, numeri: list[str], esiti: list, errori: list) -> None:
    try:
        with session_scope(engine) as s:
            r = vendi_etichette(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, numeri=numeri,
                                operatore="Ferrari Giulia", autore=AUTORE)
            esiti.append((r.progressivo, r.totale))
    except Conflict as exc:
        errori.append(exc)


@pytest.mark.slow
def test_ricevute_senza_salti_con_vendite_concorrenti(engine) -> None:
    """24 threads sell at once; 8 of them ask for a number already sold and fail: the
    ricevute issued are exactly 1…16, one per successful sale, no gap, no duplicate."""
    dati = popola(engine, etichette=16)
    esiti: list = []
    errori: list = []
    richieste = [[n] for n in dati.etichette_g] + [[dati.etichette_g[i], dati.etichette_f[0]] for i in range(8)]
    threads = [threading.Thread(target=_vendi, args=(engine, dati, r, esiti, errori)) for r in richieste]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(esiti) + len(errori) == 24
    numeri = sorted(p for p, _ in esiti)
    assert numeri == list(range(1, len(esiti) + 1))
    with session_scope(engine) as s:
        emessi = sorted(s.scalars(select(Ricevuta.progressivo)))
        ultimo = s.scalar(select(ContatoreCait.ultimo).where(ContatoreCait.serie == "ricevuta"))
        venduti = s.scalars(select(RigaRicevuta.numero_etichetta)).all()
    assert emessi == numeri and ultimo == len(numeri)
    assert len(venduti) == len(set(venduti))


def test_portafoglio_insufficiente_non_consuma_numeri(engine) -> None:
    dati = popola(engine)
    with session_scope(engine) as s:
        r = ricarica_portafoglio(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, importo="10,00",
                                 operatore="Ferrari Giulia", utente="cli:test")
        assert (r.numero, r.totale) == ("CAIT-MN-01/RIC/" + str(r.anno) + "/000001", Decimal("10.00"))
    with pytest.raises(Conflict, match="Saldo del Portafoglio insufficiente"):
        with session_scope(engine) as s:
            vendi_etichette(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, numeri=dati.etichette_g[:2],
                            operatore="Ferrari Giulia", pagamento="portafoglio", autore=AUTORE)
    with session_scope(engine) as s:
        r = vendi_etichette(s, cait_id="CAIT-MN-01", manutentore_id=dati.rossi, numeri=dati.etichette_g[:1],
                            operatore="Ferrari Giulia", pagamento="portafoglio", autore=AUTORE)
        assert r.progressivo == 2 and r.totale == Decimal("9.00")
        assert saldo_portafoglio(s, dati.rossi) == Decimal("1.00")


def test_tenancy_ricevute_e_distinte(engine) -> None:
    dati = popola(engine)
    distinta_id = consegna(engine, dati)
    brescia = Attore("cait.brescia", "cait", cait_id="CAIT-BS-01")
    bianchi = Attore("manutentore.bianchi", "manutentore", manutentore_id=dati.bianchi)
    with session_scope(engine) as s:
        for attore in (brescia, bianchi):
            with pytest.raises(NotFound):
                get_distinta(s, distinta_id, attore)
            assert distinte(s, attore) == []
