"""Styled Italian error pages for console paths (403, 404, 422, 500…): the API keeps its JSON
``{"errori": …}``, a person in the browser gets the site layout, a title naming the problem, the
message and the way back (menu of its role when its session is still open)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

log = logging.getLogger("curit.console")

TITOLI = {
    400: "Richiesta non valida",
    401: "Accesso richiesto",
    403: "Operazione non consentita",
    404: "Pagina non trovata",
    405: "Operazione non consentita",
    409: "Operazione non eseguibile",
    413: "File troppo grande",
    422: "Dati non validi",
    429: "Troppi tentativi",
    500: "Errore interno",
    503: "Servizio momentaneamente non disponibile",
}

MESSAGGI = {
    403: "Questa pagina o operazione non è consentita al proprio ruolo. Usare il menu per le pagine disponibili.",
    404: "La pagina richiesta non esiste o il documento non è visibile a questo utente. Controllare l'indirizzo "
         "o tornare alla Home.",
}


def _utente(request: Request) -> Any:
    """The console user of the request's cookie, or None (never raises: the page must render)."""
    settings = getattr(request.app.state, "curit_settings", None)
    if settings is None:
        return None
    try:
        from service.api.deps import state_for
        from service.console import utente_da_cookie

        state = state_for(settings)
        with state.sessions() as session:
            return utente_da_cookie(request, state, session)
    except Exception:  # noqa: BLE001 - an error page without the menu is better than none
        log.debug("utente non determinato per la pagina di errore", exc_info=True)
        return None


def pagina_errore(request: Request, status: int, messaggio: str, *, headers: Any = None) -> HTMLResponse:
    from service.console import pagina

    generico = messaggio in ("Operazione non consentita per questo utente.", "Risorsa non trovata.")
    testo = MESSAGGI.get(status, messaggio) if generico else messaggio
    titolo = TITOLI.get(status, "Operazione non riuscita")
    response = pagina(request, "errore", utente=_utente(request), titolo=titolo, status=status, messaggio=testo,
                      codice=status)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response
