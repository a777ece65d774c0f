"""Pydantic models of the printed forms (Allegati A–M), keys as in FORMS.md."""
