"""The command-line parser: every command, registered by the module that handles it."""

from __future__ import annotations

import argparse

from adapters.cli import (
    audit_commands,
    bundle_commands,
    ledger_commands,
    projection_commands,
    report_commands,
)
from adapters.cli.arguments import Parser
from adapters.cli.table import CommandTable


def build_parser() -> argparse.ArgumentParser:
    db_help = "database URL (overrides LEDGER_DATABASE_URL)"
    parser = Parser(
        prog="inclusion-ledger",
        description="Inclusion Ledger: decisions, contributions and plan revisions as "
        "immutable events.",
    )
    parser.add_argument("--db", metavar="URL", help=db_help)
    table = CommandTable(parser, db_help)
    ledger_commands.register(table)
    report_commands.register(table)
    audit_commands.register(table)
    bundle_commands.register(table)
    projection_commands.register(table)
    return parser
