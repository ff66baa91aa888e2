"""Repository-wide pytest hooks.

After a run that executed notebooks (nbval), print how long each notebook
took, setup (kernel start) included, so CI shows the per-lesson time budget
(each lesson ≤ 20 s, the whole sequence ≤ 2 min on 2 cores).
"""

from collections import defaultdict


def pytest_terminal_summary(terminalreporter) -> None:
    seconds: dict[str, float] = defaultdict(float)
    for reports in terminalreporter.stats.values():
        for report in reports:
            nodeid = getattr(report, "nodeid", "")
            if ".ipynb::" in nodeid and hasattr(report, "duration"):
                seconds[nodeid.split("::")[0]] += report.duration
    if not seconds:
        return
    terminalreporter.section("notebook times (s)")
    for notebook, total in sorted(seconds.items()):
        terminalreporter.write_line(f"{total:6.1f}  {notebook}")
    terminalreporter.write_line(f"{sum(seconds.values()):6.1f}  all notebooks")


def pytest_collection_modifyitems(session, config, items) -> None:
    """Run the real-browser tests last.

    Playwright's sync API keeps an asyncio event loop running in the main
    thread for as long as its (session-wide) browser is open; tests that
    start their own loop with ``asyncio.run`` must therefore come first.
    """
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))
