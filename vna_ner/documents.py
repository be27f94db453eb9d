"""The one typed model of a document: text, entity spans, relations and provenance.

Every stage of the pipeline passes these objects along; offsets are Python string
indices (Unicode code points) into ``Document.text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True, slots=True)
class Span:
    """An entity mention: ``text[start:end]`` labelled ``label``; ``id`` is its region id."""

    start: int
    end: int
    label: str
    text: str
    id: str = ""


@dataclass(frozen=True, order=True, slots=True)
class Relation:
    """A directed relation ``head --label--> tail`` between two region ids of one document."""

    head: str
    tail: str
    label: str


@dataclass(frozen=True, order=True, slots=True)
class Provenance:
    """Where a document comes from: a source file and the offset of the document's first character."""

    source: str
    offset: int


@dataclass
class Document:
    """One annotated document; ``task_id`` is the Label Studio task it was read from, if any, and
    ``split`` the split its task's data names (read only when a build is asked to take splits from there).
    """

    id: str
    text: str
    entities: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    task_id: int | None = None
    split: str | None = None

    def span_by_id(self) -> dict[str, Span]:
        """Map region id to span, for resolving relation arguments."""
        return {span.id: span for span in self.entities}
