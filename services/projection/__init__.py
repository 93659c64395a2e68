"""The read side: the projector that keeps the read models current from the log,
its rebuild machinery, and the queries answered from the read models."""
