"""Configuration, read once from ``CURIT_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
"""The project checkout: templates/, fonts/ and var/ live here."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CURIT_", env_file=".env", frozen=True, extra="ignore")

    var_dir: Path = ROOT / "var"
    """Working data of the embedded defaults (SQLite file, SeaweedFS data, identities, caches, jobs,
    secret key). Every path setting not set on its own lives under it (see ``_PERCORSI_DA_VAR_DIR``),
    so two installations with two ``CURIT_VAR_DIR`` share nothing."""

    db_url: str = f"sqlite:///{ROOT / 'var' / 'curit.db'}"
    """SQLAlchemy URL (default: ``var_dir/curit.db``). Production: ``postgresql+psycopg://user@host/db``."""

    templates_dir: Path = ROOT / "templates"
    fonts_dir: Path = ROOT / "fonts"

    modo_default: str = "normalizzato"
    """Form mode when none is asked for: ``facsimile`` or ``normalizzato`` (FORMS.md §0.6)."""

    s3_endpoint: str | None = None
    """``host:port``; None → ``curit-docs serve`` starts an embedded SeaweedFS."""
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "curit-archivio"
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    conservazione_anni_dichiarazioni: int = 5
    """Archive retention of a dichiarazione (F/G): years after the end of its validity window."""
    conservazione_anni_default: int = 10
    """Archive retention of other types: years after the end of the stagione of the document date."""
    conservazione_anni_per_tipo: dict[str, int] = {}
    """Per-type override, JSON: ``CURIT_CONSERVAZIONE_ANNI_PER_TIPO='{"allegato-a": 15}'``."""
    archivio_coda_attesa_s: float = 2.0
    """Outbox: seconds before the first retry of a failed S3 write (doubles each time)."""
    archivio_coda_attesa_max_s: float = 600.0
    """Outbox: longest wait between two retries."""
    archivio_coda_intervallo_s: float = 5.0
    """Outbox: how often ``serve`` and the worker look for due entries in the background (0 = never)."""
    conservazione_minima_giorni: int = 365
    """Retention of a document archived after its policy retention had ended: days from today."""

    secret_key: str | None = None
    """HMAC key of the API bearer tokens; None → generated once into ``var_dir/secret_key``."""
    token_minuti: int = 30
    """Lifetime of a bearer token (short-lived by design)."""
    max_richiesta_bytes: int = 5_000_000
    """Largest accepted request body."""
    demo: bool = False
    """Demo mode (``curit-docs serve --demo``, what ``make run`` starts): seed the demo dataset (Enti,
    CAIT, manutentori, users with password ``curit-demo``) into an empty database, create missing
    signing identities self-signed and trust them. Off: nothing is created, only ``trust_roots`` are trusted."""
    login_tentativi_utente: int = 5
    """Failed logins of one username within ``login_finestra_minuti`` before further attempts get 429."""
    login_tentativi_indirizzo: int = 20
    """Failed logins from one client address within ``login_finestra_minuti`` before further attempts get 429."""
    login_finestra_minuti: int = 15
    """Window of the login throttling (failed attempts are audit rows, so every replica sees them)."""
    api_key_giorni: int = 90
    """Default lifetime of a new API key (at most 365 days may be asked for)."""
    origini_console: tuple[str, ...] = ()
    """Extra origins (``https://host``) accepted on console form posts besides the request's own host."""
    demo_documenti: bool = True
    """With ``demo`` on and an S3 archive: issue a few signed demo documents into an empty archive."""
    processi_emissione: int = 0
    """Worker processes that render and sign for the server (``serve`` sets the cores when 0 and
    ``CURIT_PROCESSI_EMISSIONE`` is not given); 0 → in the calling process (CLI, tests)."""

    enti_file: Path | None = None
    """JSON registry of the Enti locali (format of ``domain/data/enti_lombardia.json``); None → the shipped one."""
    lettura_amb01: Literal["esclusiva", "inclusiva"] = "esclusiva"
    """AMB-01: a dichiarazione presented on 1 August is valid from the next 1 August (``esclusiva``)."""
    soglia_conf01_kw: Decimal = Decimal("116")
    """CONF-01: liquid-fuel threshold (kW) of the second mid-season combustion test."""

    identita_dir: Path = ROOT / "var" / "identita"
    """Signing identities (default: ``var_dir/identita``): ``<nome>.p12`` or ``<nome>/chiave.pem`` + ``<nome>/catena.pem`` (never in git)."""
    identita_password: SecretStr | None = None
    """Key passwords per identity as a JSON object: ``CURIT_IDENTITA_PASSWORD='{"ente-bergamo": "…"}'``."""
    tsa_url: str | None = None
    """RFC 3161 timestamp authority; set → PAdES B-T, None → B-B."""
    firma_livello: Literal["auto", "B-B", "B-T", "B-LT", "B-LTA"] = "auto"
    """PAdES level of issued documents: ``auto`` = B-T with ``tsa_url``, else B-B (works offline);
    ``B-LT``/``B-LTA`` (need ``tsa_url``) embed the validation data fetched from the OCSP/CRL addresses
    in the signing certificates, B-LTA then adds a document timestamp (docs/parts/conservazione-firme.md)."""
    rinnovo_marche_giorni: int = 90
    """``archivio rinnova-marche`` and its scheduled task: renew documents whose last timestamp's TSA
    certificate expires within this many days."""
    rinnovo_marche_ore: float = 24.0
    """How often the worker's scheduled task (Celery beat) runs the renewal; 0 = never."""
    trust_roots: tuple[Path, ...] = ()
    """PEM files of the CAs whose signatures ``verifica`` accepts (JSON list in the environment)."""
    firma_visibile_tipi: tuple[str, ...] = ()
    """Document type codes whose signature gets a visible appearance (``["allegato-g"]``)."""
    firma_output: bool = True
    """``curit-docs render`` signs what it issues unless ``--no-firma`` (the API always signs)."""
    archivia_output: bool = False
    """``curit-docs render`` also archives (S3 + index) unless ``--no-archivia`` (the API always archives)."""

    stampa_cache_dir: Path = ROOT / "var" / "cache" / "stampa"
    """Compiled print templates of the stamp engine (default: ``var_dir/cache/stampa``) (safe to delete: rebuilt on demand)."""
    contrassegno: bool = True
    """Seal every page of every signed, issued document with a contrassegno a stampa (QR, docs/parts/contrassegno.md).

    On by default; ``CURIT_CONTRASSEGNO=0`` turns it off. The code is placed in blank paper without
    scaling (templates keep a corner or a band for it where pages are full); a page with no room falls
    back to scaling its content (counted, logged). Etichette and targhe are print stock with their own
    code: never sealed (``domain.contrassegno.STAMPATI``)."""
    sigilli_fidati: Path | None = None
    """Folder of extra trusted seal public keys (``<identità>.pem``) for ``verifica-stampa``; the seal keys
    of this installation (``identita_dir/<identità>.sigillo.pem``) are always trusted."""
    url_verifica: str | None = None
    """Public base URL printed under the contrassegno (``https://curit.example.it``): the page ``/verifica/<id>``."""
    targhe_url_verifica: str | None = None
    """QR payload of the targhe: None → the bare codice impianto; set → this base URL + codice."""
    personalizzazioni_file: Path | None = None
    """Per-Ente targa/etichetta customisation, JSON ``{"<ente id>": {"targa": {…}, "etichetta": {…}}}``."""
    quote_enti_file: Path | None = None
    """Ente quota per band charged on every etichetta sale (JSON, shape of ``domain/data/quote_enti.json``),
    completed by each Ente's ``quote_ente`` customisation; None → the shipped EXAMPLE values in demo mode,
    no quota at all otherwise (sales refused)."""

    batch_dir: Path = ROOT / "var" / "lavori"
    """Batch jobs (default: ``var_dir/lavori``): one directory per job (manifest, chunks, outputs, report); shared by Celery workers
    unless ``CURIT_S3_ENDPOINT`` is set (then chunks travel through ``batch_s3_bucket``)."""
    batch_s3_bucket: str = "curit-lavori"
    """Plain S3 bucket (no Object Lock) where Celery workers leave chunk results under ``lavori/<id>/``."""
    batch_record_per_blocco: int = 200
    """Records per chunk of a batch job (fixed per job: chunks are the unit of resume and of Celery tasks)."""
    batch_enti_anomalie_file: Path | None = None
    """JSON ``{"<codice NC>": ["vvf", …]}`` linking anomalies to other competent bodies; None → project default."""
    celery_broker: str = "redis://127.0.0.1:6379/0"
    """Celery broker of ``curit-docs worker`` and distributed batch jobs (``CURIT_CELERY_BROKER``)."""
    celery_backend: str = "redis://127.0.0.1:6379/1"
    """Celery result backend (``CURIT_CELERY_BACKEND``)."""

    smtp_host: str | None = None
    """Outgoing mail server (``service/posta.py``); None → messages are written as ``.eml`` files
    into ``posta_dir`` (the demo console lists them under /console/posta)."""
    smtp_port: int = 587
    smtp_tls: Literal["starttls", "ssl", "nessuno"] = "starttls"
    """``starttls`` (submission, 587), ``ssl`` (implicit TLS, 465) or ``nessuno`` (plain, a local relay)."""
    smtp_utente: str | None = None
    smtp_password: SecretStr | None = None
    posta_mittente: str = "CURIT <noreply@curit.invalid>"
    """``From`` of outgoing mail (password recovery, scollegamento)."""
    posta_dir: Path | None = None
    """Folder of the embedded mail default; None → ``var_dir/posta``."""
    password_provvisoria_ore: int = 48
    """Hours a provisional password sent by e-mail stays valid (it must be replaced at first login)."""

    @model_validator(mode="before")
    @classmethod
    def _percorsi_da_var_dir(cls, data):
        """Path settings not given on their own derive from ``var_dir`` (not from the checkout)."""
        if isinstance(data, dict):
            var_dir = Path(data.get("var_dir") or ROOT / "var")
            for campo, percorso in _PERCORSI_DA_VAR_DIR.items():
                if data.get(campo) in (None, ""):
                    data[campo] = percorso(var_dir)
        return data


_PERCORSI_DA_VAR_DIR = {
    "db_url": lambda v: f"sqlite:///{v / 'curit.db'}",
    "identita_dir": lambda v: v / "identita",
    "stampa_cache_dir": lambda v: v / "cache" / "stampa",
    "batch_dir": lambda v: v / "lavori",
}
"""Settings whose default lives under ``var_dir`` (the secret key file, the embedded SeaweedFS data and
the error log are read from ``var_dir`` directly where they are used)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
