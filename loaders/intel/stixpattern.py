"""STIX 2.0/2.1 patterns read with the OASIS ``stix2-patterns`` parser.

The library's ANTLR parse tree is walked by a small listener that keeps, for
every comparison, the observation (``[...]``) it sits in, its object path, its
operator and its literal values as Python values. ``Pattern.inspect()`` gives
the same comparisons but as source text and without the observation they belong
to, which matters when one observation pins several properties of one object
(``x509-certificate:hashes.'SHA-256' = ... AND x509-certificate:issuer = ...``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from stix2patterns.exceptions import ParseException
from stix2patterns.v20.grammars.STIXPatternListener import STIXPatternListener as Listener20
from stix2patterns.v20.pattern import Pattern as Pattern20
from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener as Listener21
from stix2patterns.v21.pattern import Pattern as Pattern21

STAR = "*"


class PatternError(ValueError):
    """The pattern does not parse; the message is the parser's."""


@dataclass(frozen=True)
class Comparison:
    """One ``object-type:path OP value`` test inside observation number ``observation``."""

    observation: int
    object_type: str
    path: tuple[str | int, ...]
    op: str  # '=', 'IN', 'ISSUBSET', 'MATCHES' ..., with a 'NOT ' prefix when negated
    values: tuple[Any, ...]

    @property
    def path_text(self) -> str:
        return ".".join(str(p) for p in self.path)


@dataclass
class _State:
    observation: int = -1
    object_type: str = ""
    path: list[str | int] = field(default_factory=list)
    found: list[Comparison] = field(default_factory=list)


class _Collector:
    """Listener callbacks shared by the 2.0 and 2.1 grammars (same rule names)."""

    def __init__(self) -> None:
        self.state = _State()

    def _add(self, op: str, values: tuple[Any, ...]) -> None:
        s = self.state
        s.found.append(Comparison(s.observation, s.object_type, tuple(s.path), op, values))

    def enterObservationExpressionSimple(self, ctx: Any) -> None:  # noqa: N802 (ANTLR names)
        self.state.observation += 1

    def exitObjectType(self, ctx: Any) -> None:  # noqa: N802
        self.state.object_type = ctx.getText()

    def exitFirstPathComponent(self, ctx: Any) -> None:  # noqa: N802
        literal = ctx.StringLiteral()
        self.state.path = [_string(literal.getText()) if literal else ctx.getText()]

    def exitKeyPathStep(self, ctx: Any) -> None:  # noqa: N802
        literal = ctx.StringLiteral()
        self.state.path.append(_string(literal.getText()) if literal else ctx.IdentifierWithoutHyphen().getText())

    def exitIndexPathStep(self, ctx: Any) -> None:  # noqa: N802
        self.state.path.append(STAR if ctx.ASTERISK() else int(ctx.getText().strip("[]")))

    def exitPropTestEqual(self, ctx: Any) -> None:  # noqa: N802
        op = (ctx.EQ() or ctx.NEQ()).getText()
        self._add(_negated(ctx, op), (_primitive(ctx.primitiveLiteral()),))

    def exitPropTestOrder(self, ctx: Any) -> None:  # noqa: N802
        op = (ctx.GT() or ctx.LT() or ctx.GE() or ctx.LE()).getText()
        self._add(_negated(ctx, op), (_orderable(ctx.orderableLiteral()),))

    def exitPropTestSet(self, ctx: Any) -> None:  # noqa: N802
        values = tuple(_primitive(p) for p in ctx.setLiteral().primitiveLiteral())
        self._add(_negated(ctx, "IN"), values)

    def exitPropTestLike(self, ctx: Any) -> None:  # noqa: N802
        self._add(_negated(ctx, "LIKE"), (_string(ctx.StringLiteral().getText()),))

    def exitPropTestRegex(self, ctx: Any) -> None:  # noqa: N802
        self._add(_negated(ctx, "MATCHES"), (_string(ctx.StringLiteral().getText()),))

    def exitPropTestIsSubset(self, ctx: Any) -> None:  # noqa: N802
        self._add(_negated(ctx, "ISSUBSET"), (_string(ctx.StringLiteral().getText()),))

    def exitPropTestIsSuperset(self, ctx: Any) -> None:  # noqa: N802
        self._add(_negated(ctx, "ISSUPERSET"), (_string(ctx.StringLiteral().getText()),))


class _Collector20(_Collector, Listener20):  # type: ignore[misc]  # ANTLR classes are untyped
    pass


class _Collector21(_Collector, Listener21):  # type: ignore[misc]
    pass


def comparisons(pattern: object, spec_version: str = "2.1") -> list[Comparison]:
    """Every comparison in a STIX pattern, in order; raises :class:`PatternError`."""
    if not isinstance(pattern, str):
        raise PatternError(f"pattern is {type(pattern).__name__}, not a string")
    parser, collector = (Pattern20, _Collector20()) if spec_version == "2.0" else (Pattern21, _Collector21())
    try:
        parsed = parser(pattern)
    except ParseException as exc:
        raise PatternError(str(exc)) from None
    parsed.walk(collector)
    return collector.state.found


def _negated(ctx: Any, op: str) -> str:
    return f"NOT {op}" if ctx.NOT() else op


def _string(token_text: str) -> str:
    """A StringLiteral's text without quotes, ``\\'`` and ``\\\\`` unescaped."""
    return token_text[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _primitive(ctx: Any) -> Any:
    if ctx.BoolLiteral():
        return ctx.getText().lower() == "true"
    return _orderable(ctx.orderableLiteral())


def _orderable(ctx: Any) -> Any:
    text = ctx.getText()
    if ctx.StringLiteral():
        return _string(text)
    if ctx.IntPosLiteral() or ctx.IntNegLiteral():
        return int(text)
    if ctx.FloatPosLiteral() or ctx.FloatNegLiteral():
        return float(text)
    if ctx.HexLiteral():
        return text[2:-1].lower()
    if ctx.BinaryLiteral():
        return base64.b64decode(text[2:-1]).hex()
    return text[2:-1]  # t'...' timestamp
