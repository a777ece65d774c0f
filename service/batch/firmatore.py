"""The signer of a local job's print files, loaded on the other core while the job starts.

A job's last step signs its print file (``service.batch.firme``): ~0.1 s of work after ~0.5 s of
loading the signing stack (pyHanko, cryptography) and the key. In a job printed by several
processes, the parent spends its first ~0.5 s importing the engine and reading the input on one core
while the other waits; :class:`Firmatore` is a process forked before that (from the command's first
lines: it copies almost nothing), which loads the signing stack on the idle core, at a lower priority
(``nice`` 10: what it has left to load gives way to the printers), and then waits. At the end
the parent hands it the print file and it signs at once: its key is loaded, its first
signature's CMS template made on a blank page, and what it loaded frozen out of the garbage
collector's walks as soon as the job is created. The signed bytes are those the parent would
have made (the same ``Emissione.firma_stampa``); a 1-process job signs in its own process as before.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from domain.errors import AppError
from service.batch.cartelle import nome_firmato, scrivi_atomico
from service.settings import Settings

__all__ = ["Firmatore", "firma_stampa"]


class Firmatore:
    """One forked process that signs print files as the job's issuer (``firma``) until :meth:`chiudi`."""

    def __init__(self, settings: Settings) -> None:
        contesto = get_context("fork")
        self._conn, figlio = contesto.Pipe()
        self._processo = contesto.Process(target=_servi, args=(figlio, settings), name="curit-firmatore", daemon=True)
        gc.freeze()  # the child shares this process's objects instead of copying them at its first GC
        try:
            self._processo.start()
        finally:
            gc.unfreeze()
        figlio.close()
        self._in_attesa = 0
        """Replies of :meth:`prepara` not read yet (read before the next request's)."""

    def prepara(self, emittente: str) -> None:
        """Load ``emittente``'s key now, while the job prints (not waited for: a key that does not
        load is reported by :meth:`firma`, which meets it again)."""
        with contextlib.suppress(OSError):
            self._conn.send(("prepara", emittente))
            self._in_attesa += 1

    def firma(self, cartella: Path, nome: str, tipo: str, emittente: str) -> str:
        """Sign ``cartella/nome`` as ``emittente`` (document type ``tipo``); the signed file's name."""
        from renderers.errors import RenderError
        from service.lavoratori import _ricostruisci

        try:
            while self._in_attesa:
                self._conn.recv()
                self._in_attesa -= 1
            self._conn.send(("firma", str(cartella), nome, tipo, emittente))
            esito, valore = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise RenderError("Il processo di firma delle stampe si è interrotto: riprovare con --riprendi.") from exc
        if esito == "errore":
            raise _ricostruisci(valore)
        if esito == "guasto":
            raise RuntimeError(f"Firma della stampa {nome} non riuscita: {valore}")
        return valore

    def chiudi(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._processo.join(10)
        self.abbandona()

    def abbandona(self) -> None:
        if self._processo.is_alive():
            self._processo.kill()
            self._processo.join()
        self._conn.close()


def _servi(conn: Any, settings: Settings) -> None:
    """The signer's loop: load the stack now, then sign each print file the parent sends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the job's: it stops this process (abbandona)
    # it loads in the cores' spare time: the printers and the parent go first (A/B, 1,500 G with 2
    # processes: 4.62 s instead of 4.82; 300 G: median 1.52 instead of 1.57)
    with contextlib.suppress(OSError):
        os.nice(10)
    with contextlib.suppress(Exception):  # best effort: whatever fails here fails, and is reported, when signing
        _emissione_di(settings)  # the signing stack, loaded while the parent works
    gc.freeze()  # what is loaded stays: the collections while signing do not walk it (~0.07 s on 1,800 pages)
    while True:
        try:
            richiesta = conn.recv()
        except (EOFError, OSError):
            return
        if richiesta is None:
            return
        try:
            if richiesta[0] == "prepara":
                from service.firma import spec_per_tipo

                # the key, and the first signature's CMS template (a blank page, thrown away; not for a
                # token nor with a timestamp: renderers.sign.Firmatario.scalda)
                _emissione_di(settings).firmatario(richiesta[1]).scalda(spec_per_tipo(None, settings=settings))
                gc.freeze()
                conn.send(("ok", None))
                continue
            _, cartella, nome, tipo, emittente = richiesta
            conn.send(("ok", _firma(Path(cartella), nome, tipo, emittente, settings)))
        except AppError as exc:
            from service.lavoratori import _trasportabile

            conn.send(("errore", _trasportabile(exc)))
        except Exception as exc:  # noqa: BLE001 - reported by the parent as an internal error
            conn.send(("guasto", repr(exc)))


_emissione: Any = None


def _emissione_di(settings: Settings) -> Any:
    from service.emissione import Emissione

    global _emissione
    if _emissione is None:
        _emissione = Emissione(settings)
    return _emissione


def _firma(cartella: Path, nome: str, tipo: str, emittente: str, settings: Settings) -> str:
    return firma_stampa(_emissione_di(settings), cartella, nome, tipo, emittente)


def firma_stampa(emissione: Any, cartella: Path, nome: str, tipo: str, emittente: str) -> str:
    """Sign the print file ``cartella/nome`` (document type ``tipo``) once as ``emittente`` with
    ``emissione`` (``Emissione.firma_stampa``); the signed twin's name."""
    from service.emissione import organizzazione

    org = organizzazione(emittente, emissione.registro)
    emesso = emissione.firma_stampa((cartella / nome).read_bytes(), tipo=tipo, emittente=emittente,
                                    ente=org.id if org.tipo == "ente" else None,
                                    cait=org.id if org.tipo == "cait" else None)
    firmato = nome_firmato(nome)
    scrivi_atomico(cartella / firmato, emesso.pdf)
    return firmato
