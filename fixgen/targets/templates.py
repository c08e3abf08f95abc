"""Jinja2 environment over the templates shipped in the wheel (package `fixgen.templates`).

Templates print only `Code` (text a renderer built in the target language) and numbers.
Anything else must pass through one of the escaping filters (fixgen.escape), so a template
cannot paste outside text into a file by accident: a plain string fails the render.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import jinja2

from fixgen import escape


class Code(str):
    """Text written in the output language by a renderer: printed by templates as it is."""


def _finalize(value: object) -> object:
    if isinstance(value, Code) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, jinja2.Undefined):
        return ""
    raise TypeError(f"a template was given {type(value).__name__} {str(value)[:60]!r}: "
                    "escape it with a filter (sql_comment, php_comment, py_comment, py_docstring, php, py) "
                    "or build it as Code")


def _code(fn):  # noqa: ANN001, ANN202 - a filter: text in, Code out
    return lambda value: Code(fn(value))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("fixgen.templates"))),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
    )
    env.filters.update({
        "sql_comment": _code(escape.sql_comment),
        "php_comment": _code(escape.php_comment),
        "py_comment": _code(escape.py_comment),
        "py_docstring": _code(escape.py_docstring),
        "php": _code(escape.php_string),
        "py": _code(escape.py_string),
    })
    return env


def render(name: str, **values: object) -> str:
    return environment().get_template(name).render(**values)
