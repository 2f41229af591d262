"""The one place the drills import the Terraform runner.

Only public names of the runner package (workers/runner/) are used.
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
