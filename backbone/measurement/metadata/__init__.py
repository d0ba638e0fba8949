"""Metadata files: set up a whole initiative — partners, places, dimensions, indicators,
annotations and targets — from one JSON file, and keep it in step by loading the file again.

The format is described field by field in ``docs/metadata.md``. The rules this module keeps:

* **Check first, then write.** The whole file is checked before anything is written, and every
  problem is reported with its place in the file (``indicators[2].unit``), what is wrong and how
  to fix it. One problem, and nothing is written (``MetadataRejected``).
* **All or nothing.** The writes run in one transaction; a rule broken while writing (a changed
  definition without a revision, a partner that cannot be changed) rolls everything back.
* **Idempotent.** Objects are matched by their code; loading the same file again changes nothing
  and records nothing in the audit trail. A field left out of the file keeps its current value.
  Loading never deletes anything.
* **Audited.** Every creation and change is recorded; partners, indicator changes and targets go
  through the same services as the web pages. A change to what an indicator measures needs a
  ``revision`` (first period measured the new way, and why): it is a series break.

The package, by step: ``reader`` (the file → parsed JSON), ``schema`` (the format rules and the
checker of single values), ``references`` (checking a whole file: codes unique and defined),
``writer`` (the checked file → the database), ``loader`` (the steps in order, all or nothing) and
``report`` (results, problems and refusals). Import from the package itself.
"""

from backbone.measurement.metadata.loader import load_metadata
from backbone.measurement.metadata.reader import read_metadata
from backbone.measurement.metadata.references import validate_metadata
from backbone.measurement.metadata.report import (
    FORMAT,
    KINDS,
    VERSION,
    MetadataProblem,
    MetadataRejected,
    MetadataReport,
    MetadataUnreadable,
    Tally,
)

__all__ = [
    "FORMAT",
    "KINDS",
    "VERSION",
    "MetadataProblem",
    "MetadataRejected",
    "MetadataReport",
    "MetadataUnreadable",
    "Tally",
    "load_metadata",
    "read_metadata",
    "validate_metadata",
]
