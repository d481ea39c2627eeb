"""The `dbclone report` command; registered on the main Typer app by `register`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dbclone.errors import EXIT_VERIFY, DbcloneError, mask


def register(app: typer.Typer) -> None:
    """Add the `report` command to `app`."""
    app.command("report")(report)


def report(
    source: Annotated[str, typer.Argument(help="Source database URL (read only).")],
    target: Annotated[str, typer.Argument(help="Target (clone) database URL (read only).")],
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report.")] = None,
    json_file: Annotated[Path | None, typer.Option(
        "--json", help="Write every number as JSON.")] = None,
    fail_under: Annotated[list[str] | None, typer.Option(
        help="METRIC=VALUE; exit 4 when METRIC is worse than VALUE (below it, or above it for "
             "lower-is-better metrics: detection*, text_realism*, privacy_*, integrity). "
             "Repeatable.")] = None,
    sample_rows: Annotated[int, typer.Option(help="Rows compared per table.")] = 20000,
    seed: Annotated[int, typer.Option(help="Seed for sampling and the classifier.")] = 0,
    outside_check: Annotated[bool, typer.Option(
        help="Also show SDMetrics' QualityReport score when SDMetrics is installed "
             "(it comes with dbclone's optional sdv extra).")] = True,
) -> None:
    """Compare a clone with its source: integrity, fidelity and privacy.

    Exit code 4 when a constraint is broken in the target or a --fail-under rule fails."""
    from rich.console import Console

    err = Console(stderr=True, soft_wrap=True)  # one-line errors stay one line
    try:
        failures = _run(source, target, html, json_file, fail_under or [], sample_rows, seed,
                        outside_check)
    except DbcloneError as exc:
        err.print(f"error: {mask(str(exc))}", markup=False, highlight=False)
        raise typer.Exit(exc.exit_code) from None
    if failures:
        err.print(f"FAILED: {'; '.join(failures)}", style="bold red", markup=False,
                  highlight=False)
        raise typer.Exit(EXIT_VERIFY)


def _run(source: str, target: str, html: Path | None, json_file: Path | None,
         rules_spec: list[str], sample_rows: int, seed: int,
         outside_check: bool = True) -> list[str]:
    from rich.console import Console

    from dbclone.connect import engine_for
    from dbclone.report import (
        build_report,
        check_thresholds,
        parse_thresholds,
        render_html,
        render_text,
    )

    rules = parse_thresholds(rules_spec)  # before the slow part: bad options fail fast
    result = build_report(engine_for(source), engine_for(target), sample_rows=sample_rows,
                          seed=seed, outside_check=outside_check)
    Console(soft_wrap=True).print(render_text(result), markup=False, highlight=False)
    if html:
        html.write_text(render_html(result), encoding="utf-8")
    if json_file:
        json_file.write_text(json.dumps(result.to_dict(), indent=1), encoding="utf-8")
    return check_thresholds(result, rules)
