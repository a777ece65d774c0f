"""Outgoing e-mail: a real SMTP client, or ``.eml`` files under ``var/`` when no server is set.

Settings (``service/settings.py``): ``CURIT_SMTP_HOST``, ``CURIT_SMTP_PORT``, ``CURIT_SMTP_TLS``
(``starttls`` | ``ssl`` | ``nessuno``), ``CURIT_SMTP_UTENTE``, ``CURIT_SMTP_PASSWORD``,
``CURIT_POSTA_MITTENTE``. With no host (the embedded default of ``make run``) every message is
written atomically to ``posta_dir`` (``var/posta``) as ``<istante>-<id>.eml``, which the demo
console shows at ``/console/posta``: a newcomer can follow the "Recupera la password" flow
without a mail server.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as politica
from email.utils import format_datetime, make_msgid
from pathlib import Path

from archive.errors import StorageError
from service.settings import Settings

__all__ = ["Messaggio", "invia", "cartella", "messaggi_salvati"]


@dataclass(frozen=True)
class Messaggio:
    destinatario: str
    oggetto: str
    testo: str
    inviato_il: datetime
    file: str = ""


def cartella(settings: Settings) -> Path:
    return settings.posta_dir or settings.var_dir / "posta"


def _componi(settings: Settings, destinatario: str, oggetto: str, testo: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.posta_mittente
    msg["To"] = destinatario
    msg["Subject"] = oggetto
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid(domain="curit.invalid")
    msg.set_content(testo)
    return msg


def invia(settings: Settings, destinatario: str, oggetto: str, testo: str) -> None:
    """Send one plain-text message; a failing server is a :class:`StorageError` (503, exit 3)."""
    msg = _componi(settings, destinatario, oggetto, testo)
    if settings.smtp_host is None:
        _salva(cartella(settings), msg)
        return
    try:
        if settings.smtp_tls == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=30,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with server:
            if settings.smtp_tls == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_utente:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                server.login(settings.smtp_utente, password)
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise StorageError("Server di posta non raggiungibile: messaggio non inviato, riprovare più tardi.",
                           path=("email",)) from exc


def _salva(dir_: Path, msg: EmailMessage) -> None:
    dir_.mkdir(parents=True, exist_ok=True)
    nome = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    tmp = dir_ / f".{nome}.tmp"
    tmp.write_bytes(bytes(msg))
    os.replace(tmp, dir_ / nome)


def messaggi_salvati(settings: Settings, *, limite: int = 50) -> list[Messaggio]:
    """The newest messages of the embedded default folder (empty when an SMTP server is set)."""
    dir_ = cartella(settings)
    if settings.smtp_host is not None or not dir_.is_dir():
        return []
    out = []
    for f in sorted(dir_.glob("*.eml"), reverse=True)[:limite]:
        msg = BytesParser(policy=politica).parsebytes(f.read_bytes())
        corpo = msg.get_body(preferencelist=("plain",))
        out.append(Messaggio(str(msg["To"]), str(msg["Subject"]), corpo.get_content() if corpo else "",
                             msg["Date"].datetime, f.name))
    return out
