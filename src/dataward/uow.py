"""Unit of work: the one place that commits. Services receive it and never commit."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dataward.clock import Clock, SystemClock


class UnitOfWork:
    """``with UnitOfWork(factory) as uow: service(uow, ...); uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, so a failed job leaves
    nothing half-written.
    """

    def __init__(self, session_factory: sessionmaker[Any], clock: Clock | None = None) -> None:
        self._factory = session_factory
        self.clock: Clock = clock or SystemClock()
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
