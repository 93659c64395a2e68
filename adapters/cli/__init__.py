"""The command line, a driving adapter: the parser and one handler per command,
grouped by what users do (`ledger_commands`, `report_commands`, `projection_commands`,
`audit_commands`, `bundle_commands`), the terminal rendering, and `main`, which turns
failures into exit codes. Each command uses the `Ledger` that `adapters.bootstrap` wires.
"""
