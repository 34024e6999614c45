"""What completing a training module means, as a short fingerprint the reader's browser keeps.

A reader's completion (training.js, localStorage) stores the fingerprint of the module it was
made on; when the page's differs, the module was updated since and the reader is asked to
complete it again. The fingerprint covers what a reader must know and pass: the lesson list
(lesson titles, in order), the quiz (questions, options, answers) and the pass mark. A typo fixed
in a lesson's text, an explanation, the title, summary or objectives leaves it alone; a new
lesson, a renamed one, a question reworded or an answer changed does not.

A module and its translations share one completion state, so they share one fingerprint: the
original's (the module in the site's language), which the translation was made from. Comparing
the translations' own texts would give each language another one; what IM151 holds equal between
them (numbers of questions and options, answers, pass mark) would miss a question rewritten in
place.

What goes into the fingerprint, and how, is part of every reader's stored state: changing it here
changes every module's fingerprint, and every reader who completed a module is asked to complete
it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .cache import digest

#: Hex digits kept: short enough to read in the browser's storage, far from colliding per module.
LENGTH = 12


def fingerprint(lessons: Sequence[str], quiz: Sequence[Any], mark: int) -> str:
    """The fingerprint of a module with these lesson titles, quiz items and pass mark (per cent).

    Texts are compared with their runs of white space made one space, so re-wrapping a
    question's YAML line does not count as a change."""
    described = {
        "lessons": [_plain(title) for title in lessons],
        "quiz": [{"question": _plain(item.question), "options": [_plain(option) for option in item.options],
                  "answer": item.answer} for item in quiz],
        "pass_mark": mark,
    }
    return digest(_ENCODER.encode(described))[:LENGTH]


#: What json.dumps(ensure_ascii=False, sort_keys=True) makes an encoder of on every call (a tenth of
#: the 1,500 fingerprints of a 10,000-page site), made once: the same text.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _plain(text: str) -> str:
    return " ".join(str(text).split())
