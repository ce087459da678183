"""Relay global IDs: base64 of ``<TypeName>:<pk>``, the format the original API used."""

from __future__ import annotations

import base64
import binascii

from catalog.common.errors import ApiError, ErrorCode


def encode_global_id(type_name: str, pk: int) -> str:
    """Return the global ID of object ``pk`` of GraphQL type ``type_name``."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def decode_global_id(global_id: str, *, expected_type: str) -> int:
    """Return the primary key in ``global_id``; raise ``INVALID_ID`` if it is not one."""
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
    if pk <= 0 or pk >= 2**63:
        raise ApiError(ErrorCode.INVALID_ID, f"{global_id!r} is not a valid ID.")
    return pk
