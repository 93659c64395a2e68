"""How each aggregate's events change the documents: pure logic, one module per aggregate.

Each module has one function, `(event, position, docs)`, with a `case` for every
event class of its aggregate; the registry in `projections.dispatch` routes each
event class to its function. Documents are read and written only through `DocAccess`
(`projections.event_logic.access`), so the same code builds the live read models, time-travel
answers and test fixtures.
"""
