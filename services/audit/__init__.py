"""Auditor tools: checkpoints, proofs, verification, and audit bundles that verify offline."""
