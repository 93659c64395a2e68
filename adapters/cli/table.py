"""The table the command modules add their commands to."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from adapters.cli.arguments import Parser
from adapters.cli.invocation import Invocation

Handler = Callable[[argparse.Namespace, Invocation], int]


class CommandTable:
    """Adds commands and command groups (`plan show`, `projections run`) to the parser.
    Every command takes `--db` before or after its name (the later one wins), and every
    read command `--json`, to print one JSON document."""

    def __init__(self, parser: argparse.ArgumentParser, db_help: str) -> None:
        self._sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
        self._groups: dict[str, Any] = {}
        self.common = Parser(add_help=False)
        self.common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=db_help)
        self.as_json = Parser(add_help=False)
        self.as_json.add_argument("--json", action="store_true", help="print one JSON document")

    def group(self, name: str, help: str) -> None:
        """A command group, made where it is first named: `plan` before `plan show`."""
        if name not in self._groups:
            self._groups[name] = self._sub.add_parser(name, help=help).add_subparsers(
                dest=f"{name}_command", required=True, parser_class=Parser
            )

    def add(
        self,
        name: str,
        handler: Handler,
        *,
        help: str,
        group: str | None = None,
        database: bool = True,
        json: bool = True,
        creates: bool = False,
    ) -> argparse.ArgumentParser:
        """`database`: the command takes `--db`; `creates`: it may start a ledger."""
        parents = [self.common] if database else []
        if json:
            parents.append(self.as_json)
        where = self._groups[group] if group else self._sub
        command: argparse.ArgumentParser = where.add_parser(name, parents=parents, help=help)
        command.set_defaults(handler=handler, creates=creates)
        return command
