"""The HTTP API and the web dashboard, a driving adapter like the command line: an ASGI
app reading the projections through the `Ledger` that `adapters.bootstrap` wires, and
sending commands through the same services. It never imports `adapters.cli` or
`adapters.nats` (an import-linter contract)."""
