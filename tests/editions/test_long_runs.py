"""What the paged HTML marks so that nothing runs past the text block (issue 13), read from
theme.render's output: long runs with no space (table cells, anywhere), mathematical letters, and
the breaks between highlighted code tokens. The pages themselves: tests/editions/test_pages.py."""

from __future__ import annotations

import re

from spindle.theme.render import code_lines, long_words

HEX = "0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"


def test_a_run_longer_than_a_row_breaks_anywhere_wherever_it_is():
    html = f"<li>(<code>{HEX}</code>, and <strong>{'7' * 77}</strong>_x2y2</li>"
    assert long_words(html) == (f'<li>(<code><span class="long-run">{HEX}</span></code>, and '
                                f'<strong><span class="long-run">{"7" * 77}</span></strong>_x2y2</li>')


def test_a_shorter_run_breaks_anywhere_in_a_table_cell_only_and_not_when_it_is_letters():
    label = "&#x27;unconfined_u:object_r:sepgsql_table_t:s0:c30&#x27;"  # 45 characters, 55 written
    short = "security_label=db_column"
    html = (f"<table><tr><td><b>column</b> {short} Parameterisation</td><td>{label}</td></tr></table>"
            f"<p>{short}</p>")
    assert long_words(html) == (
        f'<table><tr><td><b>column</b> <span class="long-word">{short}</span> Parameterisation</td>'
        f'<td><span class="long-word">{label}</span></td></tr></table><p>{short}</p>')
    # a run a row can hold is left alone outside a cell: it moves whole to the next row
    assert long_words(f"<p>{label}</p>", run=57) == f"<p>{label}</p>"
    assert long_words(f"<p>{label}</p>", run=40) == f'<p><span class="long-run">{label}</span></p>'



def test_code_blocks_cells_code_and_unspaced_scripts_are_left_alone():
    chinese = "中文的句子" * 12  # no spaces: broken by its own rules
    thai = "ภาษาไทยเป็นภาษาที่สวยงาม" * 3
    html = (f"<pre><code>{HEX}</code></pre><p>{chinese}</p><p>{thai}</p>"
            f"<table><tr><td><code>an_identifier_in_code</code></td></tr></table>")
    assert long_words(html) == html


def test_mathematical_letters_are_set_in_the_maths_face():
    assert long_words("<p><strong>𝔽p</strong> and ℤp, 𝐱𝐲</p>") == \
        '<p><strong><span class="math-letter">𝔽</span>p</strong> and ℤp, <span class="math-letter">𝐱𝐲</span></p>'


def _tokens(*pairs: tuple[str, str]) -> str:
    return "".join(f'<span class="{kind}">{text}</span>' if kind else text for kind, text in pairs)


def test_tokens_meeting_without_a_space_in_a_long_stretch_get_a_zero_width_break():
    line = _tokens(("nx", "IO"), ("p", "."), ("k", "of"), ("p", "("), ("nx", "signIn"), ("p", ")."), ("nx", "ap"),
                   ("p", "("), ("nx", "getVal"), ("p", "("), ("s1", "&#x27;#email&#x27;"), ("p", "));"))
    html = f'<pre class="code"><code>{line}\nx <span class="o">=</span> <span class="nx">next</span></code></pre>'
    out = code_lines(html, stretch=30)  # 'IO.of(signIn).ap(getVal('#email'));': 35 characters
    assert out.count("\u200b") == 11  # between each two of its 12 tokens; none on the short second line
    assert 'IO\u200b</span><span class="p">.\u200b</span><span class="k">of\u200b</span>' in out
    assert '<span class="line">x <span class="o">=</span> <span class="nx">next</span></span>' in out
    assert re.sub(r"<[^>]+>", "", out).replace("\u200b", "") == "IO.of(signIn).ap(getVal(&#x27;#email&#x27;));x = next"
    assert "\u200b" not in code_lines(html, stretch=36)  # shorter than the stretch: left alone


def test_a_short_stretch_after_a_space_is_left_to_move_whole():
    """mostly-adequate's `ajaxCall(json => callback(json));` wrapped at the space before
    'callback(json));', and still does: no break inside that stretch."""
    line = _tokens(("nx", "ajaxCall"), ("p", "("), ("", "json "), ("p", "=>"), ("", " callback"), ("p", "("),
                   ("", "json"), ("p", "));"))
    assert "\u200b" not in code_lines(f'<pre class="code"><code>{line}</code></pre>', stretch=40)
