"""User accounts from the command line, and what a production start is missing.

A production ``serve`` (no ``--demo``) creates no users, identities or documents. The first
administrator is created with ``curit-docs utenti crea admin --ruolo admin`` (password asked
on the terminal or read from stdin); ``avvisi_avvio`` tells ``serve`` what is still missing,
in Italian, instead of inventing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from archive.db import make_engine, session_scope
from archive.utenti import PERMESSI, Utente, crea_utente, disattiva_utente, revoca_accessi_utente
from domain.errors import NotFound, RuleViolation
from service.settings import Settings

__all__ = ["Riepilogo", "crea", "elenco", "disattiva", "concedi", "revoca_accessi", "avvisi_avvio"]


@dataclass(frozen=True)
class Riepilogo:
    username: str
    ruolo: str
    attivo: bool
    ente_id: str | None
    cait_id: str | None
    manutentore_id: int | None
    permessi: tuple[str, ...]

    @classmethod
    def di(cls, u: Utente) -> "Riepilogo":
        return cls(u.username, u.ruolo, u.attivo, u.ente_id, u.cait_id, u.manutentore_id, tuple(u.permessi or ()))


def _ambito(settings: Settings, ruolo: str, ente_id: str | None, cait_id: str | None, manutentore_id: int | None) -> dict:
    """The tenant a role needs: an Ente for ente/archivista/ispettore, a CAIT, a manutentore."""
    richiesto = {"ente": "ente", "archivista": "ente", "ispettore": "ente", "cait": "cait",
                 "manutentore": "manutentore"}.get(ruolo)
    if richiesto == "ente" and not ente_id:
        raise RuleViolation(f"Il ruolo {ruolo} richiede l'Ente (--ente, es. provincia-mantova).", path=("ente",))
    if richiesto == "ente":
        from domain.enti import registro_enti

        if ente_id not in {e.id for e in registro_enti(settings.enti_file)}:
            raise RuleViolation(f"Ente sconosciuto: {ente_id}.", path=("ente",))
    if richiesto == "cait" and not cait_id:
        raise RuleViolation("Il ruolo cait richiede il CAIT (--cait, es. CAIT-MN-01).", path=("cait",))
    if richiesto == "manutentore" and manutentore_id is None:
        raise RuleViolation("Il ruolo manutentore richiede il manutentore (--manutentore, il suo id).",
                            path=("manutentore",))
    return {"ente_id": ente_id if richiesto == "ente" else None, "cait_id": cait_id if richiesto == "cait" else None,
            "manutentore_id": manutentore_id if richiesto == "manutentore" else None}


def crea(settings: Settings, username: str, password: str, ruolo: str, *, ente_id: str | None = None,
         cait_id: str | None = None, manutentore_id: int | None = None, permessi: tuple[str, ...] = (),
         nome: str = "") -> Riepilogo:
    ambito = _ambito(settings, ruolo, ente_id, cait_id, manutentore_id)
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            if ambito["cait_id"]:
                from archive.anagrafiche import Cait

                if session.get(Cait, ambito["cait_id"]) is None:
                    raise RuleViolation(f"CAIT sconosciuto: {ambito['cait_id']}.", path=("cait",))
            return Riepilogo.di(crea_utente(session, username, password, ruolo, permessi=permessi, nome=nome or username,
                                            **ambito))
    finally:
        engine.dispose()


def elenco(settings: Settings) -> list[Riepilogo]:
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            return [Riepilogo.di(u) for u in session.scalars(select(Utente).order_by(Utente.username))]
    finally:
        engine.dispose()


def disattiva(settings: Settings, username: str) -> Riepilogo:
    """Deactivate the account: its sessions and API keys end at once."""
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            return Riepilogo.di(disattiva_utente(session, username))
    finally:
        engine.dispose()


def revoca_accessi(settings: Settings, username: str) -> int:
    """End every session and revoke every API key of an account that stays active."""
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            if session.scalar(select(Utente.id).where(Utente.username == username)) is None:
                raise NotFound(f"Utente {username} inesistente.", path=("username",))
            return revoca_accessi_utente(session, username)
    finally:
        engine.dispose()


def concedi(settings: Settings, username: str, permesso: str, *, togli: bool = False) -> Riepilogo:
    """Grant (or with ``togli`` withdraw) a permission such as ``firma_pdf``."""
    if permesso not in PERMESSI:
        raise RuleViolation(f"Permesso sconosciuto: {permesso} (disponibili: {', '.join(PERMESSI)}).",
                            path=("permesso",))
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            user = session.scalar(select(Utente).where(Utente.username == username))
            if user is None:
                raise NotFound(f"Utente {username} inesistente.", path=("username",))
            attuali = set(user.permessi or ())
            user.permessi = sorted(attuali - {permesso} if togli else attuali | {permesso})
            session.flush()
            return Riepilogo.di(user)
    finally:
        engine.dispose()


def avvisi_avvio(settings: Settings) -> list[str]:
    """What a production start lacks, in Italian (empty in demo mode, which creates it all)."""
    if settings.demo:
        return []
    from service.identita import elenca_identita

    avvisi: list[str] = []
    engine = make_engine(settings.db_url)
    try:
        with session_scope(engine) as session:
            utenti = session.scalar(select(func.count(Utente.id)).where(Utente.attivo.is_(True)))
    finally:
        engine.dispose()
    if not utenti:
        avvisi.append("Nessun utente attivo: creare il primo amministratore con "
                      "«curit-docs utenti crea admin --ruolo admin» (per provare il prodotto: «curit-docs serve --demo»).")
    if not elenca_identita(settings):
        avvisi.append(f"Nessuna identità di firma in {settings.identita_dir}: nessun documento potrà essere emesso "
                      "finché non si installa, per ogni organizzazione che firma, <nome>.p12 oppure "
                      "<nome>/chiave.pem e <nome>/catena.pem (es. ente-provincia-mantova, cait-CAIT-MN-01). "
                      "Nessuna identità viene creata in automatico fuori dalla modalità demo.")
    if not settings.trust_roots:
        avvisi.append("CURIT_TRUST_ROOTS è vuoto: in verifica nessuna firma risulterà attendibile. Indicare i "
                      "certificati delle CA (elenco JSON di file PEM).")
    return avvisi
