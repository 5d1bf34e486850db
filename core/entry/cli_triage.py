"""`aduan triage …`: retrain the category/OPD suggestions now, or measure them on a time split."""

from __future__ import annotations

import time

import typer

from core.entry.cli_common import cli_session, decimal, settings_or_exit

triage_app = typer.Typer(help="Category and OPD suggestions learned from this kabupaten's history.",
                         no_args_is_help=True)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{decimal(value * 100)} %"


def print_evaluation(evaluation) -> None:
    typer.echo(f"labelled complaints: {evaluation.examples} (train: oldest {evaluation.train_examples}, "
               f"test: newest {evaluation.test_examples}"
               + (f", from {evaluation.split_at}" if evaluation.split_at else "") + ")")
    for target, label in (("category", "category"), ("opd", "OPD")):
        s = evaluation.scores[target]
        typer.echo(f"{label:<8} top-1 {_pct(s.top1):>8}   top-3 {_pct(s.top3):>8}   "
                   f"({s.train} trained on, {s.test} tested)")


@triage_app.command("train")
def train(measure: bool = typer.Option(True, "--measure/--no-measure",
                                       help="Also measure on a time split first (trains twice)")) -> None:
    """Retrain on every labelled complaint and store a new model version (used at once by the API)."""
    from core.triage.model import train as train_model

    settings = settings_or_exit()
    with cli_session() as session:
        result = train_model(session, settings, measure=measure)
    if result.version is None:
        typer.echo(f"no new model: {result.skipped}")
        return
    typer.echo(f"model version {result.version}: {result.examples} labelled complaints "
               f"({result.counts['category']} with a category, {result.counts['opd']} with an OPD), "
               f"trained in {decimal(result.seconds)} s")
    if result.evaluation is not None:
        print_evaluation(result.evaluation)


@triage_app.command("evaluate")
def evaluate() -> None:
    """Top-1 and top-3 accuracy for category and OPD: trained on the older 80 %, tested on the newest 20 %."""
    from core.triage.evaluate import evaluate as run_evaluation
    from core.triage.learn import load_examples

    settings = settings_or_exit()
    started = time.perf_counter()
    with cli_session() as session:
        examples = load_examples(session)
    if len(examples) < settings.triage_min_examples:
        typer.echo(f"belum cukup data: {len(examples)} labelled complaints, ADUAN_TRIAGE_MIN_EXAMPLES is "
                   f"{settings.triage_min_examples}")
        raise typer.Exit(1)
    evaluation = run_evaluation(examples, settings.triage_min_examples)
    print_evaluation(evaluation)
    typer.echo(f"trained in {decimal(evaluation.fit_seconds)} s ({decimal(time.perf_counter() - started)} s in all)")


@triage_app.command("candidates")
def candidates(store: bool = typer.Option(True, "--store/--no-store",
                                          help="Store the retrained ranker as a new version (used at once)")) -> None:
    """The complaint-or-not ranker of social candidates: retrain on the desk's decisions, print its precision and
    recall on the newest decided candidates (held out, trained on the rest)."""
    from core.triage.candidates import evaluate as evaluate_candidates
    from core.triage.candidates import load_labelled
    from core.triage.candidates import train as train_candidates

    settings = settings_or_exit()
    with cli_session() as session:
        if store:
            result = train_candidates(session, settings)
            evaluation, line = result.evaluation or {}, (
                f"candidate ranker version {result.version}: {result.complaints} complaints, {result.not_complaints} "
                f"rejected candidates (+ the seed list), calibrated on {result.info.get('calibrated_on')}, "
                f"trained in {decimal(result.seconds)} s")
        else:
            labelled = load_labelled(session)
            evaluation, line = evaluate_candidates(labelled), f"{len(labelled)} labelled complaints and candidates"
    typer.echo(line)
    if not evaluation.get("test"):
        typer.echo("nothing to test on yet: no decided candidates or labelled complaints")
        return
    held = "decided candidates" if evaluation["scope"] == "kandidat" else "labelled complaints"
    typer.echo(f"tested on the newest {evaluation['test']} {held}, "
               f"{evaluation['complaints']} of them complaints: precision {_pct(evaluation['precision'])}, "
               f"recall {_pct(evaluation['recall'])} (score ≥ 0.5), average precision "
               f"{_pct(evaluation['average_precision'])}")
