"""The encrypted package (``dsar export --encrypt``): the same zip, every member AES-256 encrypted (WinZip
AE-2: 7-Zip, WinZip, Keka and ``pyzipper`` open it; Windows Explorer and macOS Archive Utility do not), under a
generated passphrase that is shown once and sent to the subject by another channel than the package.

The plain package is written by :func:`aggregator.package.build` into a private folder (0700) beside the final
place and re-written member by member into the encrypted zip, which then gets its name atomically exactly as a
plain package does (the same temporary name pattern, mode 0600, :func:`aggregator.package._publish`); the plain
copy is deleted at once, also on failure or interruption. The passphrase is never stored: not in the register,
the manifest, the package or a log (the caller registers it with the redactor). Member names are not encrypted
(the zip format leaves them readable): categories, processors and attachment file names."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any
from zipfile import ZipFile

import pyzipper
from pyzipper.zipfile_aes import WZ_AES_V2

from aggregator import package
from aggregator.errors import InputError

# Crockford's base32 alphabet (no I, L, O, U): nothing to confuse when it is read out or typed over.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LENGTH = 5, 5            # 25 characters of 5 bits: 125 bits, shown as XXXXX-XXXXX-XXXXX-XXXXX-XXXXX
MIN_LENGTH = 16                        # a passphrase given through the API
_CHUNK = 1 << 20


def new_passphrase() -> str:
    """A fresh random passphrase (``secrets``): five groups of five base32 characters, 125 bits."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))


def check_passphrase(passphrase: str) -> bytes:
    """The passphrase as the zip uses it (UTF-8); InputError when it is too short or holds control characters."""
    if len(passphrase) < MIN_LENGTH:
        raise InputError(f"an encryption passphrase needs at least {MIN_LENGTH} characters")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in passphrase):
        raise InputError("an encryption passphrase cannot hold control characters")
    return passphrase.encode("utf-8")


def encrypt_zip(plain: Path, target: IO[bytes], passphrase: str) -> None:
    """Write every member of the zip ``plain`` into ``target`` as an AES-256 (AE-2) encrypted, deflated member
    with the same name, date and mode, streaming (no member is held in memory whole)."""
    pwd = check_passphrase(passphrase)
    with ZipFile(plain) as src, pyzipper.AESZipFile(target, "w", compression=pyzipper.ZIP_DEFLATED,
                                                    encryption=pyzipper.WZ_AES) as dst:
        dst.setpassword(pwd)
        # AE-2 everywhere: no CRC of the plain text beside the cipher text (the HMAC checks integrity).
        dst.setencryption(pyzipper.WZ_AES, nbits=256, force_wz_aes_version=WZ_AES_V2)
        for item in src.infolist():
            member = dst.zipinfo_cls(item.filename, date_time=item.date_time)
            member.compress_type = pyzipper.ZIP_DEFLATED
            member.external_attr = item.external_attr
            member.file_size = item.file_size          # decides ZIP64 for a large member, as the plain zip did
            with src.open(item) as reader, dst.open(member, "w") as writer:
                shutil.copyfileobj(reader, writer, _CHUNK)


def build(passphrase: str, out_dir: Path, info: package.RequestInfo, *args: Any, supersede: Path | None = None,
          **kwargs: Any) -> tuple[Path, str, dict[str, Any]]:
    """:func:`aggregator.package.build` (same arguments after ``passphrase``), the result encrypted: returns
    (path of the encrypted zip, its sha256, the manifest)."""
    check_passphrase(passphrase)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The plain zip is staged in a private (0700) folder of the system's temporary directory, like the spool, never
    # in the output folder (often a synced or shared delivery folder, where a hard kill would leave it behind).
    staging = Path(tempfile.mkdtemp(prefix=f"dsar-{info.request_id}-", suffix=".plain"))
    try:
        plain, _, manifest = package.build(staging, info, *args, **kwargs)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".dsar-{info.request_id}-", suffix=".zip.part")
        partial = Path(tmp)
        try:
            with os.fdopen(fd, "wb") as raw:
                encrypt_zip(plain, raw, passphrase)
                raw.flush()
                os.fsync(raw.fileno())
            plain.unlink()
            digest = _sha256(partial)
            supersede = supersede if supersede is not None and supersede.parent == out_dir else None
            final = package._publish(partial, out_dir, info.request_id, supersede)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final, digest, manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["build", "check_passphrase", "encrypt_zip", "new_passphrase"]
