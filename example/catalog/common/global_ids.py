"""Relay global IDs: base64 of ``<TypeName>:<pk>``, the format the original API used."""

from __future__ import annotations

import base64
import binascii

from catalog.common.errors import ApiError, ErrorCode

MAX_ID_LENGTH = 128


def encode_global_id(type_name: str, pk: int) -> str:
    """Return the global ID of object ``pk`` of GraphQL type ``type_name``."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def decode_global_id(global_id: str, *, expected_type: str) -> int:
    """Return the primary key in ``global_id``; raise ``INVALID_ID`` if it is not one.

    Only the canonical form is accepted, the one :func:`encode_global_id` makes: an ID that
    decodes to the same key through other digits (``Product:01``, ``Product:1_0``, Arabic-Indic
    digits), spaces or padding is refused, so one product has exactly one ID.
    """
    if len(global_id) > MAX_ID_LENGTH:
        raise ApiError(ErrorCode.INVALID_ID, "The ID is too long to be one of ours.")
    try:
        raw = base64.b64decode(global_id.encode("ascii"), validate=True).decode("utf-8")
        type_name, _, pk_text = raw.partition(":")
        pk = int(pk_text)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ApiError(ErrorCode.INVALID_ID, f"{global_id!r} is not a valid ID.") from exc
    if type_name != expected_type:
        raise ApiError(
            ErrorCode.INVALID_ID,
            f"ID {global_id!r} is a {type_name or 'malformed'} ID, not a {expected_type}.",
        )
    if not 0 < pk < 2**63 or encode_global_id(type_name, pk) != global_id:
        raise ApiError(ErrorCode.INVALID_ID, f"{global_id!r} is not a valid ID.")
    return pk
