"""Self-checks for labs: plain-words feedback per check, with a hint when it fails.

    with LabChecks("Step 2: the model") as check:
        check(lambda: model.output_shape[-1] == 1,
              ok="The model ends in one output unit.",
              problem="The model should end in exactly one output unit (one price).",
              hint="Make the last layer layers.Dense(1).")

Checks run the learner's code through :func:`attempt` or :func:`value_or`, never a ``try`` of
their own: a blank reached inside the learner's function then stops with its own message.

Every check in the block is run and reported; if any failed, the block raises
``LabCheckFailed`` at the end, so "Run all" stops at the first part to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blanks import LabBlankError


class LabCheckFailed(AssertionError):
    """One or more lab checks failed; the printed list says which and why."""


@dataclass
class CheckResult:
    passed: bool
    message: str
    hint: str = ""


def attempt(function, *arguments):
    """Run the learner's code for a check: ``(result, None)``, or ``(None, "TypeError: first line")``.

    A blank the learner has not filled in yet is not a failed check: its LabBlankError goes through,
    so the notebook stops with the blank's own message.
    """
    try:
        return function(*arguments), None
    except LabBlankError:
        raise
    except Exception as error:  # reported as a failed check, in plain words
        first_line = str(error).splitlines()[0][:200] if str(error) else ""
        return None, f"{type(error).__name__}: {first_line}"


def value_or(default, function, *arguments):
    """What the learner's code returns, or ``default`` when it raises (the check that uses it says what is wrong).

    The same rule as :func:`attempt`: a blank not filled in yet still stops the notebook with its own message.
    """
    value, error = attempt(function, *arguments)
    return default if error else value


class LabChecks:
    def __init__(self, title: str):
        self.title = title
        self.results: list[CheckResult] = []

    def __call__(self, condition, ok: str, problem: str, hint: str = "") -> bool:
        """Record one check. ``condition`` is a bool or a function returning one."""
        try:
            passed = bool(condition() if callable(condition) else condition)
            detail = ""
        except LabBlankError:  # a blank still unfilled upstream: its own message says what to write
            raise
        except Exception as error:  # the learner's object may not even have the attribute
            passed, detail = False, f" (checking it raised {type(error).__name__}: {error})"
        self.results.append(CheckResult(passed, ok if passed else problem + detail, hint))
        return passed

    @property
    def failed(self) -> list[CheckResult]:
        return [result for result in self.results if not result.passed]

    def report(self) -> str:
        lines = [self.title]
        for result in self.results:
            lines.append(f"  {'✔' if result.passed else '✘'} {result.message}")
            if not result.passed and result.hint:
                lines.append(f"      Hint: {result.hint}")
        total, bad = len(self.results), len(self.failed)
        if bad:
            lines.append(f"{bad} of {total} checks failed.")
        else:
            lines.append("The check passed." if total == 1 else f"All {total} checks passed.")
        return "\n".join(lines)

    def __enter__(self) -> LabChecks:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            return False
        print(self.report())
        if self.failed:
            raise LabCheckFailed(
                f"{len(self.failed)} of {len(self.results)} checks for '{self.title}' failed: "
                "read the ✘ lines above and their hints, fix your code, and run the cell again."
            )
        return False
