"""``autodiff-kit doctor``: `widgets.doctor()` from a terminal, with the fix for this OS.

It prints the same report as the first lesson's ``doctor()``, then, for each
problem, the commands that fix it on this operating system (Windows, macOS
or Linux), and whether graphviz-pure (the pip-installed ``dot``) has a wheel
for this machine. Exit status 0 when the lessons can run, 1 when not.
"""

from __future__ import annotations

import platform
import sys

# graphviz-pure 0.2.2's files on PyPI: wheels only, no source distribution.
GRAPHVIZ_PURE_WHEELS = {
    ("Windows", "amd64"): "Windows x64", ("Windows", "arm64"): "Windows on ARM",
    ("Darwin", "x86_64"): "macOS 10.12+ on Intel", ("Darwin", "arm64"): "macOS 11+ on Apple silicon",
    ("Linux", "x86_64"): "Linux x86_64 (glibc 2.17+ or musl)",
    ("Linux", "aarch64"): "Linux aarch64 (glibc 2.17+ or musl)",
    ("Linux", "arm64"): "Linux aarch64 (glibc 2.17+ or musl)",
}
GRAPHVIZ_PURE_COVERAGE = (
    "graphviz-pure (the pip-installed dot) has wheels for Windows (x64, ARM64), macOS (Intel 10.12+,\n"
    "Apple silicon 11+) and Linux (x86_64, aarch64; glibc 2.17+ or musl), and no source package:\n"
    "elsewhere (32-bit Windows or Raspberry Pi OS, other CPUs) install Graphviz itself.")

PIP = {"Windows": "py -m pip", "Darwin": "python3 -m pip", "Linux": "python3 -m pip"}
FIXES = {
    "python": {
        "Windows": "winget install Python.Python.3.11, then: py -3.11 -m venv .venv; .venv\\Scripts\\activate",
        "Darwin": "brew install python@3.11 (or python.org's installer), then: python3.11 -m venv .venv; "
                  "source .venv/bin/activate",
        "Linux": "sudo apt install python3.11-venv (Debian, Ubuntu) or sudo dnf install python3.11, then: "
                 "python3.11 -m venv .venv; source .venv/bin/activate",
    },
    "widgets": {os_: f'{pip} install "autodiff-kit[lab]", then restart the kernel' for os_, pip in PIP.items()},
    "graphviz": {
        "Windows": "winget install graphviz (then open a new terminal)",
        "Darwin": "brew install graphviz",
        "Linux": "sudo apt install graphviz (Debian, Ubuntu) or sudo dnf install graphviz (Fedora)",
    },
    "torch": {os_: f'{pip} install "autodiff-kit[check]" (only the PyTorch cross-check needs it)'
              for os_, pip in PIP.items()},
}


def this_os() -> str:
    system = platform.system()
    return system if system in PIP else "Linux"


def graphviz_pure_wheel() -> str | None:
    """The graphviz-pure wheel for this machine, in words; None if it has none."""
    return GRAPHVIZ_PURE_WHEELS.get((platform.system(), platform.machine().lower()))


def fix_lines(findings: dict) -> list[str]:
    system = this_os()
    name = {"Windows": "Windows", "Darwin": "macOS", "Linux": "Linux"}[system]
    lines = []
    for key, fixes in FIXES.items():
        finding = findings.get(key)
        if finding is None or finding.get("ok"):
            continue
        if key == "graphviz" and graphviz_pure_wheel():
            fix = f'{PIP[system]} install --force-reinstall graphviz-pure, or else {fixes[system]}'
        else:
            fix = fixes[system]
        lines.append(f"  {key} on {name}: {fix}")
    return lines


def run(args=None) -> int:
    try:
        from widgets import doctor
    except ImportError as error:
        system = this_os()
        print(f"autodiff doctor\n✗ the Jupyter layer does not import ({type(error).__name__}: {error}).\n"
              f"Fix: {PIP[system]} install \"autodiff-kit[lab]\"", file=sys.stderr)
        return 1
    findings = doctor()
    fixes = fix_lines(findings)
    if fixes:
        print("Fixes for this machine:")
        print("\n".join(fixes))
    wheel = graphviz_pure_wheel()
    print(f"This machine: {platform.system()} {platform.machine()}; "
          + (f"graphviz-pure has a wheel for it ({wheel})." if wheel else
             "graphviz-pure has no wheel for it: install Graphviz itself (see above)."))
    print(GRAPHVIZ_PURE_COVERAGE)
    return 0 if findings["ok"] else 1
