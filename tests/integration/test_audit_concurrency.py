"""Two processes appending at once keep one valid chain (DESIGN: Audit; both backends)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

from sqlalchemy.orm import sessionmaker

from dataward.audit.service import verify
from dataward.uow import UnitOfWork

WRITER = textwrap.dedent(
    """
    import sys
    from dataward.audit.service import record
    from dataward.db import make_engine, make_session_factory
    from dataward.uow import UnitOfWork

    url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    factory = make_session_factory(make_engine(url))
    for i in range(count):
        with UnitOfWork(factory) as uow:
            record(uow, actor=name, action="test.append", entity_type="t", entity_id=str(i))
            uow.commit()
    """
)


def test_it_keeps_one_chain_when_two_processes_append(
    uow: UnitOfWork, database_url: str, session_factory: sessionmaker[Any]
) -> None:
    per_writer = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, database_url, name, str(per_writer)])
        for name in ("worker-a", "worker-b")
    ]
    codes = [w.wait(timeout=120) for w in writers]
    assert codes == [0, 0]
    with session_factory() as session:
        result = verify(session)
    assert result.intact, result.first_break
    assert result.rows == 2 * per_writer
    assert result.head_seq == 2 * per_writer
