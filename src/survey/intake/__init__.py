"""Intake: read exports, map columns and answers, remove identifiers, validate, write Parquet."""

from survey.intake.checks import IntakeStopped
from survey.intake.ingest import ValidationResult, ingest, validate
from survey.intake.readers import RawTable, read_table

__all__ = ["IntakeStopped", "ValidationResult", "ingest", "validate", "RawTable", "read_table"]
