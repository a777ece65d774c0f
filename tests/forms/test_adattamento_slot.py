"""Issue 17: every slot of every document type, filled up to each field's maximum length.

For each registered type, hypothesis fills every free-text field of the example (every item of
its lists too) with text up to the field's maximum length, all in ONE document; the document is
laid out (one copy) and, for every slot (``data-campo``) holding such a value, the drawn glyph boxes
(pdfplumber) of the value must lie inside the slot's box: nothing clipped, nothing over a
neighbour. One character more than the maximum is refused in Italian, naming the field and its
maximum. A free-text field printed in a slot without a declared maximum fails the test.
Types without slots (letters and registers that flow) are checked for glyphs off the page.
"""

from __future__ import annotations

import copy
import io
import re
import typing
from collections.abc import Iterator
from types import UnionType
from typing import Annotated, Any, Union

import pdfplumber
import pytest
from annotated_types import MaxLen
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from pydantic import BaseModel
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from domain.errors import AppError
from renderers.pdf import AssetFetcher
from renderers.stamp import read_slots
from service.batch.moduli import StampaModulo
from service.produce import validate
from service.registry import DOCUMENT_TYPES, get_document_type
from service.settings import Settings

pytestmark = pytest.mark.xdist_group("adattamento_slot")

TOLLERANZA = 0.6
"""pt: anti-aliasing of glyph edges and WeasyPrint's px rounding. Vertically a glyph's box (the
font's ascent to descent, 1.16 em) exceeds a tight line (line-height 1) by 0.08 em each side:
0.12 em more is allowed above and below."""


# --- the free-text fields of a model ------------------------------------------------------

def _testo_libero(annotation: Any) -> tuple[bool, int | None]:
    """(is a free-text string, its maximum length) of an annotation: Annotated/Optional/Barrabile
    unwrapped; a pattern or a Literal is not free text."""
    meta: list[Any] = []
    stack = [annotation]
    libero = False
    while stack:
        t = stack.pop()
        origin = typing.get_origin(t)
        if origin is Annotated:
            args = typing.get_args(t)
            stack.append(args[0])
            for m in args[1:]:
                meta.extend(getattr(m, "metadata", None) or [m])
        elif origin in (Union, UnionType):
            stack.extend(typing.get_args(t))
        elif t is str:
            libero = True
    if any(getattr(m, "pattern", None) or hasattr(m, "func") for m in meta):
        return False, None  # a pattern or a validator: a code of fixed form (codice impianto, CAP, CF)
    massimi = [m.max_length for m in meta if isinstance(m, MaxLen)]
    return libero, (min(massimi) if massimi else None)


def _sottomodello(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(sub-model, is a list of it) of an annotation, if any."""
    stack = [annotation]
    while stack:
        t = stack.pop()
        origin = typing.get_origin(t)
        if origin is Annotated or origin in (Union, UnionType):
            stack.extend(typing.get_args(t)[:1] if origin is Annotated else typing.get_args(t))
        elif origin is list:
            inner, _ = _sottomodello(typing.get_args(t)[0])
            if inner is not None:
                return inner, True
        elif isinstance(t, type) and issubclass(t, BaseModel):
            return t, False
    return None, False


def campi_testo(model: type[BaseModel], dati: dict, prefisso: str = "") -> Iterator[tuple[str, dict, str, int | None]]:
    """(slot path, the dict holding it, key, maximum) of every free-text field present in ``dati``'s
    objects (list items as ``name[i]``)."""
    for nome, info in model.model_fields.items():
        sotto, lista = _sottomodello(info.annotation)
        valore = dati.get(nome)
        if sotto is not None:
            if lista and isinstance(valore, list):
                for i, item in enumerate(valore):
                    if isinstance(item, dict):
                        yield from campi_testo(sotto, item, f"{prefisso}{nome}[{i}].")
            elif isinstance(valore, dict):
                yield from campi_testo(sotto, valore, f"{prefisso}{nome}.")
            continue
        libero, massimo = _testo_libero(Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation)
        if libero:
            yield f"{prefisso}{nome}", dati, nome, massimo


# --- values -------------------------------------------------------------------------------

_ALFABETO = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789,.()/"
_PAROLA = st.text(st.sampled_from(_ALFABETO), min_size=1, max_size=12)


@st.composite
def _testo(draw, massimo: int) -> str:
    """Words of ≤ 12 characters, most often exactly ``massimo`` long."""
    lunghezza = draw(st.one_of(st.just(massimo), st.integers(1, massimo)))
    parole = draw(st.lists(_PAROLA, min_size=1, max_size=lunghezza))
    testo = " ".join(parole)
    while len(testo) < lunghezza:
        testo += " " + draw(_PAROLA)
    return testo[:lunghezza].strip() or "X"


def _riempi(code: str, draw) -> tuple[dict, dict[str, str]]:
    """The example of ``code`` with every free-text field (having a maximum) at hypothesis values;
    fields a rule of the type refuses with such a value keep the example's."""
    doc = get_document_type(code)
    dati = _esempio(code)
    originali = {}
    for percorso, holder, chiave, massimo in list(campi_testo(doc.model, dati)):
        corrente = holder.get(chiave)
        if massimo is None or corrente == "BARRATO" or (corrente in (None, "") and percorso.rsplit(".", 1)[-1] in _SOLO_SE_SCELTO):
            continue
        originali[percorso] = (holder, chiave, corrente)
        holder[chiave] = draw(_testo(massimo))
    for _ in range(6):
        try:  # validation, then what the layout resolves (an Ente's id…): a refusal names the field
            StampaModulo(doc, "normalizzato", Settings()).html(validate(doc, dati), (doc.copies or ("",))[:1])
            break
        except AppError as exc:
            errori = getattr(exc, "errors", None) or [exc]
            rifiutati = {".".join(str(p) for p in e.path) for e in errori}
            tolti = 0
            for percorso, (holder, chiave, corrente) in list(originali.items()):
                chiave_err = percorso.replace("[", ".").replace("]", "")
                if any(chiave_err == r or chiave_err.startswith((r + ".", r + "_")) or r.startswith(chiave_err)
                       for r in rifiutati) \
                        or not rifiutati - {""}:
                    holder[chiave] = corrente
                    del originali[percorso]
                    tolti += 1
            if not tolti:
                raise
    valori = {p: h[k] for p, (h, k, _) in originali.items()}
    return dati, valori


def _esempio(code: str) -> dict:
    """The type's example as the model's dict (a bare list, as for targhe, under its list field)."""
    doc = get_document_type(code)
    dati = copy.deepcopy(doc.example())
    if isinstance(dati, list):
        campo = next(n for n, f in doc.model.model_fields.items() if typing.get_origin(f.annotation) is list)
        dati = {campo: dati}
    return dati


_SOLO_SE_SCELTO = {"altro_testo", "interno_testo", "combustibile_altro", "fluido_altro", "interno_uso",
                   "destinazione_prevalente_altro", "destinazione_altro", "misure_impossibili",
                   "data_cessazione", "motivo_cessazione"}
"""Texts that only go with a choice ("Altro (specificare)"…): filled only when the example fills them."""


# --- layout and measure ----------------------------------------------------------------------

def _impagina(code: str, dati: dict) -> tuple[Any, bytes, set[str]]:
    """The laid-out document (one copy), its PDF and the slots struck through (BARRATO by a rule)."""
    s = Settings()
    doc = get_document_type(code)
    html = StampaModulo(doc, "normalizzato", s).html(validate(doc, dati), (doc.copies or ("",))[:1])
    document = HTML(string=html, base_url=str(s.templates_dir / doc.template) + "/",
                    url_fetcher=AssetFetcher((s.templates_dir, s.fonts_dir))).render(font_config=FontConfiguration())
    barrati = set(re.findall(r'class="[^"]*\bbarrat[oa][^"]*" data-campo="([^"]+)"', html))
    return document, document.write_pdf(), barrati


def _glifi_del_valore(chars: list[dict], valore: str, box: tuple[float, float, float, float]) -> list[dict] | None:
    """The drawn glyphs of ``valore`` (consecutive in drawing order, spaces ignored) nearest the slot."""
    visibili = [c for c in chars if c["text"].strip()]
    flat = "".join(c["text"] for c in visibili).casefold()
    cerca = valore.replace(" ", "").casefold()
    migliori, distanza = None, float("inf")
    i = flat.find(cerca)
    while i >= 0:
        glifi = visibili[i:i + len(cerca)]
        d = abs(glifi[0]["x0"] - box[0]) + abs(glifi[0]["top"] - box[1])
        if d < distanza:
            migliori, distanza = glifi, d
        i = flat.find(cerca, i + 1)
    return migliori


def misura(code: str, dati: dict, valori: dict[str, str]) -> list[str]:
    """Every way a value is clipped or out of its slot, in words."""
    document, pdf, barrati = _impagina(code, dati)
    pagine = read_slots(document)
    problemi = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for n, page in enumerate(doc.pages):
            fuori = [c["text"] for c in page.chars if c["text"].strip()
                     and (c["x0"] < -TOLLERANZA or c["x1"] > page.width + TOLLERANZA
                          or c["top"] < -TOLLERANZA or c["bottom"] > page.height + TOLLERANZA)]
            if fuori:
                problemi.append(f"pagina {n + 1}: testo fuori dalla pagina: {''.join(fuori)[:40]!r}")
        for n, cp in enumerate(pagine):
            page = doc.pages[n]
            for slot in cp.slots:
                valore = valori.get(slot.campo)
                if slot.kind != "text" or not valore or slot.campo in barrati:
                    continue
                box = (slot.x, cp.height - slot.y - slot.height, slot.x + slot.width, cp.height - slot.y)
                glifi = _glifi_del_valore(page.chars, valore, box)
                if glifi is None:
                    problemi.append(f"{slot.campo}: {valore!r} non disegnato per intero a pagina {n + 1}")
                    continue
                esce = [c["text"] for c in glifi
                        if c["x0"] < box[0] - TOLLERANZA or c["x1"] > box[2] + TOLLERANZA
                        or c["top"] < box[1] - TOLLERANZA - 0.12 * c["size"]
                        or c["bottom"] > box[3] + TOLLERANZA + 0.12 * c["size"]]
                if esce:
                    problemi.append(f"{slot.campo} ({len(valore)} car.): {''.join(esce)!r} fuori dal riquadro "
                                    f"{(box[2] - box[0]) / 2.835:.1f}×{(box[3] - box[1]) / 2.835:.1f} mm")
    return problemi


def _slot_testo(code: str) -> set[str]:
    """Slot names (``data-campo``) of the example's page, list items as ``name[i]`` (no layout needed)."""
    doc = get_document_type(code)
    html = StampaModulo(doc, "normalizzato", Settings()).html(validate(doc, _esempio(code)), (doc.copies or ("",))[:1])
    return set(re.findall(r'data-campo="([^"=]+)"', html))


TIPI = sorted(DOCUMENT_TYPES)


@pytest.mark.parametrize("code", TIPI)
def test_every_free_text_field_in_a_slot_has_a_maximum(code: str) -> None:
    doc = get_document_type(code)
    slot = _slot_testo(code)
    senza = [p for p, _, _, m in campi_testo(doc.model, _esempio(code)) if p in slot and m is None]
    assert not senza, f"{code}: campi stampati in un riquadro senza lunghezza massima: {senza}"


@pytest.mark.parametrize("code", TIPI)
@settings(max_examples=1, deadline=None, phases=[Phase.explicit, Phase.generate],  # no shrinking: one layout per example
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_values_up_to_the_maximum_fit_their_slots(code: str, data: st.DataObject) -> None:
    dati, valori = _riempi(code, data.draw)
    problemi = misura(code, dati, valori)
    assert not problemi, f"{code}:\n" + "\n".join(problemi)


@pytest.mark.parametrize("code", TIPI)
def test_past_the_maximum_refused_naming_the_field(code: str) -> None:
    doc = get_document_type(code)
    for percorso, holder, chiave, massimo in list(campi_testo(doc.model, dati := _esempio(code))):
        if massimo is None or holder.get(chiave) in (None, "", "BARRATO"):
            continue
        corrente = holder[chiave]
        holder[chiave] = "X" * (massimo + 1)
        with pytest.raises(AppError) as err:
            validate(doc, dati)
        holder[chiave] = corrente
        errori = getattr(err.value, "errors", None) or [err.value]
        testo = " ".join(str(e) for e in errori)
        assert f"al massimo {massimo} caratteri" in testo and chiave in testo, (percorso, testo)


def test_g_every_field_at_its_maximum_keeps_two_pages_per_copy() -> None:
    """The worst case at once (every free text at its maximum, wide glyphs, words of 10): the seed's
    structure, the form page + the Avvertenze page, with the signatures on the form page."""
    parole = iter(range(10**6))

    def massimo(strategia) -> str:
        n = int(re.search(r"_testo\((\d+)\)", repr(strategia)).group(1))
        testo = ""
        while len(testo) < n:
            testo += (" " if testo else "") + f"W{next(parole):09d}"
        return testo[:n].strip()

    dati, valori = _riempi("allegato-g", massimo)
    assert len(valori) >= 20 and all(len(v) >= 7 for v in valori.values()), valori
    document, pdf, _ = _impagina("allegato-g", dati)
    assert len(document.pages) == 2
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert "Timbro e firma dell’operatore" in (doc.pages[0].extract_text() or "")
    assert not misura("allegato-g", dati, valori)
