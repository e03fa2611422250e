#!/usr/bin/env python3
"""A stand-in for `pip install DIR`: checks DIR is this project, installs nothing
(the `reconciler` on PATH is already this checkout's)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

args = sys.argv[1:]
if len(args) != 2 or args[0] != "install":
    print(f"fake pip: unsupported: pip {' '.join(args)}", file=sys.stderr)
    raise SystemExit(1)
pyproject = Path(args[1]) / "pyproject.toml"
if not pyproject.is_file() or tomllib.loads(pyproject.read_text())["project"]["name"] != "reconciler":
    print(f"fake pip: {args[1]} is not the reconciler project", file=sys.stderr)
    raise SystemExit(1)
print(f"fake pip: would install {args[1]}")
