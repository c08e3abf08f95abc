"""Small edits of libcst nodes that keep the code's own layout: an argument or a tuple element added where the
others are, with the commas and line breaks the neighbours have (one per line stays one per line, a trailing
comma stays), or taken out without leaving a gap."""

from __future__ import annotations

from typing import Any

import libcst as cst


def parse_arg(code: str) -> cst.Arg:
    """`index=True` or `ForeignKey(...)` as an argument node (with the no-space `=` of a keyword)."""
    call = cst.parse_expression(f"f({code})")
    assert isinstance(call, cst.Call)
    return call.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)


def parse_element(code: str) -> cst.Element:
    tup = cst.parse_expression(f"({code},)")
    assert isinstance(tup, cst.Tuple)
    return tup.elements[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)


def _multiline(items: list[Any]) -> bool:
    return any(isinstance(i.comma, cst.Comma) and isinstance(i.comma.whitespace_after, cst.ParenthesizedWhitespace)
               for i in items)


def _inner_comma(items: list[Any], opening: Any) -> cst.Comma:
    """The comma between two items: like the others', or after `(` on its own line, a comma then that line break."""
    for i in items[:-1]:
        if isinstance(i.comma, cst.Comma):
            return _bare(i.comma)
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return _bare(cst.Comma(whitespace_after=opening))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _bare(comma: cst.Comma) -> cst.Comma:
    """A neighbour's comma without its comment or the blank and comment lines after it: the layout, not the words."""
    ws = comma.whitespace_after
    if isinstance(ws, cst.ParenthesizedWhitespace):
        ws = ws.with_changes(first_line=cst.TrailingWhitespace(newline=ws.first_line.newline), empty_lines=[])
    return comma.with_changes(whitespace_after=ws)


def insert(items: list[Any], new: Any, at: int, opening: Any) -> list[Any]:
    """`items` (Args or Elements) with `new` at position `at`, punctuated like its neighbours."""
    items = list(items)
    if not items:
        return [new]
    comma = _inner_comma(items, opening)
    if at >= len(items):
        last = items[-1]
        trailing = last.comma
        if isinstance(last, cst.Arg):  # the space before `)` (a line break) moves along, behind the new last one
            items[-1] = last.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace(""))
            return [*items, new.with_changes(comma=trailing, whitespace_after_arg=last.whitespace_after_arg)]
        items[-1] = last.with_changes(comma=comma)
        return [*items, new.with_changes(comma=trailing)]
    return [*items[:at], new.with_changes(comma=comma), *items[at:]]


def remove(items: list[Any], at: int) -> list[Any]:
    items = list(items)
    gone = items.pop(at)
    if items and at == len(items):  # the last one went: its predecessor takes its ending (trailing comma or none)
        items[-1] = items[-1].with_changes(comma=gone.comma)
    return items


def add_arg(call: cst.Call, code: str, positional: bool = False) -> cst.Call:
    """The call with one more argument: a keyword last, a positional one after the other positional ones."""
    args = list(call.args)
    at = len(args)
    if positional:
        at = next((i for i, a in enumerate(args) if a.keyword is not None or a.star), len(args))
    return call.with_changes(args=insert(args, parse_arg(code), at, call.whitespace_before_args))


def set_kwarg(call: cst.Call, name: str, code: str | None) -> cst.Call:
    """`name=code` set (replacing its value in place) or, with None, taken out."""
    for i, a in enumerate(call.args):
        if a.keyword is not None and a.keyword.value == name:
            if code is None:
                return call.with_changes(args=remove(list(call.args), i))
            args = list(call.args)
            args[i] = a.with_changes(value=cst.parse_expression(code))
            return call.with_changes(args=args)
    return call if code is None else add_arg(call, f"{name}={code}")


def replace_arg(call: cst.Call, at: int, code: str) -> cst.Call:
    args = list(call.args)
    args[at] = args[at].with_changes(value=cst.parse_expression(code))
    return call.with_changes(args=args)


def insert_arg(call: cst.Call, at: int, code: str) -> cst.Call:
    return call.with_changes(args=insert(list(call.args), parse_arg(code), at, call.whitespace_before_args))


def tuple_opening(t: cst.Tuple) -> Any:
    return t.lpar[0].whitespace_after if t.lpar else cst.SimpleWhitespace("")


def tuple_insert(t: cst.Tuple, code: str, at: int) -> cst.Tuple:
    elements = list(t.elements)
    new = parse_element(code)
    if len(elements) == 1 and at >= 1 and not _multiline(elements):
        # (A,) -> (A, B): the one-tuple's own comma becomes the separator; no trailing comma after B
        first = elements[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return t.with_changes(elements=[first, new])
    return t.with_changes(elements=insert(elements, new, at, tuple_opening(t)))


def tuple_remove(t: cst.Tuple, at: int) -> cst.BaseExpression:
    elements = remove(list(t.elements), at)
    if len(elements) == 1 and not isinstance(elements[0].comma, cst.Comma):
        elements[0] = elements[0].with_changes(comma=cst.Comma())  # (A) is no tuple: keep (A,)
    return t.with_changes(elements=elements)


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    """A line break inside brackets; libcst adds the enclosing block's indentation to `indent` (indent=True)."""
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(newline=cst.Newline()), indent=True,
                                       last_line=cst.SimpleWhitespace(indent))


def one_per_line(call: cst.Call, indent: str) -> cst.Call:
    """The call with each argument on a line of its own and a trailing comma (what black and ruff write)."""
    if not call.args:
        return call
    args = [a.with_changes(comma=cst.Comma(whitespace_after=_line_break(indent)),
                           whitespace_after_arg=cst.SimpleWhitespace("")) for a in call.args]
    args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=_line_break("")))
    return call.with_changes(whitespace_before_args=_line_break(indent), args=args)
