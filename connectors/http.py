"""HTTP helpers for connectors: core's classification, retries and page tokens (core.intake.http)."""

from core.intake.contract import HttpPolicy, dig
from core.intake.http import MAX_JSON_DEPTH, Retrier, TokenPaginator, get_json_once, parse_json, parse_retry_after

__all__ = ["HttpPolicy", "Retrier", "TokenPaginator", "dig", "get_json_once", "parse_json", "parse_retry_after",
           "MAX_JSON_DEPTH"]
