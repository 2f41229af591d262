"""`python -m bench [--only TEXT]`: runs the benchmarks and prints one `name value` per line."""

from __future__ import annotations

import argparse

from bench import run, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="Run only benchmarks whose path contains this text.")
    args = parser.parse_args()
    setup_django()
    for name, value in run(args.only):
        print(f"{name} {value}", flush=True)


if __name__ == "__main__":
    main()
