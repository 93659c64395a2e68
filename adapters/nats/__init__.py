"""The NATS JetStream workers, driving adapters like the command line: the relay that
publishes every stored event in log order, and the intake that executes the commands
other services send, each through the `Ledger` that `adapters.bootstrap` wires. They
never import `adapters.cli` or `adapters.http` (an import-linter contract)."""
