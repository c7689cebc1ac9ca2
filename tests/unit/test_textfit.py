"""Lines for an image's title and footer: none wider than the canvas, no word lost, and a long
link broken where a reader can still follow it."""

from __future__ import annotations

from incidentlens.present import textfit


def test_wrapped_lines_fit_the_width_and_keep_every_word():
    text = "Of 32 incidents publicly labelled MSP attacks, 9 (28%) involved a provider assessed as an MSP"
    lines = textfit.wrap(text, 18, 300, bold=True)
    assert len(lines) > 1
    assert all(textfit.text_width(line, 18, bold=True) <= 300 for line in lines)
    assert " ".join(lines) == text


def test_a_link_longer_than_a_line_breaks_after_a_slash():
    link = "https://example.org/reports/2021/kaseya-vsa-supply-chain-ransomware-attack-analysis"
    lines = textfit.wrap(link, 11, 200)
    assert "".join(lines) == link and len(lines) > 1
    assert lines[0] == "https://example.org/reports/2021/"  # not mid-word, while a break fits
    assert all(textfit.text_width(line, 11) <= 200 for line in lines)


def test_empty_text_is_one_empty_line():
    assert textfit.wrap("", 13, 100) == [""]
