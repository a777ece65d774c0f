"""S3 retention as servers write it → values: timestamps with any fraction, the end-of-day rule,
the retention of one version (``GET ?retention``) and comparison to the second.

Ceph RGW writes ``RetainUntilDate`` with nine fractional digits, which minio-py 7.2 cannot
parse: everything here reads timestamps tolerantly.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

__all__ = ["Ritenzione", "fine_conservazione", "leggi_ritenzione", "parse_s3_datetime", "stesso_istante"]


_S3_DT = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


def parse_s3_datetime(text: str) -> datetime:
    """ISO 8601 as S3 servers write it, any number of fractional digits (RGW writes nine)."""
    m = _S3_DT.match(text.strip())
    if not m:
        raise ValueError(f"not an S3 timestamp: {text!r}")
    base, frac, tz = m.groups()
    micro = (frac or "0")[:6].ljust(6, "0")
    offset = "+00:00" if tz in (None, "Z") else tz
    return datetime.fromisoformat(f"{base}.{micro}{offset}")


def fine_conservazione(d: date | datetime) -> datetime:
    """Retention of a date: to the end of that day (UTC); a datetime is taken as it is."""
    if isinstance(d, datetime):
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
    return datetime.combine(d, time(23, 59, 59), tzinfo=timezone.utc)


@dataclass(frozen=True)
class Ritenzione:
    """The retention S3 reports for one version (``GET ?retention``); both None when it has none."""

    mode: str | None
    until: datetime | None

    def descrizione(self) -> str:
        if self.mode is None or self.until is None:
            return "nessuna conservazione"
        return f"{self.mode} fino al {self.until.strftime('%d/%m/%Y %H:%M:%S')} UTC"



def leggi_ritenzione(xml: str) -> Ritenzione:
    root = ET.fromstring(xml)
    mode = until = None
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "Mode" and el.text:
            mode = el.text.strip().upper()
        elif tag == "RetainUntilDate" and el.text:
            until = parse_s3_datetime(el.text)
    return Ritenzione(mode, until)


def stesso_istante(a: datetime, b: datetime) -> bool:
    """Equal to the second (servers keep whole seconds; we never ask for fractions)."""
    return a.replace(microsecond=0) == b.replace(microsecond=0)
