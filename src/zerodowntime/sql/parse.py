"""Split a script into statements with PostgreSQL's own parser, and read each one's changes."""

from __future__ import annotations

from pglast import ast, parser
from pglast.stream import RawStream

from zerodowntime.sql.changes import changes
from zerodowntime.sql.facts import Change, Kind, Lock, Statement

_IGNORED_TOKENS = {"SQL_COMMENT", "C_COMMENT"}


def _slice(script: str, raw: ast.RawStmt) -> str:
    start = raw.stmt_location or 0
    end = start + raw.stmt_len if raw.stmt_len else len(script)
    return script[start:end].strip()


def _pieces(script: str) -> list[str]:
    """Return the script cut at its top-level semicolons, by the scanner alone."""
    try:
        tokens = parser.scan(script)
    except parser.ParseError:
        return [script.strip()]
    pieces: list[str] = []
    start, meaningful = 0, False
    for token in tokens:
        if token.name == "ASCII_59":
            if meaningful:
                pieces.append(script[start : token.start].strip())
            start, meaningful = token.end + 1, False
        elif token.name not in _IGNORED_TOKENS:
            meaningful = True
    if meaningful:
        pieces.append(script[start:].strip())
    return pieces


def _unparsed(sql: str, error: parser.ParseError) -> Statement:
    """Return a statement the parser refused: an unknown change assumed to lock everything."""
    change = Change(Kind.UNPARSED, lock=Lock.ACCESS_EXCLUSIVE)
    return Statement(sql, (change,), error=str(error.args[0]) if error.args else str(error))


def parse(script: str) -> list[Statement]:
    """Return the statements of ``script`` with their changes (comments are not statements).

    A script PostgreSQL's grammar refuses is cut at its top-level semicolons instead; each
    piece that still does not parse becomes one :attr:`Kind.UNPARSED` statement.
    """
    try:
        raws = parser.parse_sql(script)
    except parser.ParseError:
        statements = []
        for piece in _pieces(script):
            try:
                raws = parser.parse_sql(piece)
            except parser.ParseError as error:
                statements.append(_unparsed(piece, error))
                continue
            statements += [Statement(_slice(piece, raw), changes(raw.stmt)) for raw in raws]
        return statements
    return [Statement(_slice(script, raw), changes(raw.stmt)) for raw in raws]


def split(script: str) -> list[str]:
    """Return the text of each statement of ``script``, without the separating semicolons."""
    return [statement.sql for statement in parse(script)]


def changes_of(script: str) -> list[Change]:
    """Return the changes of every statement of ``script``, in order."""
    return [change for statement in parse(script) for change in statement.changes]


def normalize(script: str) -> str:
    """Return ``script`` on one line, without comments, identifiers quoted only where needed."""
    try:
        nodes = [raw.stmt for raw in parser.parse_sql(script) if raw.stmt is not None]
        return "; ".join(RawStream()(node) for node in nodes)
    except (parser.ParseError, NotImplementedError):
        return "; ".join(" ".join(piece.split()) for piece in _pieces(script))
