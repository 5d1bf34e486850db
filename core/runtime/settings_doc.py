"""The configuration reference in README.md, generated from the `Settings` model.

`make docs` (= `python -m core.runtime.settings_doc README.md`) rewrites the part of README.md between
the markers below; tests/core/test_settings_doc.py fails when that part is out of date.
"""

from __future__ import annotations

import json
import re
import sys
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from core.runtime.settings import Settings

START = "<!-- settings:start -->"
END = "<!-- settings:end -->"
ENV_PREFIX = Settings.model_config.get("env_prefix", "")
# A value named like this is a secret even when typed as a plain str: its default is never printed.
SECRET_NAME = re.compile(r"(^|_)(token|secret|password|api_key)$")
_BOUNDS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))  # constraint objects in Field.metadata


def env_name(field_name: str) -> str:
    return f"{ENV_PREFIX}{field_name}".upper()


def is_secret(name: str, field: FieldInfo) -> bool:
    return _mentions_secretstr(field.annotation) or bool(SECRET_NAME.search(name))


def _mentions_secretstr(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_mentions_secretstr(arg) for arg in typing.get_args(annotation))


def type_label(annotation: Any) -> str:
    """`str | None`, `list[date]`, `dict[str, int]`… as a reader would write them."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_label(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(type_label(arg) for arg in typing.get_args(annotation))
        return f"{origin.__name__}[{args}]"
    if annotation is type(None):
        return "None"
    if annotation is SecretStr:
        return "str"
    return getattr(annotation, "__name__", str(annotation))


def bounds_label(field: FieldInfo) -> str:
    parts = []
    for meta in field.metadata:
        for attr, symbol in _BOUNDS:
            if getattr(meta, attr, None) is not None:
                parts.append(f"{symbol} {getattr(meta, attr)}")
    return ", ".join(parts)


def default_label(name: str, field: FieldInfo) -> str:
    """The default as it would be written in the environment (JSON for lists and mappings)."""
    if is_secret(name, field):
        return "(secret)"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "—"
    if isinstance(value, (list, tuple, dict)):
        text = json.dumps(value, ensure_ascii=False, default=_json_default)
    else:
        text = str(value)
    return f"`{text}`"


def _json_default(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot show default {value!r}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_markdown() -> str:
    rows = ["| variable | type | default | description |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        kind = type_label(field.annotation)
        bounds = bounds_label(field)
        kind = f"{kind} ({bounds})" if bounds else kind
        rows.append(
            "| "
            + " | ".join(
                [
                    f"`{env_name(name)}`",
                    _cell(f"`{kind}`"),
                    _cell(default_label(name, field)),
                    _cell(field.description or ""),
                ]
            )
            + " |"
        )
    return "\n".join(rows) + "\n"


def replace_section(document: str, section: str) -> str:
    """`document` with the text between the markers replaced by `section`."""
    start, end = document.find(START), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {START} … {END} not found")
    return document[: start + len(START)] + "\n" + section + document[end:]


def current_section(document: str) -> str:
    start, end = document.find(START), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {START} … {END} not found")
    return document[start + len(START) : end].removeprefix("\n")


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])] or [Path("README.md")]
    section = settings_markdown()
    for path in paths:
        before = path.read_text(encoding="utf-8")
        after = replace_section(before, section)
        if after != before:
            path.write_text(after, encoding="utf-8")
            print(f"{path}: configuration reference updated")
        else:
            print(f"{path}: configuration reference already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
