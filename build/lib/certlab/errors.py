"""Errors the command line turns into one clear line and an exit code."""

from __future__ import annotations


class CertlabError(Exception):
    """A user mistake or bad input: printed without a traceback, exit code 2.

    The message says what is wrong and what to do.
    """

    exit_code = 2


class ChecksFailed(CertlabError):
    """Checks ran and found problems (lint violations, a stale release): exit code 1."""

    exit_code = 1
