"""The one place the drills import the Terraform runner.

workers/runner.py is being split into a package (workers/runner/); when that lands, only this
import changes. Only public names of the runner are used.
"""

from __future__ import annotations

from workers.runner import (
    LogLine,
    Redactor,
    Terraform,
    materialize,
    minimal_env,
    summarize_plan,
    write_inputs,
)

__all__ = ["LogLine", "Redactor", "Terraform", "materialize", "minimal_env", "summarize_plan", "write_inputs"]
