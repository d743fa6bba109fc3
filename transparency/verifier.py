"""``trust-verify.pyz``: the core package as one file (a zipapp built with the standard ``zipapp`` module).

An outsider runs ``python trust-verify.pyz BUNDLE --key log-key.pem`` with nothing installed but
``cryptography``. The archive is built once per process from the ``trustcore`` sources this server runs,
with fixed timestamps, so the same code always gives the same bytes (and the log page can show its hash).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipapp
from functools import cache
from pathlib import Path

import trustcore

FILENAME = "trust-verify.pyz"
_EPOCH = 1767225600  # 2026-01-01: fixed file times, so the same sources give the same archive
_MAIN = "import sys\n\nfrom trustcore.verify import main\n\nsys.exit(main())\n"


@cache
def verifier_pyz() -> bytes:
    """The zipapp's bytes: ``trustcore/*.py`` plus a ``__main__`` that exits with the verifier's status."""
    source = Path(trustcore.__file__).parent
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "app"
        package = root / "trustcore"
        package.mkdir(parents=True)
        for path in sorted(source.glob("*.py")):
            shutil.copyfile(path, package / path.name)
        (root / "__main__.py").write_text(_MAIN)
        for path in [root / "__main__.py", *package.iterdir()]:
            os.utime(path, (_EPOCH, _EPOCH))
        buffer = io.BytesIO()
        zipapp.create_archive(
            root,
            target=buffer,
            interpreter="/usr/bin/env python3",
            compressed=True,
            filter=lambda path: path.suffix == ".py",
        )
    return buffer.getvalue()


def verifier_sha256() -> str:
    return hashlib.sha256(verifier_pyz()).hexdigest()
