"""Combustion rules of the rapporti di prova (Allegati A and B): values in, Decimals out.

Sources: Disposizioni 18/09/2007 (seed S1), manuals of Allegato A (L2076–2687) and
Allegato B (L3064–3694); FORMS.md §2.9–§2.14 and §4. Every ambiguity of the seed that
these modules resolve is one named setting or function whose docstring cites its AMB id
(FORMS.md §22); ``docs/parts/regole-combustione.md`` lists them in a table.

One module per part; import from the module itself (this package re-exports nothing):

- ``combustibili``: the technical class of the fuel ticked in 2.d and what it decides
  (UNI 10389 or not, liquid or gaseous);
- ``rendimento``: installation bracket and η min (8.d, FORMS.md §4), Log Pn and rounding
  (AMB-24, AMB-25), the measured combustion efficiency (Siegert), "+2" and the verdict,
  65 + 3 log Pn;
- ``fumi``: section-7 means, indice d'aria and CO corretto (8.b), Bacharach (7.a, 8.c);
- ``potenza``: power at the burner from the fuel flow (3.l / 5.m), kcal/h → kW (3.i).

Nothing here reads settings, files or the clock. Inputs are ``Decimal``; a bad input
raises ``RuleViolation`` with an Italian message and a field path (pydantic ``loc`` shape).
"""

__all__: list[str] = []
