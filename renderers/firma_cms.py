"""Document digest + a raw signature → the CMS of a PAdES B-B signature, from a template.

pyHanko assembles each signature's CMS ``SignedData`` with asn1crypto, which rebuilds and
re-serialises the whole structure (signer info, signed attributes, certificates) for every
document: about half of a B-B signature's cost. Yet with one identity, PAdES (no signing-time
attribute) and no timestamp, two such CMS differ in exactly two places: the ``messageDigest``
attribute (the document's digest) and the signature value over the signed attributes.

:class:`SignerConModello` therefore lets pyHanko build the first CMS of each configuration and
keeps its DER as a template; later documents of that configuration get the template with their
own digest written into the signed attributes and their own signature (computed by the key,
as always, over those attributes). Anything else (a timestamp, B-LT attributes, CAdES
attributes, MAC or other unsigned attributes, a signature of another length, as ECDSA ones may
be) goes through pyHanko unchanged. A template is used only after it reproduced, byte for
byte, the CMS pyHanko built from it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from asn1crypto import cms
from pyhanko.sign import signers

__all__ = ["SignerConModello"]

_ATTRIBUTI_COSTANTI = frozenset({"content_type", "message_digest", "signing_certificate",
                                 "signing_certificate_v2"})
"""Signed attributes a template may hold: all constant for one identity but the digest."""


@dataclass(frozen=True)
class _Modello:
    der: bytes
    """The whole ContentInfo of the first signature."""
    attributi: tuple[int, int]
    """Where the signed attributes (``[0] IMPLICIT SET``) lie in ``der``."""
    digest: int
    """Offset of the ``messageDigest`` value inside the signed attributes."""
    firma: tuple[int, int]
    """Where the signature value lies in ``der``."""

    def cms(self, attributi: bytes, firma: bytes) -> bytes:
        (a0, a1), (f0, f1) = self.attributi, self.firma
        return self.der[:a0] + attributi + self.der[a1:f0] + firma + self.der[f1:]

    def attributi_per(self, digest: bytes) -> bytes:
        a0, a1 = self.attributi
        attributi = self.der[a0:a1]
        return attributi[:self.digest] + digest + attributi[self.digest + len(digest):]


def _modello(info: cms.ContentInfo, digest: bytes) -> _Modello | None:
    """The template of ``info`` (signed over ``digest``), or None when it is not one."""
    der = info.dump()
    firmatari = info["content"]["signer_infos"]
    if len(firmatari) != 1:
        return None
    si = firmatari[0]
    attributi = si["signed_attrs"]
    tipi = {a["type"].native for a in attributi}
    if not tipi <= _ATTRIBUTI_COSTANTI or si["unsigned_attrs"].native:
        return None
    a_der, firma = attributi.dump(), si["signature"].native
    if der.count(a_der) != 1 or der.count(firma) != 1 or a_der.count(digest) != 1:
        return None
    a0 = der.index(a_der)
    f0 = der.index(firma)
    modello = _Modello(der, (a0, a0 + len(a_der)), a_der.index(digest), (f0, f0 + len(firma)))
    if a0 + len(a_der) > f0 or modello.cms(modello.attributi_per(digest), firma) != der:
        return None
    return modello


class SignerConModello(signers.Signer):
    """A pyHanko ``Signer`` whose PAdES B-B CMS after the first comes from a template."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - pyHanko's Signer arguments
        super().__init__(*args, **kwargs)
        self._modelli: dict[tuple, _Modello | None] = {}
        self._lock_modelli = threading.Lock()

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run: bool = False,
                         use_pades: bool = False, timestamper=None, signed_attr_settings=None,  # noqa: ANN001
                         is_pdf_sig: bool = True, encap_content_info=None) -> cms.ContentInfo:  # noqa: ANN001
        chiave = self._chiave_modello(digest_algorithm, dry_run, use_pades, timestamper, signed_attr_settings,
                                      is_pdf_sig, encap_content_info)
        modello = self._modelli.get(chiave) if chiave else None
        if modello is not None:
            attributi = modello.attributi_per(data_digest)
            # the signature covers the attributes as a SET (tag 0x31), not as the [0] of SignerInfo
            firma = await self.async_sign_raw(b"\x31" + attributi[1:], digest_algorithm.lower())
            a0, a1 = modello.firma
            if len(firma) == a1 - a0:
                return cms.ContentInfo.load(modello.cms(attributi, firma))
        info = await super().async_sign(
            data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades, timestamper=timestamper,
            signed_attr_settings=signed_attr_settings, is_pdf_sig=is_pdf_sig, encap_content_info=encap_content_info,
        )
        if chiave is not None and chiave not in self._modelli:
            with self._lock_modelli:
                self._modelli.setdefault(chiave, _modello(info, data_digest))
        return info

    def _chiave_modello(self, digest_algorithm: str, dry_run: bool, use_pades: bool, timestamper,  # noqa: ANN001
                        attr, is_pdf_sig: bool, encap) -> tuple | None:  # noqa: ANN001
        """The configuration a template is for; None when this signature may not use one."""
        if (dry_run or not use_pades or timestamper is not None or encap is not None or not is_pdf_sig
                or self.signed_attr_prov_spec is not None or self.unsigned_attr_prov_spec is not None):
            return None
        if attr is not None and (attr.adobe_revinfo_attr is not None or attr.cades_signed_attrs is not None):
            return None
        return (digest_algorithm.lower(),)
