"""Jinja2 environment over the templates shipped in the wheel (package `fixgen.templates`)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import jinja2


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("fixgen.templates"))),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(name: str, **values: object) -> str:
    return environment().get_template(name).render(**values)
