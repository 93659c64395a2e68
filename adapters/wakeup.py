"""Waking a follower when events arrive: LISTEN/NOTIFY on PostgreSQL, polling otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable

from psycopg import sql

from adapters.persistence import Store, connect


class PostgresWakeup:
    """Blocks until the event store NOTIFYs its channel, or `poll` seconds pass."""

    def __init__(self, store: Store, channel: str, poll: float) -> None:
        self.poll = poll
        self.conn = connect(store, autocommit=True)
        self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def __call__(self) -> None:
        for _ in self.conn.notifies(timeout=self.poll, stop_after=1):
            pass

    def close(self) -> None:
        self.conn.close()


def polling(poll: float) -> Callable[[], None]:
    return lambda: time.sleep(poll)
