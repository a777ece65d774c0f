"""Outgoing mail through a real SMTP server (aiosmtpd on 127.0.0.1), the embedded ``var/posta``
default, and "Recupera la password" followed from the received message to the first login."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as politica

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from service import posta
from service.api import create_app
from service.settings import Settings


class _Casella:
    def __init__(self) -> None:
        self.messaggi: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        self.messaggi.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=politica)))
        return "250 OK"


def _porta() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[_Casella, int]]:
    casella, porta = _Casella(), _porta()
    controller = Controller(casella, hostname="127.0.0.1", port=porta)
    controller.start()
    try:
        yield casella, porta
    finally:
        controller.stop()


def test_smtp_reale_e_cartella_predefinita(smtp, tmp_path) -> None:
    casella, porta = smtp
    s = Settings(var_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=porta, smtp_tls="nessuno",
                 posta_mittente="CURIT <curit@example.it>")
    posta.invia(s, "ditta@example.it", "Prova àèì", "Testo in italiano: però.")
    [(destinatari, msg)] = casella.messaggi
    assert destinatari == ["ditta@example.it"] and msg["Subject"] == "Prova àèì"
    assert msg["From"] == "CURIT <curit@example.it>" and "però" in msg.get_content()
    assert posta.messaggi_salvati(s) == []
    locale = Settings(var_dir=tmp_path)
    posta.invia(locale, "ditta@example.it", "Locale", "Corpo")
    [m] = posta.messaggi_salvati(locale)
    assert (m.destinatario, m.oggetto, m.testo.strip()) == ("ditta@example.it", "Locale", "Corpo")
    assert list((tmp_path / "posta").glob("*.eml")) and not list((tmp_path / "posta").glob(".*.tmp"))
    fermo = Settings(var_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=_porta(), smtp_tls="nessuno")
    from archive.errors import StorageError

    with pytest.raises(StorageError, match="Server di posta non raggiungibile"):
        posta.invia(fermo, "ditta@example.it", "x", "y")


def test_recupera_password_dopo_lo_scollegamento(smtp, db_url, tmp_path) -> None:
    casella, porta = smtp
    s = Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="t", demo=True, smtp_host="127.0.0.1",
                 smtp_port=porta, smtp_tls="nessuno", identita_dir=tmp_path / "id")
    with TestClient(create_app(s), raise_server_exceptions=False) as c:
        tok = c.post("/auth/token", data={"username": "cait.mantova", "password": "curit-demo"}).json()["access_token"]
        cait = {"Authorization": f"Bearer {tok}"}
        [rossi] = c.get("/cait/manutentori", headers=cait).json()
        assert c.post(f"/cait/manutentori/{rossi['id']}/scollega", headers=cait,
                      json={"email": "Ufficio@RossiTermo.it"}).status_code == 200
        # unknown account: same answer, no mail
        r = c.post("/password/recupera", json={"identificativo": "nessuno@example.it"})
        assert r.status_code == 200 and casella.messaggi == []
        r = c.post("/password/recupera", json={"identificativo": "MA023456"})
        assert r.status_code == 200 and "password provvisoria" in r.json()["messaggio"]
        [(dest, msg)] = casella.messaggi
        assert dest == ["ufficio@rossitermo.it"]
        provvisoria = re.search(r"Password provvisoria: (\S+)", msg.get_content()).group(1)
        r = c.post("/auth/token", data={"username": "MA023456", "password": provvisoria})
        assert r.status_code == 200
        ma = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = c.post("/password/cambia", headers=ma, json={"attuale": provvisoria, "nuova": "x", "conferma": "y"})
        assert r.status_code == 422 and {e["campo"] for e in r.json()["errori"]} == {"nuova", "conferma"}
        r = c.post("/password/cambia", headers=ma, json={"attuale": provvisoria, "nuova": "Definitiva-2026",
                                                          "conferma": "Definitiva-2026"})
        assert r.status_code == 200
        assert c.post("/auth/token", data={"username": "MA023456", "password": provvisoria}).status_code == 401
        assert c.post("/auth/token", data={"username": "MA023456", "password": "Definitiva-2026"}).status_code == 200
