"""`survey init`: draft a study configuration from raw exports, for the user to review.

``draft_study(files, out)`` matches each export's headers to instrument items (by item id,
by numbered abbreviation, or by question text against the instruments' ``about_zh``
descriptions), answer texts to the instruments' labels and numeric codes to their range
(flagging exports that number options from 1), common demographic headers to variables with
their usual levels, and identifier-looking headers to ``pii:``. It writes item patterns where
an instrument's headers follow one, explicit ``columns:`` otherwise, and a ``# TODO(<id>)``
line for everything the exports cannot tell. ``fill_todos`` replaces TODO lines by answers.

Example
-------
>>> from survey.init import draft_study
>>> draft = draft_study(["data/nanhu/raw/nanhu_2025_wjx_numeric.xlsx"], "data/nanhu/study.yaml")  # doctest: +SKIP
>>> print(draft.summary())                                                                     # doctest: +SKIP
"""

from survey.init.draft import StudyDraft, draft_study, write_draft
from survey.init.todos import answer_lines, fill_todos, read_answers, todo_ids

__all__ = ["StudyDraft", "answer_lines", "draft_study", "fill_todos", "read_answers", "todo_ids", "write_draft"]
