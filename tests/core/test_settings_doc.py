"""README's configuration reference is generated from the Settings model and must not drift."""

from pathlib import Path

import pytest

from core.runtime.settings import Settings
from core.runtime.settings_doc import END, START, current_section, replace_section, settings_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_configuration_reference_is_up_to_date():
    try:
        section = current_section(README.read_text(encoding="utf-8"))
    except ValueError:
        pytest.fail(f"README.md lacks the {START} / {END} markers: put them back and run `make docs`")
    assert section == settings_markdown(), (
        "README.md's configuration reference is out of date with core/runtime/settings.py: run `make docs`"
    )


def test_every_setting_is_documented_with_its_environment_variable():
    table = settings_markdown()
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 10, f"Settings.{name} needs a description"
        assert f"`ADUAN_{name.upper()}`" in table


def test_secrets_never_show_a_value(monkeypatch):
    monkeypatch.setenv("ADUAN_WHATSAPP_TOKEN", "rahasia-sekali")
    monkeypatch.setenv("ADUAN_DASHBOARD_SECRET", "adu_kunci-yang-panjang-sekali-0123456789")
    table = settings_markdown()
    assert "rahasia-sekali" not in table and "adu_kunci" not in table
    token_row = next(row for row in table.splitlines() if "`ADUAN_WHATSAPP_TOKEN`" in row)
    key_row = next(row for row in table.splitlines() if "`ADUAN_DASHBOARD_SECRET`" in row)
    assert "(secret)" in token_row and "(secret)" in key_row


def test_defaults_are_written_the_way_the_environment_takes_them():
    table = settings_markdown()
    assert '| `{"cepat": 5, "sedang": 14, "lama": 60}` |' in table  # JSON, as pydantic-settings parses it
    assert "| `sqlite:///./aduan.db` |" in table


def test_regenerating_replaces_only_the_marked_section():
    document = "# Judul\n\nintro\n<!-- settings:start -->\nlama\n<!-- settings:end -->\n\nakhir\n"
    updated = replace_section(document, "baru\n")
    assert updated == "# Judul\n\nintro\n<!-- settings:start -->\nbaru\n<!-- settings:end -->\n\nakhir\n"
    assert current_section(updated) == "baru\n"
