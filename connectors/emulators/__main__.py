"""Run an emulator in the foreground: `python -m connectors.emulators lapor --port 8101 --total 3000`."""

from __future__ import annotations

import argparse

import uvicorn

from connectors.emulators import google_reviews, lapor, meta_social, youtube
from connectors.emulators.faults import Faults


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.emulators", description=__doc__)
    parser.add_argument("kind", choices=("lapor", "google_reviews", "meta_social", "youtube"))
    parser.add_argument("--port", type=int, default=None,
                        help="default 8101 (lapor) / 8102 (google_reviews) / 8103 (meta_social) / 8104 (youtube)")
    parser.add_argument("--total", type=int, default=None, help="records generated at start")
    parser.add_argument("--days", type=int, default=180, help="spread over this many past days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default=None, help="expected token (default: the emulator's)")
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--rate-limit-rate", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.kind == "meta_social":  # the Graph side of Instagram/Facebook replies (deliveries: meta_social.main)
        state = meta_social.MetaSocialState(token=args.token or meta_social.DEFAULT_TOKEN, seed=args.seed)
        state.faults.update({"error_rate": args.error_rate, "rate_limit_rate": args.rate_limit_rate})
        port = args.port or 8103
        print(f"meta_social emulator on http://127.0.0.1:{port}", flush=True)
        uvicorn.run(meta_social.create_app(state), host="127.0.0.1", port=port, log_level="warning")
        return
    if args.kind == "youtube":  # --token is the API key it expects
        faults = youtube.YouTubeFaults(seed=args.seed, error_rate=args.error_rate,
                                       rate_limit_rate=args.rate_limit_rate)
        app = youtube.create_app(seed=args.seed, days=args.days, faults=faults, api_key=args.token or youtube.API_KEY,
                                 **({"total": args.total} if args.total is not None else {}))
        port = args.port or 8104
        print(f"youtube emulator on http://127.0.0.1:{port}", flush=True)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        return
    module = lapor if args.kind == "lapor" else google_reviews
    kwargs = dict(seed=args.seed, days=args.days,
                  faults=Faults(seed=args.seed, error_rate=args.error_rate, rate_limit_rate=args.rate_limit_rate))
    if args.total is not None:
        kwargs["total"] = args.total
    if args.token:
        kwargs["token"] = args.token
    port = args.port or (8101 if args.kind == "lapor" else 8102)
    print(f"{args.kind} emulator on http://127.0.0.1:{port}", flush=True)
    uvicorn.run(module.create_app(**kwargs), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
