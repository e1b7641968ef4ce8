"""What the paged HTML marks so that nothing runs past the text block (issue 13), read from
theme.render's output: long runs with no space (table cells, anywhere), mathematical letters, and
the breaks between highlighted code tokens. The pages themselves: tests/editions/test_pages.py."""

from __future__ import annotations

import re

from spindle.theme.render import code_lines, long_words

HEX = "0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"


def test_a_run_of_forty_or_more_breaks_anywhere_wherever_it_is():
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
        f'<td><span class="long-run">{label}</span></td></tr></table><p>{short}</p>')


def test_code_blocks_cells_code_and_unspaced_scripts_are_left_alone():
    chinese = "中文的句子" * 12  # no spaces: broken by its own rules
    thai = "ภาษาไทยเป็นภาษาที่สวยงาม" * 3
    html = (f"<pre><code>{HEX}</code></pre><p>{chinese}</p><p>{thai}</p>"
            f"<table><tr><td><code>an_identifier_in_code</code></td></tr></table>")
    assert long_words(html) == html


def test_mathematical_letters_are_set_in_the_maths_face():
    assert long_words("<p><strong>𝔽p</strong> and ℤp, 𝐱𝐲</p>") == \
        '<p><strong><span class="math-letter">𝔽</span>p</strong> and ℤp, <span class="math-letter">𝐱𝐲</span></p>'


def test_highlighted_tokens_meeting_without_a_space_get_a_zero_width_break():
    html = ('<pre class="code"><code><span class="nx">IO</span><span class="p">.</span><span class="k">of</span>'
            '<span class="p">(</span>x <span class="p">)</span>\n<span class="nx">next</span></code></pre>')
    out = code_lines(html)
    assert out.count("\u200b") == 4  # IO|.|of|(|x; none beside a space, none at a line's end
    assert 'IO\u200b</span><span class="p">.\u200b</span><span class="k">of\u200b</span><span class="p">(' in out
    assert '<span class="line"><span class="nx">next</span></span>' in out
    assert re.sub(r"<[^>]+>", "", out).replace("\u200b", "") == "IO.of(x )next"  # the text, unchanged
