"""`aduan trends compute`: topics of the current week and month and spikes of the day and week, now."""

from __future__ import annotations

import typer

from core.entry.cli_common import cli_session, settings_or_exit

trends_app = typer.Typer(help="Topics and spikes in the complaints (the worker's trends job).", no_args_is_help=True)


@trends_app.command("compute")
def compute() -> None:
    """Refit the topics and check for spikes now (the worker does it every ADUAN_TRENDS_MINUTES)."""
    from core.trends.job import run_trends
    from core.trends.queries import spikes_view, topics_view

    settings = settings_or_exit()
    with cli_session() as session:
        result = run_trends(session, settings)
        typer.echo(str(result))
        for topic in topics_view(session, settings, period="week")["topics"][:10]:
            typer.echo(f"  topic {topic['label']}: {topic['count']} (before {topic['previous_count']})")
        for spike in spikes_view(session, settings, limit=10)["spikes"]:
            typer.echo(f"  spike {spike['label']} ({spike['window']}): {spike['count']}, "
                       f"expected {spike['expected']:.1f}, score {spike['score']:.1f}")
