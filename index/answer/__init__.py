"""Answers: verbatim quotes chosen from the retrieved sentences, numbered citations, a
calibrated confidence, or an honest abstention. Imports `index.search` and below."""

from __future__ import annotations

from index.answer.answerer import THRESHOLD, Answerer
from index.answer.quotes import ABSTAIN_TEXT, AnswerParams, best_sentences, lead_sentence
from index.answer.types import (MAX_K, MAX_QUESTION_CHARS, Answer, AskRequest, Citation, QuestionError, Quote,
                                Turn, check_day, check_question, check_request, passage_dict)

__all__ = ["ABSTAIN_TEXT", "MAX_K", "MAX_QUESTION_CHARS", "THRESHOLD", "Answer", "AnswerParams", "Answerer",
           "AskRequest", "Citation", "QuestionError", "Quote", "Turn", "best_sentences", "check_day", "check_question",
           "check_request", "lead_sentence", "passage_dict"]
