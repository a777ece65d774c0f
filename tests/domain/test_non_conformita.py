"""domain/non_conformita.py: the A1–A18 and C1–C14 catalogues (FORMS.md §2.15, §3.10)."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from domain.non_conformita import (
    CATALOGO_A,
    CATALOGO_B,
    NOTA_BENE,
    codici_per_allegato,
    non_conformita,
    verifica_codici,
)


def test_codici_per_allegato_in_ordine():
    assert codici_per_allegato("A") == tuple(f"A{n}" for n in range(1, 19))
    assert codici_per_allegato("B") == tuple(f"C{n}" for n in range(1, 15))


@pytest.mark.parametrize(
    ("codice", "testo"),
    [
        ("A1", "Presenza di apparecchi di tipo A ,di cottura e B e assenza ventilazione permanente nel locale"),
        ("A2", "Presenza di apparecchi di tipo A , di cottura e B con ventilazione permanente insufficiente"),
        ("A5", "Errata ubicazione (esempio autorimessa ecc..) di apparecchi a gas di tipo B o C"),
        ("A8", "Presenza di caminetti, aspiratori ecc.. che, in funzione, provocano rigurgiti fumi in ambiente da apparecchi di tipo B"),
        ("A12", "Caldaie di tipo C collegate a canne collettive ramificate (C.C.R.) in cui scaricano apparecchi di tipo B o viceversa"),
        ("A16", "Mancanza del rubinetto di intercettazione generale del gas all'interno dell'abitazione"),
        ("A18", "Canali da fumo irregolari in apparecchi di tipo B"),
        ("C1", "Ubicazione del locale centrale termica non conforme alle prescrizioni di legge"),
        ("C5", "Apertura di areazione del locale caldaie collocata in modo errato (non consente di evitare eventuali formazioni di sacche di gas)"),
        ("C10", "Assenza del rubinetto di intercettazione manuale esterno (dove previsto)"),
        ("C13", "Dall'esame visivo risultano perdite di combustibile liquido"),  # AMB-23
        ("C14", "Dall'esame visivo risultano perdite di fluido termovettore"),  # AMB-23
    ],
)
def test_testi_verbatim(codice, testo):
    assert non_conformita(codice).testo == testo


def test_titoli_e_nota_verbatim():
    assert CATALOGO_A.titolo == (
        "ELENCO DELLE NON CONFORMITA' PIU’ FREQUENTI RISCONTRABILI IN IMPIANTI TERMICI AUTONOMI A GAS "
        "(ED ALTRI APPARECCHI A GAS) CON POTENZA TERMICA AL FOCOLARE NOMINALE INFERIORE A 35 kW "
        "INSTALLATI ALL'INTERNO DI ABITAZIONI."
    )
    assert CATALOGO_B.titolo.startswith("ELENCO DELLE NON CONFORMITA' PIU’ FREQUENTI RISCONTRABILI IN IMPIANTI TERMICI CENTRALIZZATI")
    assert CATALOGO_B.titolo.endswith("COMPLESSIVA SUPERIORE O UGUALE A 35 kW.")
    assert NOTA_BENE.startswith("N.B. Le non conformità riportate in tabella")
    assert "l’ispettore che riscontra irregolarità non presenti in tabella" in NOTA_BENE  # typographic ’ kept
    assert NOTA_BENE.endswith("nel punto 10.a del rapporto medesimo.")


def test_testi_senza_spazi_doppi_e_unici():
    testi = [v.testo for v in (*CATALOGO_A.voci, *CATALOGO_B.voci)]
    assert all("  " not in t and t == t.strip() for t in testi)
    assert len(set(testi)) == len(testi) == 32


@pytest.mark.parametrize(("scritto", "atteso"), [("a7", "A7"), (" A 7 ", "A7"), ("c14", "C14")])
def test_lookup_tollerante(scritto, atteso):
    assert non_conformita(scritto).codice == atteso


@pytest.mark.parametrize(
    ("codice", "allegato", "frammento"),
    [("A19", None, "A1–A18 o C1–C14"), ("C15", "B", "C1–C14"), ("C3", "A", "nell'Allegato A"), ("A3", "B", "nell'Allegato B"), ("", None, "inesistente")],
)
def test_codice_sconosciuto(codice, allegato, frammento):
    with pytest.raises(RuleViolation) as exc:
        non_conformita(codice, allegato)
    assert frammento in exc.value.message
    assert exc.value.path == ("codici_nc",)


def test_allegato_sconosciuto():
    with pytest.raises(RuleViolation) as exc:
        codici_per_allegato("G")  # type: ignore[arg-type]
    assert exc.value.path == ("allegato",)


def test_verifica_codici():
    assert verifica_codici(["a1", "A18"], "A") == ("A1", "A18")
    with pytest.raises(RuleViolation) as exc:
        verifica_codici(["A1", "a1"], "A")
    assert exc.value.path == ("codici_nc", 1)
    assert "più volte" in exc.value.message
