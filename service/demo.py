"""Demo dataset for a newcomer: two Enti's worth of CAIT, manutentori and one user per role.

Seeded only into an empty database (no users yet) and only in demo mode (``curit-docs serve
--demo``, what ``make run`` starts; ``CURIT_DEMO=1``). Every demo password is ``curit-demo``.
Plain ``serve`` (production) creates nothing: see ``curit-docs utenti crea``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, CaitEnte, Manutentore, ManutenzioneImpianto, OperatoreCait, Strumento
from archive.utenti import Utente, crea_utente, hash_password
from domain.enti import ente_competente

if TYPE_CHECKING:
    from service.emissione import Emissione

DEMO_PASSWORD = "curit-demo"

VIADANA = "020066"   # Provincia di Mantova is competent (< 40.000 ab.)
BRESCIA = "017029"   # Comune di Brescia is competent (> 40.000 ab.)


@lru_cache(maxsize=1)
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def semina(session: Session) -> bool:
    """Insert the demo records; False when the database already has users."""
    if session.scalar(select(Utente.id).limit(1)) is not None:
        return False
    mantova = ente_competente(VIADANA).id
    brescia = ente_competente(BRESCIA).id
    session.add_all([
        Cait(id="CAIT-MN-01", denominazione="CAIT Mantova - Associazione Artigiani", indirizzo="Via Luzio 7",
             comune="Mantova", partita_iva="01234560207", email="cait.mantova@example.it"),
        Cait(id="CAIT-BS-01", denominazione="CAIT Brescia Impianti", indirizzo="Via Orzinuovi 28",
             comune="Brescia", partita_iva="02345670984", email="cait.brescia@example.it"),
    ])
    session.flush()
    session.add_all([CaitEnte(cait_id="CAIT-MN-01", ente_id=mantova), CaitEnte(cait_id="CAIT-BS-01", ente_id=brescia)])
    rossi = Manutentore(ragione_sociale="Rossi Termoidraulica S.n.c.", partita_iva="01876540202", username="MA023456",
                        cait_id="CAIT-MN-01", registrato_il=date(2012, 3, 1), indirizzo="Via Roma 12", comune="Viadana")
    bianchi = Manutentore(ragione_sociale="Bianchi Calore S.r.l.", partita_iva="03456780174", username="bianchicalore",
                          cait_id="CAIT-BS-01", registrato_il=date(2018, 5, 9), indirizzo="Via Milano 140",
                          comune="Brescia")
    session.add_all([rossi, bianchi])
    session.flush()
    session.add_all([
        OperatoreCait(cait_id="CAIT-MN-01", cognome_nome="Ferrari Giulia", username="op.ferrari"),
        OperatoreCait(cait_id="CAIT-BS-01", cognome_nome="Colombo Luca", username="op.colombo"),
        Strumento(cait_id="CAIT-MN-01", manutentore_id=rossi.id, marca="Testo", modello="330-2 LL", matricola="60012345"),
        Strumento(cait_id="CAIT-BS-01", manutentore_id=bianchi.id, marca="Seitron", modello="Chemist 400",
                  matricola="SE4001122"),
    ])
    firma = {"permessi": ["firma_pdf"]}  # may sign uploaded PDFs with the organisation's key (POST /firma)
    users = [
        ("admin", "admin", {}),
        ("ente.mantova", "ente", {"ente_id": mantova, **firma}),
        ("ente.brescia", "ente", {"ente_id": brescia}),
        ("archivista.mantova", "archivista", {"ente_id": mantova}),
        ("ispettore.mantova", "ispettore", {"ente_id": mantova}),
        ("cait.mantova", "cait", {"cait_id": "CAIT-MN-01", **firma}),
        ("cait.brescia", "cait", {"cait_id": "CAIT-BS-01"}),
        ("manutentore.rossi", "manutentore", {"manutentore_id": rossi.id}),
        ("manutentore.bianchi", "manutentore", {"manutentore_id": bianchi.id}),
    ]
    demo_hash = _demo_hash()
    for username, ruolo, scope in users:
        crea_utente(session, username, DEMO_PASSWORD, ruolo, password_hash=demo_hash, nome=username, **scope)
    _semina_impianti(session, rossi.id, bianchi.id)
    return True


def _semina_impianti(session: Session, rossi: int, bianchi: int) -> None:
    """A few impianti in the catasto, each maintained by one manutentore."""
    from archive.catasto import crea_impianto

    for istat, tipo, indirizzo, civico, cap, kw, responsabile, cf, manutentore in (
        (VIADANA, "IN", "Via Garibaldi", "10", "46019", "24.0", "Verdi Anna", "VRDNNA70A41L826G", rossi),
        (VIADANA, "CT", "Piazza Manzoni", "3", "46019", "180.0", "Condominio Manzoni", "91012340203", rossi),
        (BRESCIA, "CT", "Via Trieste", "21", "25121", "350.0", "Condominio Trieste 21", "98012340174", bianchi),
        (BRESCIA, "IN", "Corso Zanardelli", "5", "25121", "28.0", "Gatti Marco", "GTTMRC65C12B157U", bianchi),
    ):
        codice = crea_impianto(session, istat=istat, tipologia=tipo, indirizzo=indirizzo, civico=civico, cap=cap,
                               potenza_focolare_totale_kw=Decimal(kw), responsabile_cognome_nome=responsabile,
                               responsabile_cf=cf)
        session.add(ManutenzioneImpianto(codice_impianto=codice, manutentore_id=manutentore))


DEMO_DOCUMENTI = ("allegato-g", "allegato-a", "allegato-e1", "allegato-h")
"""Documents issued into an empty archive so a newcomer's search finds something at once."""


def semina_archivio(emissione: "Emissione") -> int:
    """Issue (render, sign, archive) the demo documents when the archive index is empty.

    Takes the emission stage the caller already has (the server's, with its archive): this
    module depends on service-level functions only, never on the API. Returns how many were issued.
    """
    from archive.indice import FiltroRicerca
    from service.registry import get_document_type

    if emissione.archivio is None:
        return 0
    documenti, _ = emissione.archivio.cerca(FiltroRicerca(), limite=1)
    if documenti:
        return 0
    for tipo in DEMO_DOCUMENTI:
        emissione.emetti(tipo, get_document_type(tipo).example(), emittente=None, archivia=True)
    return len(DEMO_DOCUMENTI)
