"""The Northmoor scenario of DOMAIN.md, and writing it into a fresh ledger."""
