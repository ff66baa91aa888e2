"""``autodiff-kit``: the kit's commands, on any laptop, without ``make``.

    autodiff-kit lessons [DIR]     copy the lessons into DIR (default autodiff-lessons); never overwrites your work
    autodiff-kit lab [DIR]         JupyterLab on those lessons (127.0.0.1, a token, offline)
    autodiff-kit present N         classroom mode: lesson N with Voilà, code hidden, widgets live
    autodiff-kit student DIR       student copies of the lessons, solutions removed
    autodiff-kit assignments DIR   the lessons as an nbgrader course (source, release)
    autodiff-kit check             the PyTorch cross-check (python -m autodiff.check)
    autodiff-kit doctor            the set-up check, with fixes for this OS
    autodiff-kit demo              micrograd's demo on this engine, a picture written

``python -m autodiff_kit`` is the same. Each command has ``--help``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__

EXIT_CODES = """\
exit status:
  0  done (for lab and present: the server was stopped with Ctrl+C)
  1  the command ran and found a problem: a check failed, the set-up is not
     ready, a notebook has unpaired solution markers, the port is taken,
     nbgrader failed
  2  bad usage: an unknown command or option, no such lesson, a bad folder
  3  a package this command needs is not installed (the message names the
     extra to install, e.g. pip install "autodiff-kit[lab]")"""

# The extra that brings what each command imports.
EXTRA = {"lab": "lab", "present": "course", "student": "lab", "check": "check",
         "doctor": "lab", "demo": "lab", "lessons": "lab", "assignments": "course"}


def _lessons(args: argparse.Namespace) -> int:
    from .lessons import copy_lessons, report

    try:
        results = copy_lessons(args.dir)
    except (OSError, ValueError) as error:
        print(f"autodiff-kit lessons: {error}", file=sys.stderr)
        return 2
    print(report(results, args.dir))
    shown = f'"{args.dir}"' if " " in str(args.dir) else str(args.dir)   # quoted the same on every OS
    print(f"Open them with: autodiff-kit lab {shown}")
    return 0


def _lab(args):
    from . import lab
    return lab.run(args)


def _present(args):
    from . import present
    return present.run(args)


def _student(args):
    from . import student
    return student.run(args)


def _assignments(args):
    from . import assignments
    return assignments.run(args)


def _check(args) -> int:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise ModuleNotFoundError("No module named 'torch'", name="torch")
    from autodiff.check.__main__ import main as check_main   # the table, then a summary line
    return check_main()


def _doctor(args):
    from . import doctor
    return doctor.run(args)


def _demo(args) -> int:
    from autodiff import demo
    return demo.main(["--out", str(args.out)])


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="autodiff-kit", description="The kit's commands, on any laptop, without make.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    main_parser.add_argument("--version", action="version", version=f"autodiff-kit {__version__}")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, doc: str | None = None) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=doc or summary, epilog=EXIT_CODES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        return sub

    from . import assignments, doctor, lab, lessons, present, student  # light: their heavy imports are inside run()

    sub = command("lessons", "copy the lessons and their exercises into a folder you own", lessons.__doc__)
    sub.add_argument("dir", nargs="?", type=Path, default=Path(lessons.DEFAULT_DIR), metavar="DIR",
                     help=f"where (default: {lessons.DEFAULT_DIR}); created if needed")
    sub.set_defaults(run=_lessons)

    sub = command("lab", "JupyterLab on your lessons: 127.0.0.1, a token, offline", lab.__doc__)
    lab.add_arguments(sub)
    sub.set_defaults(run=_lab)

    sub = command("present", "classroom mode: one lesson with Voilà, code hidden, widgets live",
                  present.__doc__)
    present.add_arguments(sub)
    sub.set_defaults(run=_present)

    sub = command("student", "student copies of the lessons, solutions removed, outputs cleared",
                  student.__doc__)
    student.add_arguments(sub)
    sub.set_defaults(run=_student)

    sub = command("assignments", "the lessons as an nbgrader course: source with graded tests, release",
                  assignments.HELP)
    assignments.add_arguments(sub)
    sub.set_defaults(run=_assignments)

    sub = command("check", "the PyTorch cross-check: every op, module, loss, optimizer against torch",
                  "Every displayed formula, op (to second order), module, loss, optimizer and schedule\n"
                  "against PyTorch in float64, one row per check; `python -m autodiff.check`.\n"
                  "Needs PyTorch: pip install \"autodiff-kit[check]\". Exit 1 if any check fails.")
    sub.set_defaults(run=_check)

    sub = command("doctor", "check this machine's set-up; says how to fix what is missing, for this OS",
                  doctor.__doc__)
    sub.set_defaults(run=_doctor)

    sub = command("demo", "micrograd's demo on this engine: train, then draw the decision boundary",
                  "Moons, an MLP 2-16-16-1, hinge loss + L2, 100 SGD steps; writes\n"
                  "DIR/decision_boundary.png. Exit 1 if training accuracy is below 100%.")
    sub.add_argument("--out", type=Path, default=Path("demo-output"),
                     help="folder for the picture (default: demo-output)")
    sub.set_defaults(run=_demo)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ModuleNotFoundError as error:
        missing = error.name or str(error)
        print(f"autodiff-kit {args.command}: needs {missing!r}, which is not installed. Fix:\n"
              f"    python -m pip install \"autodiff-kit[{EXTRA[args.command]}]\"", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"autodiff-kit {args.command}: stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
