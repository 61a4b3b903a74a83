"""Dagster's SQLite event log, with one SQLAlchemy engine and connection per file.

Dagster's `SqliteEventLogStorage` creates an engine for every write and disposes of it
after: with it, SQLAlchemy's compiled-statement cache, which lives on the engine, is
empty for every event, and every event opens, commits and closes its own SQLite
connection (closing the last connection to a WAL file checkpoints it). A run writes
about a thousand events (a materialization per dbt model, an evaluation per dbt test,
their planned events), and on the demo this cost 10.5 s of a 49 s profiled run; 6.7 s
with the engines kept, 3.2 s with their connections kept open between writes too (an
idle SQLite connection in WAL mode holds no lock: the UI, the daemon and other runs
read and write the same files meanwhile). The files, tables and transactions are
Dagster's own, so its UI and daemon read what this writes.

`trustcap` names it in the dagster.yaml it writes (trustcap/run.py); a dagster.yaml
without it keeps Dagster's own storage, slower, with the same data.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# a run writes to its own file and the index; the UI reads a few runs at a time
ENGINES_KEPT = 16


class SqliteEventLogStorageKeepingEngines(SqliteEventLogStorage):
    """Configured by the Dagster home folder's path (`dagster_home:`, which trustcap
    writes and keeps equal to the folder's): the files are where Dagster's default
    storage puts them, <home>/history/runs. It subclasses Dagster's own storage, a
    private class: the locked Dagster version is the one it was written against."""

    def __init__(self, dagster_home: str, inst_data: ConfigurableClassData | None = None):
        # set before the parent's constructor, which may already write (reindexing)
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(os.path.join(dagster_home, "history", "runs"), inst_data)

    @classmethod
    def config_type(cls):
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> SqliteEventLogStorageKeepingEngines:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # writes are serialised by the storage's lock: one connection is kept
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=2,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            event.listen(engine, "connect", _commit_without_waiting_for_the_disk)
        self._engines[shard] = engine  # the most recent last
        while len(self._engines) > ENGINES_KEPT:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # the parent's _connect, without creating and disposing of an engine (and its
        # connection) each time
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def upgrade(self) -> None:
        super().upgrade()
        self._drop_engines()

    def wipe(self) -> None:
        # the parent deletes the files: no kept connection may go on writing to them
        self._drop_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._drop_engines()

    def _drop_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()


def _commit_without_waiting_for_the_disk(connection, _record) -> None:
    """In WAL mode (Dagster's, for these files) `synchronous=NORMAL` makes a commit
    write the log without waiting for the disk; the disk is synced at checkpoints. A
    crash of the process loses nothing; a power cut may lose the last events, never the
    file (SQLite's documentation on WAL). A run writes about a thousand events, each
    its own commit: on this machine about 1 s of a demo run was spent waiting."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
