"""Permalinks point somewhere real: the public address from --base-url, the environment or the
config file, used by briefs, bundles, cite sentences and the CLI; a local address is always
printed with a visible 'local copy' note."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from docx import Document
from pypdf import PdfReader

from incidentlens import cli, links
from incidentlens.present import brief, bundle, narrative
from incidentlens.query import queries
from incidentlens.query.filters import Filters

PUBLIC = "https://lens.example.org"


@pytest.fixture(autouse=True)
def no_settings(monkeypatch, tmp_path):
    """No address from the developer's environment or config file."""
    monkeypatch.delenv(links.BASE_URL_ENV, raising=False)
    monkeypatch.setenv(links.CONFIG_ENV, str(tmp_path / "absent.toml"))


def write_config(monkeypatch, tmp_path, text: str) -> None:
    path = tmp_path / "incidentlens.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(links.CONFIG_ENV, str(path))


# ---- where the address comes from ----------------------------------------------------------------


def test_no_setting_gives_none():
    assert links.base_url() is None


def test_command_line_then_environment_then_config_file(monkeypatch, tmp_path):
    write_config(monkeypatch, tmp_path, 'base_url = "https://from-file.example.org/"\n')
    assert links.base_url() == "https://from-file.example.org"
    monkeypatch.setenv(links.BASE_URL_ENV, "https://from-env.example.org")
    assert links.base_url() == "https://from-env.example.org"
    assert links.base_url("https://from-cli.example.org/lens/") == "https://from-cli.example.org/lens"


@pytest.mark.parametrize(
    "value",
    [
        "lens.example.org",
        "ftp://lens.example.org",
        "https://",
        "https://x.org/?a=1",
        "https://x.org/#top",
        "https://exa mple.org",
    ],
)
def test_an_unusable_address_is_refused_naming_where_it_came_from(monkeypatch, value):
    monkeypatch.setenv(links.BASE_URL_ENV, value)
    with pytest.raises(links.SettingError, match=links.BASE_URL_ENV):
        links.base_url()


def test_a_broken_config_file_is_refused(monkeypatch, tmp_path):
    write_config(monkeypatch, tmp_path, "base_url = https://no-quotes\n")
    with pytest.raises(links.SettingError, match="cannot be read as TOML"):
        links.base_url()
    write_config(monkeypatch, tmp_path, "base_url = 8501\n")
    with pytest.raises(links.SettingError, match="must be a string"):
        links.base_url()


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:8501/?ptype=msp", True),
        ("http://127.0.0.1:8501/", True),
        ("http://[::1]:8501/", True),
        ("http://0.0.0.0:8501/", True),
        ("http://192.168.1.20:8501/", True),
        ("http://10.0.0.5/", True),
        ("http://dashboard:8501/", True),
        ("http://lens.local/", True),
        ("https://lens.example.org/attribution", False),
        ("http://93.184.216.34/", False),
    ],
)
def test_is_local(url, local):
    assert links.is_local(url) is local


def test_permalink_and_cite():
    url = links.permalink(PUBLIC + "/", "attribution", {"years": "2019-2023", "ptype": "msp,break_fix"})
    assert url == f"{PUBLIC}/attribution?years=2019-2023&ptype=msp,break_fix"
    assert links.permalink(PUBLIC, "", {}) == f"{PUBLIC}/"
    assert links.cite(url) == url
    assert links.cite("http://localhost:8501/") == f"http://localhost:8501/ ({links.LOCAL_NOTE})"


# ---- what prints the address --------------------------------------------------------------------


def test_cite_sentences_mark_a_local_link(db):
    h = queries.headline(db, Filters())
    today = dt.date(2026, 1, 2)
    public = narrative.cite_labelled(h, f"{PUBLIC}/", today)
    assert public.endswith(f"{PUBLIC}/.") and "local copy" not in public
    local = narrative.cite_type(h, "msp", "http://localhost:8501/", today)
    assert f"http://localhost:8501/ ({links.LOCAL_NOTE})." in local


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_local_brief_says_so_on_its_first_page(db, fmt):
    b = brief.build(db, Filters(), "http://localhost:8501/", with_charts=False)
    data = brief.render(b, fmt)
    if fmt == "pdf":
        first = " ".join(pdf_pages(data)[0].split())
    else:
        paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
        first = " ".join(paragraphs[: paragraphs.index("The answer")])
    assert "localhost" in first and "Local copy: the links in this brief open only on the computer" in first
    assert links.BASE_URL_ENV in first


def test_a_public_brief_has_no_local_note_and_no_localhost(db):
    b = brief.build(db, Filters(sector=("dental",)), f"{PUBLIC}/?sector=dental", with_charts=False)
    text = "\n".join(pdf_pages(brief.render(b, "pdf")))
    assert f"{PUBLIC}/?sector=dental" in text
    assert "localhost" not in text and "Local copy" not in text


def test_bundle_readme_and_descriptor_mark_a_local_link(db):
    with zipfile.ZipFile(io.BytesIO(bundle.build(db, Filters(), "http://127.0.0.1:8501/explorer"))) as z:
        readme = z.read("README.md").decode()
        meta = json.loads(z.read("datapackage.json"))["x-filter"]
    assert f"**Note:** {links.LOCAL_NOTE}." in readme and meta["local_copy"] is True
    with zipfile.ZipFile(io.BytesIO(bundle.build(db, Filters(), f"{PUBLIC}/explorer"))) as z:
        assert "Note:" not in z.read("README.md").decode()
        assert json.loads(z.read("datapackage.json"))["x-filter"]["local_copy"] is False


# ---- the command line ----------------------------------------------------------------------------


def _brief_first_page(fixture_dir, tmp_path, *argv: str) -> str:
    out = tmp_path / "brief.pdf"
    assert (
        cli.main(
            [
                "--data",
                str(fixture_dir),
                "brief",
                "--format",
                "pdf",
                "--out",
                str(out),
                "--no-charts",
                "--sector",
                "dental",
                *argv,
            ]
        )
        == 0
    )
    return " ".join(pdf_pages(out.read_bytes())[0].split())


def test_cli_brief_uses_the_environment_address(fixture_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(links.BASE_URL_ENV, PUBLIC)
    first = _brief_first_page(fixture_dir, tmp_path)
    assert f"View online: {PUBLIC}/?sector=dental" in first and "Local copy" not in first
    assert "local copy" not in capsys.readouterr().err


def test_cli_brief_uses_the_config_file_and_the_option_wins(fixture_dir, tmp_path, monkeypatch):
    write_config(monkeypatch, tmp_path, f'base_url = "{PUBLIC}"\n')
    assert f"View online: {PUBLIC}/?sector=dental" in _brief_first_page(fixture_dir, tmp_path)
    first = _brief_first_page(fixture_dir, tmp_path, "--base-url", "https://other.example.org")
    assert "View online: https://other.example.org/?sector=dental" in first


def test_cli_without_an_address_notes_the_local_copy(fixture_dir, tmp_path, capsys):
    first = _brief_first_page(fixture_dir, tmp_path)
    assert "View online: http://localhost:8501/?sector=dental" in first and "Local copy" in first
    assert f"note: links point to http://localhost:8501 ({links.LOCAL_NOTE})" in capsys.readouterr().err


def test_cli_refuses_an_unusable_address_with_exit_2(fixture_dir, tmp_path, capsys):
    out = tmp_path / "b.zip"
    with pytest.raises(SystemExit) as exc:
        cli.main(
            [
                "--data",
                str(fixture_dir),
                "export",
                "--format",
                "bundle",
                "--out",
                str(out),
                "--base-url",
                "lens.example.org",
            ]
        )
    assert exc.value.code == 2
    assert "--base-url: 'lens.example.org' is not a base URL" in capsys.readouterr().err
    assert not out.exists()
