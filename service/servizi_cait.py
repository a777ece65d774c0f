"""The seven services of "I servizi per i CAIT" and the manutentore's password recovery.

1. registration data of the CAIT's manutentori, operatori, strumenti (:func:`manutentori`, …);
2. change a manutentore's data except the Partita IVA (:func:`modifica_manutentore`);
3. strumenti: add, change, delete;
4. operatori: add, change password, set inactive (``archive.utenti.disattiva_utente``: its
   server-side sessions, tokens and API keys end at once);
5. Portafoglio movements of the manutentori (:func:`movimenti`);
6. Portafoglio functions: IBAN registration (python-stdnum) and top-up instructions;
7. scollegamento (:func:`scollega`), then "Recupera la password" (:func:`recupera_password`):
   a provisional password by e-mail that must be replaced at the first login.

Functions work in the caller's transaction and raise Italian :class:`AppError` naming the field.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from archive.anagrafiche import (
    Cait,
    IbanPortafoglio,
    Manutentore,
    OperatoreCait,
    PasswordProvvisoria,
    Strumento,
    scollega_manutentore,
)
from archive.cait_ricevute import saldo_portafoglio
from archive.cait_tabelle import MovimentoPortafoglio, Ricevuta
from archive.utenti import Utente, autentica, crea_utente, disattiva_utente, hash_password
from domain.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from service import posta
from service.settings import Settings

__all__ = ["DATA_NUOVI_USERNAME", "manutentori", "modifica_manutentore", "strumenti", "salva_strumento",
           "elimina_strumento", "operatori", "aggiungi_operatore", "password_operatore", "disattiva_operatore",
           "movimenti", "registra_iban", "scollega", "regola_username", "recupera_password", "cambia_password",
           "deve_cambiare_password", "ISTRUZIONI_RICARICA"]

DATA_NUOVI_USERNAME = date(2015, 9, 18)
"""Firms registered before this day log in as "MA" + six digits; later ones with the name they chose."""

ISTRUZIONI_RICARICA = (
    "Il Portafoglio si ricarica allo sportello del CAIT (contanti, POS o bonifico): il CAIT registra "
    "la ricarica e rilascia la ricevuta. Il saldo paga l'acquisto delle etichette di validazione. "
    "L'IBAN registrato serve per l'eventuale rimborso del saldo residuo."
)


def _testo(valore: str | None, campo: str, etichetta: str, massimo: int = 200) -> str:
    v = (valore or "").strip()
    if not v:
        raise RuleViolation(f"{etichetta}: campo obbligatorio.", path=(campo,))
    if len(v) > massimo:
        raise RuleViolation(f"{etichetta}: al massimo {massimo} caratteri.", path=(campo,))
    return v


def _manutentore(session: Session, cait_id: str | None, manutentore_id: int) -> Manutentore:
    m = session.get(Manutentore, manutentore_id)
    if m is None or (cait_id is not None and m.cait_id != cait_id):
        raise NotFound("Manutentore non associato a questo CAIT.", path=("manutentore_id",))
    return m


# --------------------------------------------------------------------------- 1–2 manutentori


def manutentori(session: Session, cait_id: str) -> list[dict[str, Any]]:
    out = []
    for m in session.scalars(select(Manutentore).where(Manutentore.cait_id == cait_id)
                             .order_by(Manutentore.ragione_sociale)):
        iban = session.get(IbanPortafoglio, m.id)
        out.append({"id": m.id, "ragione_sociale": m.ragione_sociale, "partita_iva": m.partita_iva,
                    "username": m.username, "email": m.email or "", "indirizzo": m.indirizzo, "comune": m.comune,
                    "registrato_il": m.registrato_il.isoformat(), "saldo": str(saldo_portafoglio(session, m.id)),
                    "iban": iban.iban if iban else "", "intestatario_iban": iban.intestatario if iban else ""})
    return out


def modifica_manutentore(session: Session, cait_id: str, manutentore_id: int, *, ragione_sociale: str,
                         indirizzo: str, comune: str, partita_iva: str | None = None) -> Manutentore:
    """Change the registration data; the Partita IVA is read-only (a different one is refused)."""
    m = _manutentore(session, cait_id, manutentore_id)
    if partita_iva is not None and partita_iva.strip() != m.partita_iva:
        raise RuleViolation("La Partita IVA non si può modificare.", path=("partita_iva",))
    errori = []
    for campo, etichetta, valore in (("ragione_sociale", "Ragione sociale", ragione_sociale),
                                     ("indirizzo", "Indirizzo", indirizzo), ("comune", "Comune", comune)):
        try:
            setattr(m, campo, _testo(valore, campo, etichetta, 200 if campo != "comune" else 100))
        except RuleViolation as exc:
            errori.append(exc)
    if errori:
        raise ValidationFailed(errori)
    return m


# --------------------------------------------------------------------------- 3 strumenti


def strumenti(session: Session, cait_id: str) -> list[dict[str, Any]]:
    nomi = dict(session.execute(select(Manutentore.id, Manutentore.ragione_sociale)).all())
    return [{"id": s.id, "marca": s.marca, "modello": s.modello, "matricola": s.matricola,
             "manutentore_id": s.manutentore_id, "manutentore": nomi.get(s.manutentore_id, "")}
            for s in session.scalars(select(Strumento).where(Strumento.cait_id == cait_id)
                                     .order_by(Strumento.marca, Strumento.modello, Strumento.matricola))]


def salva_strumento(session: Session, cait_id: str, *, marca: str, modello: str, matricola: str,
                    manutentore_id: int | None = None, strumento_id: int | None = None) -> Strumento:
    """Add (``strumento_id`` None) or change an instrument; marca+modello+matricola is unique."""
    errori, valori = [], {}
    for campo, etichetta, valore in (("marca", "Marca", marca), ("modello", "Modello", modello),
                                     ("matricola", "Matricola", matricola)):
        try:
            valori[campo] = _testo(valore, campo, etichetta, 100)
        except RuleViolation as exc:
            errori.append(exc)
    if errori:
        raise ValidationFailed(errori)
    if manutentore_id is not None:
        _manutentore(session, cait_id, manutentore_id)
    if strumento_id is None:
        s = Strumento(cait_id=cait_id)
        session.add(s)
    else:
        s = _strumento(session, cait_id, strumento_id)
    s.marca, s.modello, s.matricola, s.manutentore_id = (valori["marca"], valori["modello"], valori["matricola"],
                                                         manutentore_id)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Lo strumento {valori['marca']} {valori['modello']} matricola {valori['matricola']} "
                       "è già registrato.", path=("matricola",)) from exc
    return s


def _strumento(session: Session, cait_id: str, strumento_id: int) -> Strumento:
    s = session.get(Strumento, strumento_id)
    if s is None or s.cait_id != cait_id:
        raise NotFound("Strumento non registrato presso questo CAIT.", path=("strumento_id",))
    return s


def elimina_strumento(session: Session, cait_id: str, strumento_id: int) -> str:
    s = _strumento(session, cait_id, strumento_id)
    descrizione = f"{s.marca} {s.modello} matricola {s.matricola}"
    session.delete(s)
    session.flush()
    return descrizione


# --------------------------------------------------------------------------- 4 operatori


def operatori(session: Session, cait_id: str) -> list[dict[str, Any]]:
    return [{"id": o.id, "cognome_nome": o.cognome_nome, "username": o.username, "attivo": o.attivo}
            for o in session.scalars(select(OperatoreCait).where(OperatoreCait.cait_id == cait_id)
                                     .order_by(OperatoreCait.cognome_nome))]


def aggiungi_operatore(session: Session, cait_id: str, *, cognome_nome: str, username: str,
                       password: str) -> OperatoreCait:
    """A new operator of the CAIT with its own login (role ``cait``)."""
    errori = []
    try:
        cognome_nome = _testo(cognome_nome, "cognome_nome", "Cognome e nome")
    except RuleViolation as exc:
        errori.append(exc)
    username = (username or "").strip()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        errori.append(RuleViolation("Nome utente: da 1 a 64 caratteri tra lettere, cifre, punto, trattino.",
                                    path=("username",)))
    elif session.scalar(select(Utente.id).where(Utente.username == username)) is not None or session.scalar(
            select(OperatoreCait.id).where(OperatoreCait.username == username)) is not None:
        errori.append(Conflict("Nome utente già in uso.", path=("username",)))
    if len(password or "") < 8:
        errori.append(RuleViolation("La password deve avere almeno 8 caratteri.", path=("password",)))
    if errori:
        raise ValidationFailed(errori)
    op = OperatoreCait(cait_id=cait_id, cognome_nome=cognome_nome, username=username, attivo=True)
    session.add(op)
    crea_utente(session, username, password, "cait", nome=cognome_nome, cait_id=cait_id)
    return op


def _operatore(session: Session, cait_id: str, operatore_id: int) -> OperatoreCait:
    op = session.get(OperatoreCait, operatore_id)
    if op is None or op.cait_id != cait_id:
        raise NotFound("Operatore non registrato presso questo CAIT.", path=("operatore_id",))
    return op


def password_operatore(session: Session, cait_id: str, operatore_id: int, password: str) -> OperatoreCait:
    op = _operatore(session, cait_id, operatore_id)
    if len(password or "") < 8:
        raise RuleViolation("La password deve avere almeno 8 caratteri.", path=("password",))
    utente = session.scalar(select(Utente).where(Utente.username == op.username))
    if utente is None:
        utente = crea_utente(session, op.username, password, "cait", nome=op.cognome_nome, cait_id=cait_id)
        utente.attivo = op.attivo
    else:
        utente.password_hash = hash_password(password)
    return op


def disattiva_operatore(session: Session, cait_id: str, operatore_id: int, *, da: str) -> OperatoreCait:
    """Set inactive: no login, and the open sessions/tokens stop at their next request."""
    op = _operatore(session, cait_id, operatore_id)
    if op.username == da:
        raise Conflict("Un operatore non può disattivare la propria utenza.", path=("operatore_id",))
    op.attivo = False
    if session.scalar(select(Utente.id).where(Utente.username == op.username)) is not None:
        disattiva_utente(session, op.username)  # ends its sessions and API keys at once
    session.flush()
    return op


# --------------------------------------------------------------------------- 5–6 Portafoglio


def movimenti(session: Session, cait_id: str, *, manutentore_id: int | None = None, dal: date | None = None,
              al: date | None = None, causale: str | None = None) -> dict[str, Any]:
    """Movements of the CAIT's manutentori, newest first, with the balance of each manutentore."""
    mp = MovimentoPortafoglio
    q = (select(mp, Manutentore.ragione_sociale, Ricevuta.numero)
         .join(Manutentore, Manutentore.id == mp.manutentore_id)
         .outerjoin(Ricevuta, Ricevuta.id == mp.ricevuta_id)
         .where(mp.cait_id == cait_id).order_by(mp.istante.desc(), mp.id.desc()).limit(500))
    if causale:
        if causale not in ("ricarica", "acquisto"):
            raise RuleViolation("Tipo di movimento non valido: ricarica o acquisto.", path=("causale",))
        q = q.where(mp.causale == causale)
    if manutentore_id is not None:
        _manutentore(session, None, manutentore_id)
        q = q.where(mp.manutentore_id == manutentore_id)
    if dal is not None and al is not None and al < dal:
        raise RuleViolation("La data finale precede la data iniziale.", path=("al",))
    if dal is not None:
        q = q.where(mp.istante >= datetime.combine(dal, datetime.min.time(), timezone.utc))
    if al is not None:
        q = q.where(mp.istante < datetime.combine(al + timedelta(days=1), datetime.min.time(), timezone.utc))
    righe = [{"id": m.id, "istante": m.istante.isoformat(), "manutentore_id": m.manutentore_id,
              "manutentore": nome, "causale": m.causale, "importo": str(m.importo), "ricevuta": numero or "",
              "ricevuta_id": m.ricevuta_id, "utente": m.utente} for m, nome, numero in session.execute(q)]
    ids = {r["manutentore_id"] for r in righe}
    if manutentore_id is not None:
        ids.add(manutentore_id)
    saldi = {i: str(saldo_portafoglio(session, i)) for i in sorted(ids)}
    return {"movimenti": righe, "saldi": saldi}


def registra_iban(session: Session, cait_id: str | None, manutentore_id: int, *, iban: str, intestatario: str,
                  utente: str) -> IbanPortafoglio:
    m = _manutentore(session, cait_id, manutentore_id)
    errori = []
    try:
        valido = stdnum_iban.validate(iban or "")
    except StdnumError:
        errori.append(RuleViolation("IBAN non valido: controllare lunghezza, paese e cifre di controllo "
                                    "(es. IT60X0542811101000000123456).", path=("iban",)))
    try:
        intestatario = _testo(intestatario, "intestatario", "Intestatario del conto")
    except RuleViolation as exc:
        errori.append(exc)
    if errori:
        raise ValidationFailed(errori)
    riga = session.get(IbanPortafoglio, m.id) or IbanPortafoglio(manutentore_id=m.id)
    riga.iban, riga.intestatario, riga.utente = valido, intestatario, utente[:64]
    riga.registrato_il = datetime.now(timezone.utc)
    session.add(riga)
    session.flush()
    return riga


# --------------------------------------------------------------------------- 7 scollegamento, password


def regola_username(m: Manutentore) -> str:
    if m.registrato_il < DATA_NUOVI_USERNAME:
        return (f"Ditta registrata prima del 18/09/2015: il nome utente è il codice {m.username} "
                "(\"MA\" seguito da sei cifre).")
    return f"Ditta registrata dopo il 18/09/2015: il nome utente è quello scelto alla registrazione, {m.username}."


def scollega(session: Session, cait_id: str, manutentore_id: int, email: str) -> dict[str, Any]:
    """Scollegamento; the firm gets (or keeps) a login named as the seed says, with no usable
    password until it uses "Recupera la password"."""
    m = scollega_manutentore(session, manutentore_id, cait_id=cait_id, email=email)
    utente = session.scalar(select(Utente).where(Utente.username == m.username))
    if utente is None:
        crea_utente(session, m.username, secrets.token_urlsafe(24), "manutentore", nome=m.ragione_sociale,
                    manutentore_id=m.id)
    elif utente.manutentore_id != m.id:
        raise Conflict(f"Il nome utente {m.username} appartiene a un'altra utenza.", path=("username",))
    session.flush()
    cait = session.get(Cait, cait_id)
    return {"manutentore": m.id, "ragione_sociale": m.ragione_sociale, "partita_iva": m.partita_iva,
            "username": m.username, "email": m.email, "regola_username": regola_username(m),
            "cait": cait.denominazione if cait else cait_id}


@dataclass(frozen=True)
class Recupero:
    username: str
    email: str


def recupera_password(session: Session, settings: Settings, identificativo: str, *,
                      adesso: datetime | None = None) -> Recupero | None:
    """Send a provisional password to the manutentore's e-mail (by username or e-mail).

    None when no manutentore account matches: the caller shows the same message either way.
    """
    chiave = (identificativo or "").strip()
    if not chiave or len(chiave) > 200:
        raise RuleViolation("Indicare il nome utente o l'indirizzo e-mail.", path=("identificativo",))
    m = session.scalar(select(Manutentore).where(or_(Manutentore.username == chiave,
                                                     func.lower(Manutentore.email) == chiave.lower())))
    utente = session.scalar(select(Utente).where(Utente.username == (m.username if m else chiave),
                                                 Utente.ruolo == "manutentore"))
    if m is None and utente is not None and utente.manutentore_id is not None:
        m = session.get(Manutentore, utente.manutentore_id)
    if m is None or not m.email or utente is None or not utente.attivo or utente.manutentore_id != m.id:
        return None
    provvisoria = secrets.token_urlsafe(9)
    adesso = adesso or datetime.now(timezone.utc)
    scade = adesso + timedelta(hours=settings.password_provvisoria_ore)
    utente.password_hash = hash_password(provvisoria)
    riga = session.get(PasswordProvvisoria, utente.username) or PasswordProvvisoria(username=utente.username)
    riga.creata_il, riga.scade_il = adesso, scade
    session.add(riga)
    session.flush()
    posta.invia(settings, m.email, "CURIT - password provvisoria",
                f"Gentile {m.ragione_sociale},\n\n"
                f"è stata chiesta una nuova password per l'utenza {utente.username}.\n"
                f"Password provvisoria: {provvisoria}\n\n"
                f"Accedere entro il {scade.astimezone():%d/%m/%Y alle %H:%M} a /console/accesso: al primo accesso "
                "sarà richiesta una password definitiva di propria scelta.\n\n"
                "Se non ha chiesto lei il recupero, ignori questo messaggio.\n")
    return Recupero(utente.username, m.email)


def deve_cambiare_password(session: Session, username: str) -> bool:
    return session.get(PasswordProvvisoria, username) is not None


def cambia_password(session: Session, username: str, attuale: str, nuova: str, conferma: str, *,
                    adesso: datetime | None = None) -> Utente:
    """Replace the password (the provisional one, or any): checks the current one first."""
    utente = autentica(session, username, attuale)
    riga = session.get(PasswordProvvisoria, username)
    adesso = adesso or datetime.now(timezone.utc)
    if utente is None:
        raise RuleViolation("Password attuale non corretta.", path=("attuale",))
    if riga is not None and riga.scade_il.replace(tzinfo=riga.scade_il.tzinfo or timezone.utc) < adesso:
        raise RuleViolation("La password provvisoria è scaduta: usare di nuovo \"Recupera la password\".",
                            path=("attuale",))
    errori = []
    if len(nuova or "") < 8:
        errori.append(RuleViolation("La nuova password deve avere almeno 8 caratteri.", path=("nuova",)))
    elif nuova == attuale:
        errori.append(RuleViolation("La nuova password deve essere diversa da quella provvisoria.", path=("nuova",)))
    if nuova != conferma:
        errori.append(RuleViolation("La conferma non coincide con la nuova password.", path=("conferma",)))
    if errori:
        raise ValidationFailed(errori)
    utente.password_hash = hash_password(nuova)
    if riga is not None:
        session.delete(riga)
    session.flush()
    return utente


def saldo(session: Session, manutentore_id: int) -> Decimal:
    return saldo_portafoglio(session, manutentore_id)
