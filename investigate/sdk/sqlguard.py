"""The SQL guard: only a single read statement passes, and what is sent is regenerated from
the parse tree (comments and anything sqlglot did not understand are dropped).

    >>> check_sql("SELECT id FROM accounts WHERE email = :email -- hi", "sqlite").sql
    'SELECT id FROM accounts WHERE email = :email'

Checks, in order:

1. the raw text: no NUL, control, invisible or bidi characters (zero-width spaces, RTL
   overrides, no-break spaces...) and, for MySQL, no executable comments (`/*! */`,
   `/*M! */`) or optimizer hints (`/*+ */`) — sqlglot reads those as comments, the server
   does not;
2. the parse tree (sqlglot, same dialect): exactly one SELECT / set operation / VALUES, with
   no write, lock, INTO, hint, variable assignment or statement node anywhere in it, no
   denied function (sleeps, file access, locks, sequences, dynamic SQL, every `pg_*` admin
   function not on a short allow-list) and no non-ASCII unquoted identifier (homoglyphs);
3. the regenerated SQL (what is actually sent): parsed again and checked again; it must
   carry no comment at all, and no denied name may stand before a parenthesis.

Regeneration (`regenerate`) also keeps MySQL's `FROM dual` a keyword and sends PostgreSQL
literals containing a backslash as E'...' strings, so they mean the same whatever the
server's `standard_conforming_strings`. Queries over 20,000 characters or nested too deeply
for the parser are refused.

This is defence in depth: the real boundary is a read-only connection (SQLite `mode=ro` plus
`PRAGMA query_only`; a SELECT-only role on servers).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import unicodedata
from collections import Counter

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, SqlglotError

from investigate.errors import ReadOnlyViolation
from investigate.sdk.sqlfuncs import is_denied_function
from investigate.sdk.sqltypes import GLOB, LIKE_ESCAPE, CheckedSQL
from investigate.sdk.sqltypes import bind_pattern as bind_pattern  # re-exported

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_WRITE_NODES: tuple[type[exp.Expr], ...] = (
    exp.DML,
    exp.DDL,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Set,
    exp.Into,
    exp.Lock,
    exp.Copy,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Use,
    exp.LoadData,
    exp.Hint,
    exp.Show,
    exp.Describe,
    exp.Analyze,
    exp.Execute,
    exp.Declare,
    exp.Kill,
    exp.Grant,
    exp.Revoke,
    exp.Comment,
    exp.Cache,
    exp.Uncache,
    exp.Refresh,
    exp.Export,
)
_READ_ROOTS: tuple[type[exp.Expression], ...] = (exp.Select, exp.SetOperation, exp.Values)

_ALLOWED_CONTROLS = frozenset("\t\n\r")
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_STRING_TOKENS = frozenset(
    {
        TokenType.STRING,
        TokenType.NATIONAL_STRING,
        TokenType.RAW_STRING,
        TokenType.BYTE_STRING,
        TokenType.HEX_STRING,
        TokenType.BIT_STRING,
        TokenType.HEREDOC_STRING,
        TokenType.UNICODE_STRING,
    }
)
_MAX_LENGTH = 20_000
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_MYSQL_EXECUTABLE_COMMENT = re.compile(r"/\*(?:M?!|\+)")
# Dialects whose servers execute /*! ... */ and read /*+ ... */ hints.
_EXECUTABLE_COMMENT_DIALECTS = ("mysql",)


def check_sql(sql: str, dialect: str) -> CheckedSQL:
    """Parse `sql`; return the regenerated statement and its named parameters, or raise."""
    _check_text(sql, dialect)
    try:
        tree = _parse_one(sql, dialect)
        _check_tree(tree, dialect)
        escapes = _escape_patterns(tree)
        regenerated = regenerate(tree, dialect)
        # What is sent is `regenerated`: read it back as a server would and check it again.
        again = _parse_one(regenerated, dialect, what="the regenerated SQL")
        _check_tree(again, dialect)
        _check_output(regenerated, dialect)
        return CheckedSQL(
            sql=regenerated,
            params=_params_in_order(tree, dialect),
            like_escapes=tuple(sorted(escapes.items())),
        )
    except RecursionError:
        raise _refuse("it is nested too deeply; simplify the query") from None


def _escape_patterns(tree: exp.Expression) -> dict[str, str]:
    """Give every LIKE/ILIKE whose pattern holds a parameter an ESCAPE clause (in place) and
    return each such parameter with its escape character; GLOB patterns are escaped with
    brackets. A parameter used both in a pattern and as a plain value is refused: one bound
    value cannot be both."""
    escapes: dict[str, str] = {}
    for node in tree.find_all(exp.SimilarTo, exp.RegexpLike, exp.RegexpILike):
        if any(p.name for p in node.expression.find_all(exp.Placeholder)):
            raise _refuse(
                "a parameter in a regular-expression or SIMILAR TO pattern could match every "
                "row (its value cannot be escaped portably); use = or LIKE"
            )
    for node in list(tree.find_all(exp.Like, exp.ILike, exp.Glob)):
        names = {p.name for p in node.expression.find_all(exp.Placeholder) if p.name}
        if not names:
            continue
        parent = node.parent
        if isinstance(node, exp.Glob):
            char = GLOB
        elif isinstance(parent, exp.Escape) and parent.this is node:
            char = parent.expression.name
            if not (isinstance(parent.expression, exp.Literal) and len(char) == 1):
                raise _refuse("ESCAPE must be a one-character string literal")
        else:
            node.replace(exp.Escape(this=node.copy(), expression=exp.Literal.string(LIKE_ESCAPE)))
            char = LIKE_ESCAPE
        for name in names:
            if escapes.setdefault(name, char) != char:
                raise _refuse(f"parameter :{name} is used in patterns with different escapes")
    uses = Counter(p.name for p in tree.find_all(exp.Placeholder) if p.name in escapes)
    in_patterns = Counter(
        p.name
        for node in tree.find_all(exp.Like, exp.ILike, exp.Glob)
        for p in node.expression.find_all(exp.Placeholder)
        if p.name in escapes
    )
    both = sorted(n for n in escapes if uses[n] > in_patterns[n])
    if both:
        raise _refuse(
            f"parameter :{both[0]} is used both in a LIKE pattern and as a plain value; "
            "use it in one place (the pattern's value is escaped so % and _ match literally)"
        )
    return escapes


def _refuse(reason: str) -> ReadOnlyViolation:
    return ReadOnlyViolation(f"SQL refused: {reason}")


def _check_text(sql: str, dialect: str) -> None:
    if len(sql) > _MAX_LENGTH:
        raise _refuse(f"it is {len(sql)} characters long, the limit is {_MAX_LENGTH}")
    if "\x00" in sql:
        raise _refuse("it contains a NUL byte; remove it")
    for i, ch in enumerate(sql):
        if ch in _ALLOWED_CONTROLS or ch == " ":
            continue
        cat = unicodedata.category(ch)
        if cat in _BAD_CATEGORIES or cat == "Zs":
            name = unicodedata.name(ch, "control character")
            raise _refuse(
                f"it contains an invisible or control character U+{ord(ch):04X} ({name}) "
                f"at position {i}; retype the query with plain spaces"
            )
    if dialect in _EXECUTABLE_COMMENT_DIALECTS and _MYSQL_EXECUTABLE_COMMENT.search(sql):
        raise _refuse(
            "MySQL executable comments (/*! ... */) and optimizer hints (/*+ ... */) "
            "are not allowed; remove them"
        )


def _parse_one(sql: str, dialect: str, what: str = "it") -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _refuse(f"{what} does not parse ({first})") from None
    if len(statements) != 1:
        raise _refuse(f"exactly one statement is allowed, found {len(statements)}")
    tree = statements[0]
    if isinstance(tree, exp.Subquery):
        raise _refuse("a parenthesised statement is not allowed; remove the outer parentheses")
    if not isinstance(tree, _READ_ROOTS):
        raise _refuse(f"{_first_word(sql, tree)} is not a read; write a single SELECT")
    return tree


def _first_word(sql: str, tree: exp.Expr) -> str:
    """The statement's leading keyword (LISTEN, SAVEPOINT...), as the user wrote it."""
    words = re.findall(r"[A-Za-z_]+", re.sub(r"--[^\n]*|#[^\n]*|/\*.*?\*/", " ", sql, flags=re.S))
    return words[0].upper() if words else type(tree).__name__.upper()


def _check_tree(tree: exp.Expression, dialect: str) -> None:
    for node in tree.walk():
        if isinstance(node, _WRITE_NODES):
            raise _refuse(f"{type(node).__name__.upper()} is not allowed in a read query")
        if isinstance(node, exp.PropertyEQ) and isinstance(
            node.this, exp.Parameter | exp.SessionParameter
        ):
            raise _refuse("assigning a variable (:=) is not allowed in a read query")
        quoted = isinstance(node, exp.Identifier) and node.quoted
        if isinstance(node, exp.Identifier | exp.Var) and not quoted and not node.name.isascii():
            raise _refuse(
                f"identifier {node.name!r} has non-ASCII characters; quote it or use plain ASCII"
            )
        if isinstance(node, exp.Func):
            for name in _function_names(node):
                if not _PLAIN_NAME.fullmatch(name):
                    raise _refuse(
                        f"function name {name!r} is not a plain name; use ASCII letters, "
                        "digits and _ only"
                    )
                if is_denied_function(name):
                    raise _refuse(f"function {name.lower()}() is not allowed")
        if dialect == "postgres" and _is_field_call(node):
            # PostgreSQL reads `x.f` / `(x).f` as f(x) when x is a row: same rule as calls.
            raise _refuse(f"function {node.name.lower()}() is not allowed (field notation)")


def _is_field_call(node: exp.Expr) -> bool:
    if isinstance(node, exp.Column) and node.table:
        return is_denied_function(node.name)
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Identifier):
        return is_denied_function(node.expression.name)
    return False


def _function_names(node: exp.Func) -> set[str]:
    """The name sqlglot knows the function by (the regenerated text is checked separately)."""
    names = {node.name if isinstance(node, exp.Anonymous) else node.sql_name()}
    return {n for n in names if n}


def regenerate(tree: exp.Expression, dialect: str) -> str:
    """SQL text for a checked tree: no comments, MySQL `DUAL` kept a keyword, PostgreSQL
    literals with backslashes as E-strings. SQL connectors that rewrite a checked tree (row
    cap, driver placeholders) should render it with this, not `tree.sql()`."""
    if dialect == "mysql":
        tree = tree.transform(_mysql_dual)
    if dialect == "postgres":
        tree = tree.transform(_postgres_escape_string)
    try:
        return tree.sql(dialect=dialect, comments=False, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _refuse(f"it cannot be regenerated safely ({first})") from None


def _postgres_escape_string(node: exp.Expression) -> exp.Expression:
    """A literal with a backslash ('...', $$...$$, N'...') is sent as E'...' (backslash
    doubled): it then means the same whether or not the server has
    `standard_conforming_strings` on, so `'a\\'` cannot end early on a legacy server."""
    plain = isinstance(node, exp.RawString | exp.National) or (
        isinstance(node, exp.Literal) and node.is_string
    )
    if plain and "\\" in node.name:
        return exp.ByteString(this=node.name)
    return node


def _mysql_dual(node: exp.Expression) -> exp.Expression:
    """MySQL's `FROM dual` must stay a keyword: sqlglot would quote it into a table name."""
    if (
        isinstance(node, exp.Table)
        and isinstance(node.this, exp.Identifier)
        and not node.this.quoted
        and node.name.lower() == "dual"
        and not node.args.get("db")
        and not node.args.get("alias")
    ):
        return exp.Table(this=exp.Var(this="DUAL"))
    return node


def _check_output(regenerated: str, dialect: str) -> None:
    """The text sent: no comment, and no denied name in front of a parenthesis."""
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(regenerated)
    except SqlglotError:
        raise _refuse("the regenerated SQL does not tokenize") from None
    if any(t.comments for t in tokens) or (
        dialect in _EXECUTABLE_COMMENT_DIALECTS and _MYSQL_EXECUTABLE_COMMENT.search(regenerated)
    ):
        raise _refuse("the regenerated SQL still carries a comment")
    for token, following in itertools.pairwise(tokens):
        if (
            following.token_type == TokenType.L_PAREN
            and token.token_type not in _STRING_TOKENS
            and is_denied_function(token.text)
        ):
            raise _refuse(f"function {token.text.lower()}() is not allowed")


def _params_in_order(tree: exp.Expression, dialect: str) -> tuple[str, ...]:
    """Named parameters in the order they appear in the statement, without repeats.

    Placeholders are rendered as string literals around a random nonce, so a name inside a
    real string literal (':x') cannot be mistaken for a parameter.
    """
    if not any(p.name for p in tree.find_all(exp.Placeholder)):
        return ()
    nonce = os.urandom(8).hex()

    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            return exp.Literal.string(f"{nonce}{node.name}{nonce}")
        return node

    text = tree.transform(mark).sql(dialect=dialect, comments=False)
    return tuple(dict.fromkeys(re.findall(f"{nonce}(\\w+?){nonce}", text)))
