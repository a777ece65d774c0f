"""Stock of etichette di validazione: the state machine, every refusal, the history, and races
(each test runs on SQLite and on PostgreSQL through the ``engine`` fixture)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from archive.anagrafiche import Cait, CaitEnte, Manutentore
from archive.db import Base, session_scope
from archive.etichette import (
    Ambito,
    Autore,
    ContatoreEtichette,
    Etichetta,
    LottoEtichette,
    MovimentoEtichetta,
    annulla,
    assegna_a_cait,
    elenco,
    genera_lotto,
    numeri_del_lotto,
    rendiconto,
    stato,
    vendi,
    vincola,
)
from domain.enti import get_ente
from domain.errors import Conflict, NotFound, RuleViolation
from domain.etichetta import numero_etichetta, parse_numero_etichetta
from domain.stagione import Stagione

MANTOVA = "provincia-mantova"
BRESCIA = "comune-brescia"
STAGIONE = Stagione(2026)
ENTE = Autore("ente.mantova", "ente")
CAIT = Autore("cait.mantova", "cait")
IMPIANTO = "020066CT0000001"
IMPIANTO_2 = "020066IN0000002"
CONTROLLO = date(2026, 10, 14)


@pytest.fixture
def anagrafiche(engine) -> dict[str, int]:
    """Two CAIT each with a convention with one Ente, and two manutentori."""
    with session_scope(engine) as s:
        s.add_all([Cait(id="CAIT-MN-01", denominazione="CAIT Mantova"), Cait(id="CAIT-BS-01", denominazione="CAIT Brescia")])
        s.flush()
        s.add_all([CaitEnte(cait_id="CAIT-MN-01", ente_id=MANTOVA), CaitEnte(cait_id="CAIT-BS-01", ente_id=BRESCIA)])
        rossi = Manutentore(ragione_sociale="Rossi Termoidraulica S.n.c.", partita_iva="01876540207",
                            username="MA023456", cait_id="CAIT-MN-01", registrato_il=date(2012, 3, 1))
        bianchi = Manutentore(ragione_sociale="Bianchi Calore S.r.l.", partita_iva="03456780171",
                              username="bianchicalore", cait_id="CAIT-BS-01", registrato_il=date(2018, 5, 9))
        s.add_all([rossi, bianchi])
        s.flush()
        return {"rossi": rossi.id, "bianchi": bianchi.id}


def _genera(engine, n: int = 5, *, ente: str = MANTOVA, tipo: str = "G", fascia: str | None = None) -> list[str]:
    with session_scope(engine) as s:
        return genera_lotto(s, get_ente(ente), tipo, n, stagione=STAGIONE, fascia=fascia, autore=ENTE)


def _assegna(engine, numeri: list[str], cait: str = "CAIT-MN-01", ente: str = MANTOVA) -> list[str]:
    with session_scope(engine) as s:
        return assegna_a_cait(s, cait, numeri, ente_id=ente, autore=ENTE)


def _venduta(engine, anagrafiche, *, tipo: str = "G", fascia: str | None = None) -> str:
    (numero,) = _genera(engine, 1, tipo=tipo, fascia=fascia)
    _assegna(engine, [numero])
    with session_scope(engine) as s:
        vendi(s, numero, "CAIT-MN-01", anagrafiche["rossi"], autore=CAIT)
    return numero


def _stato(engine, numero: str, ambito: Ambito = Ambito()) -> dict:
    with session_scope(engine) as s:
        return stato(s, numero, ambito=ambito)


def _movimenti(engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(MovimentoEtichetta))


# --------------------------------------------------------------------------- generation


def test_genera_allocates_consecutive_checked_numbers_per_series(engine, anagrafiche) -> None:
    primo = _genera(engine, 3)
    secondo = _genera(engine, 2)
    effe = _genera(engine, 2, tipo="F", fascia="F3")
    parsed = [parse_numero_etichetta(n) for n in primo + secondo]
    assert [p.progressivo for p in parsed] == [1, 2, 3, 4, 5]
    assert {(p.prefisso, p.stagione, p.tipo, p.fascia) for p in parsed} == {("MN000", 2026, "G", "F1")}
    assert [parse_numero_etichetta(n).progressivo for n in effe] == [1, 2]  # F has its own series
    assert parse_numero_etichetta(effe[0]).fascia == "F3"
    with session_scope(engine) as s:
        lotti = s.scalars(select(LottoEtichette).order_by(LottoEtichette.id)).all()
        assert [(l.tipo, l.fascia, l.dal, l.al, l.primo, l.ultimo) for l in lotti] == [
            ("G", "F1", 1, 3, primo[0], primo[-1]), ("G", "F1", 4, 5, secondo[0], secondo[-1]),
            ("F", "F3", 1, 2, effe[0], effe[-1])]
        assert numeri_del_lotto(s, lotti[1].id) == secondo
        assert s.scalar(select(func.count()).select_from(Etichetta).where(Etichetta.stato == "generata")) == 7
    st = _stato(engine, secondo[0])
    assert (st["stato"], st["ente_id"], st["stagione"], st["fascia"]["codice"]) == ("generata", MANTOVA, "2026/2027", "F1")
    assert [(m["evento"], m["stato_da"], m["utente"]) for m in st["movimenti"]] == [("generata", None, "ente.mantova")]


def test_a_comune_ente_has_its_own_prefix(engine, anagrafiche) -> None:
    (numero,) = _genera(engine, 1, ente=BRESCIA)
    assert parse_numero_etichetta(numero).prefisso == "BS029"


def test_genera_refuses_bad_requests(engine, anagrafiche) -> None:
    casi = [("X", None, 1, "tipo"), ("G", "F3", 1, "fascia"), ("F", None, 1, "fascia"), ("F", "F1", 1, "fascia"),
            ("G", None, 0, "quantita"), ("G", None, 100_001, "quantita")]
    for tipo, fascia, quantita, campo in casi:
        with pytest.raises(RuleViolation) as err, session_scope(engine) as s:
            genera_lotto(s, get_ente(MANTOVA), tipo, quantita, stagione=STAGIONE, fascia=fascia, autore=ENTE)
        assert err.value.path == (campo,), (tipo, fascia, quantita)
    assert _movimenti(engine) == 0


def test_counter_exhaustion_is_refused_and_rolled_back(engine, anagrafiche) -> None:
    with session_scope(engine) as s:
        s.add(ContatoreEtichette(ente_id=MANTOVA, stagione=STAGIONE.label, tipo="G", ultimo=999_998))
    with pytest.raises(Conflict, match="Numerazione esaurita"), session_scope(engine) as s:
        genera_lotto(s, get_ente(MANTOVA), "G", 3, stagione=STAGIONE, autore=ENTE)
    (ultimo,) = _genera(engine, 1)
    assert parse_numero_etichetta(ultimo).progressivo == 999_999


# --------------------------------------------------------------------------- the whole lifecycle


def test_lifecycle_records_every_transition(engine, anagrafiche) -> None:
    numeri = _genera(engine, 4)
    with session_scope(engine) as s:
        assert assegna_a_cait(s, "CAIT-MN-01", dal=numeri[0], al=numeri[2], ente_id=MANTOVA, autore=ENTE) == numeri[:3]
    with session_scope(engine) as s:
        v = vendi(s, numeri[1], "CAIT-MN-01", anagrafiche["rossi"], autore=CAIT)
    assert (v.fascia, v.contributo_regionale, v.quota_ente, v.totale) == ("F1", Decimal("1.00"), Decimal("8.00"),
                                                                          Decimal("9.00"))
    with session_scope(engine) as s:
        out = vincola(s, parse_numero_etichetta(numeri[1]).leggibile.lower(), IMPIANTO, "g", CONTROLLO,
                      autore=Autore("manutentore.rossi", "manutentore"),
                      ambito=Ambito(manutentore_id=anagrafiche["rossi"]), potenza_focolare_kw=Decimal("24.1"))
    assert out["stato"] == "vincolata"
    assert out["dichiarazione"] == {"codice_impianto": IMPIANTO, "tipo": "G", "data_controllo": "2026-10-14",
                                    "vincolata_il": out["dichiarazione"]["vincolata_il"]}
    assert out["prezzo"] == {"contributo_regionale": "1.00", "quota_ente": "8.00", "totale": "9.00",
                             "registrato_alla_vendita": True}
    storia = [(m["evento"], m["stato_da"], m["stato_a"], m["utente"], m["ruolo"]) for m in out["movimenti"]]
    assert storia == [
        ("generata", None, "generata", "ente.mantova", "ente"),
        ("assegnata", "generata", "assegnata", "ente.mantova", "ente"),
        ("venduta", "assegnata", "venduta", "cait.mantova", "cait"),
        ("vincolata", "venduta", "vincolata", "manutentore.rossi", "manutentore"),
    ]
    assert out["movimenti"][1]["dettagli"] == {"cait_id": "CAIT-MN-01"}
    assert out["movimenti"][2]["dettagli"]["totale"] == "9.00"
    assert all(m["istante"].endswith("+00:00") for m in out["movimenti"])
    assert _stato(engine, numeri[3])["stato"] == "generata"  # outside the assigned range
    with session_scope(engine) as s:
        annullata = annulla(s, numeri[0], "Matrice danneggiata in stampa", autore=ENTE, ambito=Ambito(ente_id=MANTOVA))
    assert (annullata["stato"], annullata["annullamento"]["motivo"]) == ("annullata", "Matrice danneggiata in stampa")
    assert [m["stato_da"] for m in annullata["movimenti"]] == [None, "generata", "assegnata"]


def test_an_f_etichetta_is_priced_by_its_band(engine, anagrafiche) -> None:
    numero = _venduta(engine, anagrafiche, tipo="F", fascia="F4")
    st = _stato(engine, numero)
    assert (st["tipo"], st["fascia"]["codice"]) == ("F", "F4")
    assert st["prezzo"]["totale"] == "85.00"  # 10,00 regionale (S1 L1651-1662) + 75,00 Provincia di Mantova
    with session_scope(engine) as s:
        vincola(s, numero, IMPIANTO, "F", CONTROLLO, autore=CAIT, potenza_focolare_kw=Decimal("200"))


# --------------------------------------------------------------------------- refusals


def test_number_outside_every_generated_range(engine, anagrafiche) -> None:
    _genera(engine, 2)
    estraneo = numero_etichetta("MN000", 2026, "G", 500).compatto  # well-formed, never generated
    for azione in (lambda s: stato(s, estraneo), lambda s: vendi(s, estraneo, "CAIT-MN-01", anagrafiche["rossi"], autore=CAIT),
                   lambda s: vincola(s, estraneo, IMPIANTO, "G", CONTROLLO, autore=CAIT),
                   lambda s: annulla(s, estraneo, "smarrita", autore=ENTE)):
        with pytest.raises(NotFound, match="non appartiene a nessun lotto") as err, session_scope(engine) as s:
            azione(s)
        assert err.value.path == ("numero",)


def test_mistyped_number_is_caught_by_the_check_character(engine, anagrafiche) -> None:
    (numero,) = _genera(engine, 1)
    sbagliato = numero[:-3] + ("9" if numero[-3] != "9" else "8") + numero[-2:]
    with pytest.raises(RuleViolation, match="carattere di controllo") as err, session_scope(engine) as s:
        stato(s, sbagliato)
    assert err.value.path == ("numero",)
    with pytest.raises(RuleViolation) as err, session_scope(engine) as s:
        assegna_a_cait(s, "CAIT-MN-01", [numero, sbagliato], ente_id=MANTOVA, autore=ENTE)
    assert err.value.path == ("numeri", 1)
    assert _stato(engine, numero)["stato"] == "generata"


def test_a_bound_etichetta_cannot_be_reused(engine, anagrafiche) -> None:
    numero = _venduta(engine, anagrafiche)
    with session_scope(engine) as s:
        vincola(s, numero, IMPIANTO, "G", CONTROLLO, autore=CAIT)
    prima = _movimenti(engine)
    with pytest.raises(Conflict, match="già vincolata .* 020066CT0000001 del 14/10/2026"), session_scope(engine) as s:
        vincola(s, numero, IMPIANTO_2, "G", CONTROLLO, autore=CAIT)
    with pytest.raises(Conflict, match="già vincolata"), session_scope(engine) as s:
        vendi(s, numero, "CAIT-MN-01", anagrafiche["rossi"], autore=CAIT)
    with pytest.raises(Conflict, match="già vincolata"), session_scope(engine) as s:
        annulla(s, numero, "errore", autore=ENTE)
    assert _movimenti(engine) == prima


def test_one_dichiarazione_takes_one_etichetta(engine, anagrafiche) -> None:
    primo, secondo = _venduta(engine, anagrafiche), _venduta(engine, anagrafiche)
    with session_scope(engine) as s:
        vincola(s, primo, IMPIANTO, "G", CONTROLLO, autore=CAIT)
    with pytest.raises(Conflict, match=f"già validata dall'etichetta {primo}") as err, session_scope(engine) as s:
        vincola(s, secondo, IMPIANTO, "G", CONTROLLO, autore=CAIT)
    assert err.value.path == ("codice_impianto",)
    with session_scope(engine) as s:  # same impianto, another controllo: a new dichiarazione
        vincola(s, secondo, IMPIANTO, "G", date(2027, 10, 2), autore=CAIT)


@pytest.mark.parametrize(("tipo", "fascia", "dichiarazione"), [("G", None, "F"), ("F", "F2", "G")])
def test_g_and_f_do_not_mix(engine, anagrafiche, tipo, fascia, dichiarazione) -> None:
    numero = _venduta(engine, anagrafiche, tipo=tipo, fascia=fascia)
    with pytest.raises(RuleViolation, match=f"di tipo {tipo}: valida solo un Allegato {tipo}") as err, \
            session_scope(engine) as s:
        vincola(s, numero, IMPIANTO, dichiarazione, CONTROLLO, autore=CAIT)
    assert err.value.path == ("tipo_dichiarazione",)
    assert _stato(engine, numero)["stato"] == "venduta"


def test_potenza_outside_the_band_is_refused(engine, anagrafiche) -> None:
    numero = _venduta(engine, anagrafiche, tipo="F", fascia="F2")
    with pytest.raises(RuleViolation, match="Potenza 35-50 kW") as err, session_scope(engine) as s:
        vincola(s, numero, IMPIANTO, "F", CONTROLLO, autore=CAIT, potenza_focolare_kw=Decimal("50.1"))
    assert err.value.path == ("potenza_focolare_kw",)


def test_selling_from_a_range_held_by_another_cait(engine, anagrafiche) -> None:
    numeri = _genera(engine, 2, ente=BRESCIA)
    _assegna(engine, numeri, cait="CAIT-BS-01", ente=BRESCIA)
    with pytest.raises(Conflict, match="stock di un altro CAIT") as err, session_scope(engine) as s:
        vendi(s, numeri[0], "CAIT-MN-01", anagrafiche["rossi"], autore=CAIT)
    assert err.value.path == ("cait_id",)
    with pytest.raises(NotFound), session_scope(engine) as s:  # and it does not even see it
        stato(s, numeri[0], ambito=Ambito(cait_id="CAIT-MN-01"))
    assert _stato(engine, numeri[0])["stato"] == "assegnata"


def test_selling_refusals(engine, anagrafiche) -> None:
    libera, annullata, venduta = _genera(engine, 3)
    _assegna(engine, [annullata, venduta])
    with session_scope(engine) as s:
        annulla(s, annullata, "Smarrita dal CAIT", autore=ENTE)
        vendi(s, venduta, "CAIT-MN-01", anagrafiche["rossi"], autore=CAIT)
    casi = [(libera, "non è ancora stata assegnata"), (annullata, r"annullata \(Smarrita dal CAIT\)"),
            (venduta, "già stata venduta")]
    for numero, messaggio in casi:
        with pytest.raises(Conflict, match=messaggio), session_scope(engine) as s:
            vendi(s, numero, "CAIT-MN-01", anagrafiche["bianchi"], autore=CAIT)
    with pytest.raises(NotFound) as err, session_scope(engine) as s:
        vendi(s, venduta, "CAIT-MN-01", 9999, autore=CAIT)
    assert err.value.path == ("manutentore_id",)
    assert _stato(engine, venduta)["manutentore_id"] == anagrafiche["rossi"]


def test_binding_refusals(engine, anagrafiche) -> None:
    generata, assegnata, annullata = _genera(engine, 3)
    _assegna(engine, [assegnata, annullata])
    with session_scope(engine) as s:
        annulla(s, annullata, "Deteriorata", autore=ENTE)
    for numero, messaggio in ((generata, "non risulta venduta"), (assegnata, "non risulta venduta"),
                              (annullata, "annullata")):
        with pytest.raises(Conflict, match=messaggio), session_scope(engine) as s:
            vincola(s, numero, IMPIANTO, "G", CONTROLLO, autore=CAIT)
    venduta = _venduta(engine, anagrafiche)
    with pytest.raises(RuleViolation) as err, session_scope(engine) as s:
        vincola(s, venduta, "020066XX0000001", "G", CONTROLLO, autore=CAIT)
    assert err.value.path == ("codice_impianto",)
    with pytest.raises(NotFound), session_scope(engine) as s:  # a manutentore binds only what it bought
        vincola(s, venduta, IMPIANTO, "G", CONTROLLO, autore=CAIT, ambito=Ambito(manutentore_id=anagrafiche["bianchi"]))


def test_assignment_refusals_are_all_or_nothing(engine, anagrafiche) -> None:
    numeri = _genera(engine, 4)
    brescia = _genera(engine, 1, ente=BRESCIA)
    with pytest.raises(RuleViolation, match="non ha una convenzione") as err, session_scope(engine) as s:
        assegna_a_cait(s, "CAIT-BS-01", numeri, ente_id=MANTOVA, autore=ENTE)
    assert err.value.path == ("cait_id",)
    with pytest.raises(NotFound, match="CAIT CAIT-XX-99"), session_scope(engine) as s:
        assegna_a_cait(s, "CAIT-XX-99", numeri, ente_id=MANTOVA, autore=ENTE)
    with pytest.raises(NotFound) as err, session_scope(engine) as s:  # a number of another Ente
        assegna_a_cait(s, "CAIT-MN-01", numeri[:2] + brescia, ente_id=MANTOVA, autore=ENTE)
    assert err.value.path == ("numeri", 2)
    _assegna(engine, [numeri[1]])
    with pytest.raises(Conflict, match=rf"{numeri[1]} \(assegnata\)"), session_scope(engine) as s:
        assegna_a_cait(s, "CAIT-MN-01", dal=numeri[0], al=numeri[3], ente_id=MANTOVA, autore=ENTE)
    with pytest.raises(RuleViolation, match="precede l'inizio"), session_scope(engine) as s:
        assegna_a_cait(s, "CAIT-MN-01", dal=numeri[3], al=numeri[2], ente_id=MANTOVA, autore=ENTE)
    assert [_stato(engine, n)["stato"] for n in numeri] == ["generata", "assegnata", "generata", "generata"]


def test_annulment_refusals(engine, anagrafiche) -> None:
    (numero,) = _genera(engine, 1)
    with pytest.raises(RuleViolation) as err, session_scope(engine) as s:
        annulla(s, numero, "  ", autore=ENTE)
    assert err.value.path == ("motivo",)
    with pytest.raises(NotFound), session_scope(engine) as s:  # another Ente's etichetta
        annulla(s, numero, "Non nostra", autore=ENTE, ambito=Ambito(ente_id=BRESCIA))
    with session_scope(engine) as s:
        annulla(s, numero, "Errore di stampa", autore=ENTE)
    with pytest.raises(Conflict, match="annullata"), session_scope(engine) as s:
        annulla(s, numero, "di nuovo", autore=ENTE)
    with pytest.raises(Conflict, match="solo etichette appena generate"), session_scope(engine) as s:
        assegna_a_cait(s, "CAIT-MN-01", [numero], ente_id=MANTOVA, autore=ENTE)


# --------------------------------------------------------------------------- history and schema


def test_history_is_append_only_in_the_database(engine, anagrafiche) -> None:
    _genera(engine, 1)
    for sql in ("UPDATE movimenti_etichette SET utente = 'x'", "DELETE FROM movimenti_etichette"):
        with pytest.raises(DBAPIError, match="non si modifica"), engine.begin() as c:
            c.execute(text(sql))
    assert _movimenti(engine) == 1


def test_migration_matches_the_models(engine) -> None:
    insp = inspect(engine)
    for table in (ContatoreEtichette.__table__, LottoEtichette.__table__, Etichetta.__table__,
                  MovimentoEtichetta.__table__):
        assert table.name in Base.metadata.tables
        migrated = {c["name"]: c for c in insp.get_columns(table.name)}
        assert set(migrated) == {c.name for c in table.columns}, table.name
        for col in table.columns:
            assert migrated[col.name]["nullable"] == col.nullable, (table.name, col.name)
        assert set(insp.get_pk_constraint(table.name)["constrained_columns"]) == {c.name for c in table.primary_key}
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("etichette")}
    assert ("codice_impianto", "tipo_dichiarazione", "data_controllo") in uniques


# --------------------------------------------------------------------------- races


def test_concurrent_sales_of_one_number_exactly_one_wins(engine, anagrafiche) -> None:
    """8 threads, each in its own transaction, sell the same etichetta: one Vendita, seven Conflict."""
    (numero,) = _genera(engine, 1)
    _assegna(engine, [numero])
    via = threading.Barrier(8)

    def compra(i: int):
        via.wait(timeout=30)
        try:
            with session_scope(engine) as s:
                return vendi(s, numero, "CAIT-MN-01", anagrafiche["rossi" if i % 2 else "bianchi"],
                             autore=Autore(f"cait.op{i}", "cait"))
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(8) as pool:
        esiti = list(pool.map(compra, range(8)))
    vinte = [e for e in esiti if not isinstance(e, Conflict)]
    perse = [e for e in esiti if isinstance(e, Conflict)]
    assert len(vinte) == 1 and len(perse) == 7
    assert all("già stata venduta" in e.message for e in perse)
    st = _stato(engine, numero)
    assert st["manutentore_id"] == vinte[0].manutentore_id
    vendite = [m for m in st["movimenti"] if m["evento"] == "venduta"]
    assert len(vendite) == 1 and vendite[0]["utente"] == f"cait.op{esiti.index(vinte[0])}"


def test_concurrent_generation_is_gap_free(engine, anagrafiche) -> None:
    via = threading.Barrier(4)

    def lotto(_: int) -> list[str]:
        via.wait(timeout=30)
        return _genera(engine, 50)

    with ThreadPoolExecutor(4) as pool:
        lotti = list(pool.map(lotto, range(4)))
    progressivi = sorted(parse_numero_etichetta(n).progressivo for l in lotti for n in l)
    assert progressivi == list(range(1, 201))
    for l in lotti:  # each lot is one contiguous range
        p = [parse_numero_etichetta(n).progressivo for n in l]
        assert p == list(range(p[0], p[0] + 50))


def test_concurrent_binding_of_one_dichiarazione_exactly_one_wins(engine, anagrafiche) -> None:
    """Two different etichette bound at once to the same dichiarazione: the unique key decides."""
    numeri = [_venduta(engine, anagrafiche) for _ in range(4)]
    via = threading.Barrier(len(numeri))

    def lega(numero: str):
        via.wait(timeout=30)
        try:
            with session_scope(engine) as s:
                return vincola(s, numero, IMPIANTO, "G", CONTROLLO, autore=CAIT)["numero"]
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(len(numeri)) as pool:
        esiti = list(pool.map(lega, numeri))
    vinte = [e for e in esiti if isinstance(e, str)]
    assert len(vinte) == 1
    assert all(isinstance(e, Conflict) and e.path == ("codice_impianto",) for e in esiti if e not in vinte)
    assert sorted(_stato(engine, n)["stato"] for n in numeri) == ["venduta"] * 3 + ["vincolata"]


# --------------------------------------------------------------------------- listing and remittance


def test_elenco_shows_each_tenant_its_own_stock_page_by_page(engine, anagrafiche) -> None:
    numeri = _genera(engine, 5)
    _genera(engine, 2, ente=BRESCIA)
    _assegna(engine, numeri[:3])
    with session_scope(engine) as s:
        cait = elenco(s, ambito=Ambito(cait_id="CAIT-MN-01"), limite=2)
        assert cait["totali"] == {"assegnata": 3}
        assert [e["numero"] for e in cait["etichette"]] == numeri[:2] and cait["dopo"] == numeri[1]
        resto = elenco(s, ambito=Ambito(cait_id="CAIT-MN-01"), limite=2, dopo=cait["dopo"])
        assert [e["numero"] for e in resto["etichette"]] == [numeri[2]] and resto["dopo"] is None
        ente = elenco(s, ambito=Ambito(ente_id=MANTOVA), stato="generata")
        assert ente["totali"] == {"generata": 2} and [e["numero"] for e in ente["etichette"]] == numeri[3:]
        assert elenco(s, ambito=Ambito(cait_id="CAIT-BS-01"))["totali"] == {}
        with pytest.raises(RuleViolation) as err:
            elenco(s, stato="persa")
        assert err.value.path == ("stato",)


def test_rendiconto_sums_what_a_cait_owes(engine, anagrafiche) -> None:
    venduta_g = [_venduta(engine, anagrafiche) for _ in range(2)]
    venduta_f = _venduta(engine, anagrafiche, tipo="F", fascia="F4")
    _genera(engine, 1)  # not sold: not in the statement
    adesso = datetime.now(timezone.utc)
    with session_scope(engine) as s:
        r = rendiconto(s, dal=adesso - timedelta(hours=1), al=adesso + timedelta(hours=1),
                       ambito=Ambito(cait_id="CAIT-MN-01"))
        vuoto = rendiconto(s, dal=adesso - timedelta(days=40), al=adesso - timedelta(days=10),
                           ambito=Ambito(cait_id="CAIT-MN-01"))
        altro = rendiconto(s, dal=adesso - timedelta(hours=1), al=adesso + timedelta(hours=1),
                           ambito=Ambito(cait_id="CAIT-BS-01"))
    # 1,00 + 1,00 + 10,00 to Punti Energia; 8,00 + 8,00 + 75,00 to the Provincia di Mantova
    assert (r["quantita"], r["contributo_regionale"], r["quote_enti"], r["totale"]) == (3, "12.00", "91.00", "103.00")
    assert r["voci"] == [{"cait_id": "CAIT-MN-01", "ente_id": MANTOVA, "quantita": 3,
                          "contributo_regionale": "12.00", "quota_ente": "91.00"}]
    assert {e["numero"] for e in r["etichette"]} == {parse_numero_etichetta(n).leggibile
                                                    for n in venduta_g + [venduta_f]}
    assert (vuoto["quantita"], vuoto["totale"], altro["quantita"]) == (0, "0.00", 0)


def test_an_etichetta_binds_only_in_its_entes_territory(engine, anagrafiche) -> None:
    """Issue 12: rossi bound a Mantova etichetta to a Brescia impianto; now refused, nothing moves."""
    numero = _venduta(engine, anagrafiche)
    prima = _movimenti(engine)
    for impianto in ("017029CT0000001", "015146CT0000001"):  # Comune di Brescia; Milano (another Ente)
        with pytest.raises(RuleViolation, match="non è nel territorio dell'Ente") as err, session_scope(engine) as s:
            vincola(s, numero, impianto, "G", CONTROLLO, autore=Autore("manutentore.rossi", "manutentore"),
                    ambito=Ambito(manutentore_id=anagrafiche["rossi"]))
        assert err.value.path == ("codice_impianto",)
    assert _stato(engine, numero)["stato"] == "venduta" and _movimenti(engine) == prima
    with session_scope(engine) as s:  # its own territory: bound
        assert vincola(s, numero, IMPIANTO, "G", CONTROLLO, autore=CAIT,
                       ambito=Ambito(manutentore_id=anagrafiche["rossi"]))["stato"] == "vincolata"


def test_a_refusal_reveals_nothing_of_another_manutentore(engine, anagrafiche) -> None:
    """Issue 12: bianchi's binding refused with rossi's etichetta number in the message."""
    di_rossi = _venduta(engine, anagrafiche)
    (di_bianchi,) = _genera(engine, 1)
    _assegna(engine, [di_bianchi])
    with session_scope(engine) as s:
        vendi(s, di_bianchi, "CAIT-MN-01", anagrafiche["bianchi"], autore=CAIT)
        vincola(s, di_rossi, IMPIANTO, "G", CONTROLLO, autore=CAIT, ambito=Ambito(manutentore_id=anagrafiche["rossi"]))
    with pytest.raises(Conflict) as err, session_scope(engine) as s:
        vincola(s, di_bianchi, IMPIANTO, "G", CONTROLLO, autore=Autore("manutentore.bianchi", "manutentore"),
                ambito=Ambito(manutentore_id=anagrafiche["bianchi"]))
    messaggio = err.value.message
    assert "già validata da un'altra etichetta" in messaggio and err.value.path == ("codice_impianto",)
    compatto = parse_numero_etichetta(di_rossi)
    assert compatto.compatto not in messaggio and compatto.leggibile not in messaggio
    assert "Rossi" not in messaggio
    with pytest.raises(Conflict, match=f"dall'etichetta {di_rossi}"), session_scope(engine) as s:
        vincola(s, di_bianchi, IMPIANTO, "G", CONTROLLO, autore=CAIT, ambito=Ambito(cait_id="CAIT-MN-01"))
