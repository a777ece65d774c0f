"""One module per resource; each exposes ``router`` (collected by service/api/app.py)."""
