"""Protection of residents' ID and phone numbers at rest (DESIGN §4 个人信息保护).

Each protected value is stored three ways:

- ``*_cipher``: AES-256-GCM of the normalised value (12-byte random nonce ‖ ciphertext
  ‖ tag), readable only with the key; the field name is bound in as associated data, so
  a phone cipher pasted into the ID column does not decrypt;
- ``*_hash``: keyed HMAC-SHA256 of the normalised value (hex), indexed, for exact
  lookup and as the upsert key; without the key it cannot be brute-forced from the
  small space of valid ID or phone numbers;
- ``*_mask``: the masked rendering shown everywhere by default.

The encryption and HMAC keys are derived (HKDF-SHA256) from one master key: the
environment's ``GOVERNANCE_PII_KEY``, or in the embedded mode a key file created under
the var directory on first use (mode 0600).

Rotation (``manage.py rotate_pii_key``, docs/residents.md): the previous master keys
listed in ``GOVERNANCE_PII_OLD_KEYS`` stay readable — ``decrypt`` tries the current key
first, then each old one (AES-GCM's tag tells a wrong key) — and lookups match the
keyed hash under every key (``lookup_hashes``) until the command has moved every value.
"""

import base64
import functools
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed

from residents.ids import id_identity
from residents.phones import phone_mask

NONCE_BYTES = 12


class PiiKeys:
    def __init__(self, master: bytes):
        self.aead = AESGCM(_derive(master, b"governance residents aes-gcm v1"))
        self.hmac_key = _derive(master, b"governance residents hmac-sha256 v1")
        # A public name of the key (for logs and the rotation's progress), not a secret.
        self.key_id = _derive(master, b"governance key id v1")[:6].hex()


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _key_file_master(path: Path) -> bytes:
    """Read the embedded-mode key file, creating it (0600, exclusively) when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_text().strip(), validate=True)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return base64.b64decode(path.read_text().strip(), validate=True)


@functools.cache
def keys() -> PiiKeys:
    if settings.GOVERNANCE_PII_KEY:
        master = base64.b64decode(settings.GOVERNANCE_PII_KEY, validate=True)
    else:
        master = _key_file_master(Path(settings.PII_KEY_FILE))
    if len(master) != 32:
        raise ValueError("the personal-data key must be 32 bytes")
    return PiiKeys(master)


@functools.cache
def old_keys() -> tuple[PiiKeys, ...]:
    """The previous keys still readable during a rotation (``GOVERNANCE_PII_OLD_KEYS``)."""
    masters = [base64.b64decode(item.strip(), validate=True) for item in getattr(settings, "GOVERNANCE_PII_OLD_KEYS", []) or []
               if item.strip()]
    current = keys().key_id
    return tuple(item for item in (PiiKeys(master) for master in masters) if item.key_id != current)


def all_keys() -> tuple[PiiKeys, ...]:
    return (keys(), *old_keys())


def _forget_keys(*, setting, **kwargs):
    if setting in ("GOVERNANCE_PII_KEY", "PII_KEY_FILE", "GOVERNANCE_PII_OLD_KEYS"):
        keys.cache_clear()
        old_keys.cache_clear()


setting_changed.connect(_forget_keys)


def encrypt(value: str, *, field: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + keys().aead.encrypt(nonce, value.encode(), field.encode())


def decrypt_with(blob: bytes, *, field: str) -> tuple[str, PiiKeys]:
    """The clear value and the key that opened it (the current key first)."""
    blob = bytes(blob)
    for candidate in all_keys():
        try:
            return candidate.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], field.encode()).decode(), candidate
        except InvalidTag:
            continue
    raise InvalidTag("no configured personal-data key opens this value")


def decrypt(blob: bytes, *, field: str) -> str:
    return decrypt_with(blob, field=field)[0]


def hashed_form(value: str, *, field: str) -> str:
    """What the keyed hash is taken of: the value, or for an ID number its 18-character
    form (a 15-digit number and its upgrade are one person)."""
    return id_identity(value) if field == "id_number" else value


def lookup_hash(value: str, *, field: str, key: PiiKeys | None = None) -> str:
    """The keyed hash of a normalised value, as stored in the ``*_hash`` column."""
    return hmac.digest((key or keys()).hmac_key, f"{field}:{hashed_form(value, field=field)}".encode(), hashlib.sha256).hex()


def lookup_hashes(value: str, *, field: str) -> list[str]:
    """The value's hash under the current key and, during a rotation, the old ones."""
    return [lookup_hash(value, field=field, key=item) for item in all_keys()]


def protect(value: str, *, field: str) -> tuple[bytes, str, str]:
    """(cipher, hash, mask) of a normalised value; empty value → empty parts."""
    if not value:
        return b"", "", ""
    return encrypt(value, field=field), lookup_hash(value, field=field), mask(value, field=field)


# --- Masks ------------------------------------------------------------------------------


def mask_id_number(value: str) -> str:
    """``4313**********0012``: region prefix and last four, as public notices show."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


MASKS = {"id_number": mask_id_number, "phone": phone_mask}
mask_phone = phone_mask


def mask(value: str, *, field: str) -> str:
    return MASKS[field](value)
