"""The static resource inventory of a blueprint: every `resource` block in its root module and the
local modules it calls, with the address Terraform gives it (`module.api.aws_lambda_function.this`).

Used to count resources for cost coverage before any plan exists, and by `blueprints check` to make
sure every billable resource has a cost entry.
"""

from __future__ import annotations

from pathlib import Path

from blueprints import hcl


def _module_dir(files: dict[str, str], current: str, source: str) -> str:
    parts = [p for p in current.split("/") if p]
    for piece in source.split("/"):
        if piece == "..":
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def inventory(files: dict[str, str], entry_dir: str) -> list[tuple[str, str]]:
    """(base address, resource type) of every managed resource, from a pinned file tree."""
    found: list[tuple[str, str]] = []

    def walk(directory: str, prefix: str, depth: int) -> None:
        if depth > 10:
            raise ValueError(f"module nesting too deep at {directory}")
        for name in sorted(n for n in files if n.startswith(directory + "/") and n.endswith(".tf")):
            if "/" in name[len(directory) + 1 :]:
                continue  # files of sub-folders belong to other modules
            doc = hcl.parse_text(files[name])
            for type_, body in hcl.blocks(doc, "resource"):
                for resource_name, _ in hcl.labelled([body]):
                    found.append((f"{prefix}{type_}.{resource_name}", type_))
            for module_name, body in hcl.blocks(doc, "module"):
                source = str(hcl.unquote(body.get("source", "")))
                if source.startswith(("./", "../")):
                    walk(_module_dir(files, directory, source), f"{prefix}module.{module_name}.", depth + 1)

    walk(entry_dir.rstrip("/"), "", 0)
    return found


def inventory_of_folder(directory: Path) -> list[tuple[str, str]]:
    from blueprints.spec import load_blueprint

    spec = load_blueprint(directory)
    return inventory(spec.files, spec.entry_dir)
