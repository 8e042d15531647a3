"""Read-model SQL is written once with ``?`` placeholders; for PostgreSQL it becomes psycopg's ``%s``."""

from __future__ import annotations

from projections.db import for_psycopg


def test_placeholders_become_psycopg_placeholders() -> None:
    assert for_psycopg("SELECT a FROM t WHERE x = ? AND y IN (?, ?)") == "SELECT a FROM t WHERE x = %s AND y IN (%s, %s)"


def test_a_question_mark_inside_a_quoted_literal_is_not_a_placeholder() -> None:
    assert for_psycopg("SELECT 'why?', 'it''s ?' FROM t WHERE b = ?") == "SELECT 'why?', 'it''s ?' FROM t WHERE b = %s"


def test_a_percent_sign_is_doubled_so_psycopg_reads_it_as_itself() -> None:
    assert for_psycopg("SELECT a % 2, '5%' FROM t WHERE b LIKE ?") == "SELECT a %% 2, '5%%' FROM t WHERE b LIKE %s"
