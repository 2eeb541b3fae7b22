"""The `tinygrad-edu` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygrad-edu", description="Learn how gradients drive optimization.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the lesson end to end and write a report")
    demo.add_argument("--out", default="demo-out", help="folder for the report (default: demo-out)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        print(f"tinygrad-edu demo: the lesson's demo is not built yet (report folder: {args.out}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
