"""Where files with personal data are kept, and how (docs/residents.md "Files").

Import files and their error reports hold clear ID and phone numbers. They are stored
through ``private_storage``: encrypted at rest with the personal-data key
(``residents.crypto``), in chunks of 64 KiB each sealed with AES-256-GCM (the chunk's
number and whether it is the last are bound in, so chunks cannot be reordered, dropped
or cut short unnoticed), in files and directories only the platform's user can read
(0600 / 0700). Opening a stored file gives the clear bytes in an unlinked temporary
file; ``clear_path`` gives a path for readers that want one and removes it afterwards.

Who may read them is ``residents.selectors.imports_visible_to`` (the importer and the
administrators above them); every download goes through ``import_file_download``, which
writes the access log. ``resident_files_purge`` deletes them after the retention.
A file stored before encryption existed (no header) is read as it is, and
``rotate_pii_key`` encrypts it.
"""

import contextlib
import os
import struct
import tempfile

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage

from residents import crypto

MAGIC = b"GOVENC1\n"
CHUNK = 64 * 1024
_AAD = b"governance file chunk"


def _aad(index: int, last: bool) -> bytes:
    return _AAD + struct.pack(">Q?", index, last)


def encrypt_stream(source, target, *, key: crypto.PiiKeys | None = None) -> None:
    """Write ``source`` (a binary file) to ``target`` encrypted."""
    aead = (key or crypto.keys()).aead
    target.write(MAGIC)
    index = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        nonce = os.urandom(crypto.NONCE_BYTES)
        sealed = aead.encrypt(nonce, chunk, _aad(index, last))
        target.write(struct.pack(">I", len(sealed)) + nonce + sealed)
        if last:
            return
        chunk, index = following, index + 1


def is_encrypted(source) -> bool:
    start = source.tell()
    head = source.read(len(MAGIC))
    source.seek(start)
    return head == MAGIC


def decrypt_stream(source, target) -> crypto.PiiKeys | None:
    """Write the clear content of ``source`` to ``target``; returns the key that opened
    it (``None`` for a file stored in clear before encryption existed)."""
    if not is_encrypted(source):
        while block := source.read(CHUNK):
            target.write(block)
        return None
    source.read(len(MAGIC))
    used = None
    index = 0
    while True:
        head = source.read(4)
        if len(head) < 4:
            raise InvalidTag("the encrypted file is cut short")
        (length,) = struct.unpack(">I", head)
        nonce = source.read(crypto.NONCE_BYTES)
        sealed = source.read(length)
        following = source.read(1)
        last = not following
        if following:
            source.seek(-1, os.SEEK_CUR)
        clear, used = _open_chunk(nonce, sealed, _aad(index, last), used)
        target.write(clear)
        if last:
            return used
        index += 1


def _open_chunk(nonce: bytes, sealed: bytes, aad: bytes, used):
    for key in ((used,) if used is not None else crypto.all_keys()):
        try:
            return key.aead.decrypt(nonce, sealed, aad), key
        except InvalidTag:
            continue
    raise InvalidTag("no configured personal-data key opens this file")


def private_temporary():
    """A clear scratch file for personal data (import spools, reports before they are
    stored): in var/tmp (0700), 0600 and unlinked at once, so it goes when closed."""
    directory = settings.VAR_DIR / "tmp"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return tempfile.TemporaryFile(dir=directory)  # created 0600 and already unlinked


class EncryptedFileSystemStorage(FileSystemStorage):
    """``FileSystemStorage`` under MEDIA_ROOT that encrypts what it saves (0600) and
    decrypts what it opens."""

    def __init__(self, **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    def _save(self, name, content):
        sealed = private_temporary()
        content.seek(0)
        encrypt_stream(content, sealed)
        sealed.seek(0)
        return super()._save(name, File(sealed, name=name))

    def _open(self, name, mode="rb"):
        clear = private_temporary()
        with super()._open(name, "rb") as stored:
            decrypt_stream(stored, clear)
        clear.seek(0)
        return File(clear, name=name)


_storage = EncryptedFileSystemStorage()


def private_storage():
    """The storage of import files and error reports (a callable, so that migrations do
    not copy its settings)."""
    return _storage


@contextlib.contextmanager
def clear_path(field_file):
    """A path to the clear content of a stored file, for readers that open a path;
    the file (0600, in var/tmp) is removed when the block ends."""
    directory = settings.VAR_DIR / "tmp"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    suffix = os.path.splitext(field_file.name)[1]
    descriptor, path = tempfile.mkstemp(dir=directory, suffix=suffix)
    try:
        with os.fdopen(descriptor, "wb") as target, field_file.storage.open(field_file.name, "rb") as source:
            while block := source.read(CHUNK):
                target.write(block)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def reencrypt(storage: FileSystemStorage, name: str) -> bool:
    """Encrypt a stored file under the current key (in place, atomically by rename);
    ``False`` when it already was. For ``rotate_pii_key``."""
    path = storage.path(name)
    with open(path, "rb") as stored:
        if is_encrypted(stored):
            clear = private_temporary()
            used = decrypt_stream(stored, clear)
            if used is not None and used.key_id == crypto.keys().key_id:
                return False
        else:
            clear = private_temporary()
            decrypt_stream(stored, clear)
    clear.seek(0)
    descriptor, staging = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(descriptor, "wb") as target:
        encrypt_stream(clear, target)
        target.flush()
        os.fsync(target.fileno())
    os.chmod(staging, 0o600)
    os.replace(staging, path)
    return True
