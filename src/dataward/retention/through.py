"""A rule's trigger read through the entity a row belongs to.

A payment does not hold its case's return date, but it names its case (``entities: {case:
...}``), and the case's own binding binds the event (``events: {case_returned:
returned_on}``). Such a row is due exactly when its entity's row is due (for "the latest such
event", when the entity's owner has no later event either), and waits while the entity's row
waits: the plan reads the entity's due condition on the entity's table and matches the row's
reference to it, one statement as ever. Only where the binding binds none of the rule's
triggers itself, and only on the same connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dataward.register.models import Register
from dataward.sources.models import Binding, SourcesFile


@dataclass(frozen=True)
class EntityTrigger:
    """Where a binding's trigger is read instead: the entity and its own binding."""

    entity: str
    home: Binding

    @property
    def column(self) -> str:
        """The home table's column holding the entity's reference."""
        spec = self.home.entities[self.entity]
        assert isinstance(spec, str)
        return spec


def entity_trigger(
    register: Register, sources: SourcesFile, binding: Binding, triggers: Iterable[str]
) -> EntityTrigger | None:
    """The entity binding a row's trigger is read on, or None where there is none."""
    wanted = set(triggers)
    for event in register.events:
        if event.id not in wanted or event.entity not in binding.entities:
            continue
        for bindings in sources.datasets.values():
            for home in bindings:
                if (
                    home is not binding
                    and isinstance(home.entities.get(event.entity), str)
                    and home.connection == binding.connection
                    and home.table is not None
                    and wanted & set(home.events)
                ):
                    return EntityTrigger(event.entity, home)
    return None
