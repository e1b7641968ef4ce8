"""Transcript importers: one fixture per format (written from each tool's
documented export shape), the turns they give (speaker, text, order, times),
detection from content, cleaning, speaker maps, the native Markdown they
become, and every kind of bad input: one line, exit != 0, nothing written."""

from __future__ import annotations

import codecs
import io
import json
import textwrap
from pathlib import Path

import pytest

from spindle.cli import run
from spindle.project.config import SpeakerEntry
from spindle.manuscript.markdown import ParseContext, render
from spindle.manuscript.transcripts import UNKNOWN, read
from spindle.manuscript.transcripts.clean import Cleaner
from spindle.manuscript.transcripts.native import Options, escape, write
from spindle.manuscript.transcripts.speakers import resolve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"


def parse(name: str, **options):
    path = FIXTURES / name
    return read(path.read_bytes(), name, suffix=path.suffix, **options)


def turns(transcript) -> list[tuple[str, tuple[str, ...], float | None]]:
    return [(t.speaker, t.paragraphs, t.start) for t in transcript.turns]


# --- one fixture per format ----------------------------------------------------------------------

def test_teams_webvtt_guid_cues_crlf_and_sentences_wrapped_across_cues():
    raw = (FIXTURES / "teams.vtt").read_bytes()
    assert b"\r\n" in raw and b"3f1c2a9e-8b7d-4e21-9c55-0a6f2d1e7b43/11-1" in raw  # the shape under test
    t = parse("teams.vtt")
    assert (t.format, t.flavour) == ("vtt", "Microsoft Teams")
    assert turns(t) == [
        ("Interviewer (The Broker)", ("How did the partnership between your two organisations begin?",), 1.12),
        ("Programme Officer", ("We met at a partner meeting in 2015 and kept talking long after it ended. [laughs]",), 7.01),
        ("Interviewer (The Broker)", ("And who made the first move?",), 15.0),
        ("Network Coordinator", ("They did, but we set the terms & the pace.",), 18.4),
    ]
    assert [t.end for t in t.turns] == [6.25, 14.3, 17.82, 22.95]  # merged cues end with their last cue
    assert [t.line for t in t.turns] == [5, 13, 21, 25]
    assert t.warnings == ()


def test_zoom_webvtt_names_inside_cues():
    t = parse("zoom.vtt")
    assert (t.format, t.flavour) == ("vtt", "Zoom")
    assert turns(t) == [
        ("Interviewer", ("Thank you for joining us today.",), 0.5),
        ("Community Organiser", ("It is a pleasure. We started organising online in 2019, but the real work "
                                 "still happens in the neighbourhood.",), 4.2),
        ("Interviewer", ("Why is that?",), 12.0),
        # a colon inside the text is not a speaker
        ("Community Organiser", ("Trust is built face to face. Note: not everyone agrees.",), 62.0),
    ]


def test_webvtt_voice_tags_unclosed_classes_settings_note_and_style_blocks():
    t = parse("voices.vtt")
    assert turns(t) == [
        ("Activist", ("We do not ask for permission any more to organise.",), 1.0),  # <v.loud>, <c.yellow>, unclosed
        ("Researcher", ("Since when?",), 7.0),  # two voices in one cue
        ("Activist", ("Since 2016. [crosstalk]",), 7.0),
        ("Researcher", ("What changed <online>?",), 9.5),  # entities decoded
    ]
    text = " ".join(x.text for x in t.turns)
    assert "edited by hand" not in text and "color" not in text and "intro" not in text


def test_srt_without_names_is_one_anonymous_speaker_with_a_warning():
    t = parse("plain.srt")
    assert turns(t) == [
        (UNKNOWN, ("When we began, nobody believed a network of small groups could hold together.",
                   "Today it counts forty members."), 1.0),  # a 6 s pause after a full stop: new paragraph
    ]
    assert t.warnings == ()
    _, warnings = resolve(t, {}, "hint")
    assert warnings == ["plain.srt:3: 1 turn(s) name no speaker; kept as one anonymous speaker 'Unknown Speaker' "
                        "(give it a role in the speaker map: 'Unknown Speaker=ROLE')"]
    _, warnings = resolve(t, {UNKNOWN: SpeakerEntry(role="Founder of the network")}, "hint")
    assert warnings == []


def test_srt_with_name_prefixes():
    t = parse("named.srt")
    assert turns(t) == [
        ("Moderator", ("What does the network do?",), 0.0),
        ("Coordinator", ("It pools what small groups cannot buy alone: legal advice, security training, a voice.",), 2.9),
        ("Moderator", ("And money?",), 9.0),
        ("Coordinator", ("Money follows, um, trust.",), 11.0),
    ]


def test_otter_text_export():
    t = parse("otter.txt")
    assert t.format == "otter"
    assert turns(t) == [
        ("Speaker 1", ("So what does a day look like for you now?",), 3.0),
        ("Speaker 2", ("It starts with the phone. Messages from members, from journalists, sometimes from the police. "
                       "I I try to answer every one before noon.", "Most of them, um, are about money."), 9.0),
        (UNKNOWN, ("Sorry, can you repeat that?",), 72.0),
        ("Speaker 2", ("Most of them are about money, and about time.",), 75.0),
        ("Speaker 1", ("Thank you.",), 3737.0),  # 1:02:17
    ]
    assert "Transcribed" not in " ".join(x.text for x in t.turns)
    assert resolve(t, {}, "hint")[1][0].startswith("otter.txt:10: 1 turn(s) name no speaker")


def test_rev_text_speaker_with_time_in_parentheses():
    t = parse("rev.txt")
    assert t.format == "rev"
    assert turns(t) == [
        ("Speaker 1", ("Let's start with the obvious question. Why a consortium?",), 3.0),
        ("Speaker 2", ("Because none of us could do it alone. [inaudible 00:00:12] We tried, believe me.",), 9.0),
        ("Speaker 1", ("And the funders?",), 90.0),
        ("Speaker 2", ("They came later. [crosstalk 00:01:36] They always come later.",), 94.0),
    ]


def test_rev_text_name_colon_time_shape():
    t = parse("rev-colon.txt")
    assert t.format == "rev"
    assert turns(t) == [
        ("Interviewer", ("What did the network change for you?",), 2.0),
        ("Member", ("Everything about how we report. We now write one report for everyone.",), 6.0),
        ("Interviewer", ("And for your members?",), 198.0),  # words on the header line itself
        ("Member", ("They read it first.",), 205.0),
    ]


def test_whisper_json_segments_in_seconds():
    t = parse("whisper.json")
    assert (t.format, t.flavour) == ("whisper", "")
    assert turns(t) == [
        (UNKNOWN, ("We never planned to become a network. It happened because the same five groups kept meeting.",
                   "Eventually someone said: let's write it down."), 0.0),
    ]
    assert t.turns[0].end == 18.5
    assert "name no speaker" in resolve(t, {}, "hint")[1][0]


def test_whisperx_json_word_speakers_split_segments():
    t = parse("whisperx.json")
    assert (t.format, t.flavour) == ("whisper", "WhisperX")
    assert turns(t) == [
        ("SPEAKER_00", ("Who decides what counts as success?",), 0.031),
        ("SPEAKER_01", ("The communities do.",), 3.1),
        ("SPEAKER_00", ("Exactly.",), 6.1),  # a word spoken by the other speaker mid-segment
        ("SPEAKER_01", ("And the funders agree.",), 7.4),  # a word without a speaker stays in its run
    ]
    assert [x.end for x in t.turns] == [2.512, 4.5, 6.9, 9.0]


def test_whisper_json_times_in_milliseconds():
    t = parse("whisper-ms.json")
    assert turns(t) == [("Host", ("Can you hear me?",), 0.0), ("Guest", ("Yes, clearly.",), 2.6),
                        ("Host", ("Then let's begin.",), 5.2)]
    assert [x.end for x in t.turns] == [2.4, 5.1, 9.8]


def test_whisper_cpp_json_offsets_in_milliseconds():
    t = parse("whisper-cpp.json")
    assert t.flavour == "whisper.cpp"
    assert turns(t) == [(UNKNOWN, ("Good morning, and welcome. Today we talk about time banks.",), 0.0)]
    assert t.turns[0].end == 7.5


def test_plain_text_name_colon_turns():
    t = parse("plain.txt")
    assert t.format == "text"
    assert turns(t) == [
        ("Interviewer", ("How long have you been organising?",), None),
        ("Organiser", ("Twelve years. First in a church hall, then online, then in both at once.",
                       "It never got easier."), None),
        ("Interviewer", ("Why do you keep going?",), None),
        ("Organiser", ("Because: it works.",), None),  # 'Because' opens no turn: it is not a speaker
    ]


def test_plain_text_q_and_a():
    t = parse("qa.txt")
    assert (t.format, t.flavour) == ("text", "Q and A")
    assert turns(t) == [
        ("Q", ("What is a new currency?",), None),
        ("A", ("Anything people exchange that is not money. Time, trust, attention.",
               "Data too, though few think of it that way."), None),
        ("Q", ("And reputation?",), None),
        ("A", ("Reputation most of all.",), None),
    ]


def teams_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        paragraph = document.add_paragraph()
        for i, line in enumerate(text.split("\n")):
            if i:
                paragraph.add_run().add_break()
            paragraph.add_run(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# The shape Teams writes today: title, date, duration, then 'Name   m:ss' and the words.
TEAMS_DOCX = [
    "Partnership interview", "5 March 2024, 14:02", "23m 41s", "Interviewer (The Broker) started transcription",
    "Interviewer (The Broker)   0:03\nWhat brought your organisations together?",
    "Programme Officer   0:09\nA shared frustration with", "Programme Officer   0:12\nshort project cycles.",
    "Network Coordinator   1:02:17\nAnd a lot of patience.", "Interviewer (The Broker) stopped transcription",
]


def test_teams_docx_current_shape():
    data = teams_docx(TEAMS_DOCX)
    t = read(data, "meeting.docx", suffix=".docx")
    assert (t.format, t.flavour) == ("docx", "Microsoft Teams")
    assert turns(t) == [
        ("Interviewer (The Broker)", ("What brought your organisations together?",), 3.0),
        ("Programme Officer", ("A shared frustration with", "short project cycles."), 9.0),
        ("Network Coordinator", ("And a lot of patience.",), 3737.0),
    ]
    assert [x.line for x in t.turns] == [5, 6, 8]  # paragraph numbers


def test_teams_docx_older_arrow_shape():
    data = teams_docx(["0:0:0.0 --> 0:0:4.520\nInterviewer\nWhy now?",
                       "0:0:5.100 --> 0:0:9.800\nOrganiser\nBecause the money", "0:0:9.800 --> 0:0:12.0\nOrganiser\nran out."])
    t = read(data, "old.docx")
    assert t.flavour == "Microsoft Teams (older)"
    assert turns(t) == [("Interviewer", ("Why now?",), 0.0), ("Organiser", ("Because the money ran out.",), 5.1)]


# --- detection from content -----------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [
    ("teams.vtt", "vtt"), ("zoom.vtt", "vtt"), ("voices.vtt", "vtt"), ("plain.srt", "srt"), ("named.srt", "srt"),
    ("otter.txt", "otter"), ("rev.txt", "rev"), ("rev-colon.txt", "rev"), ("whisper.json", "whisper"),
    ("whisperx.json", "whisper"), ("whisper-cpp.json", "whisper"), ("plain.txt", "text"), ("qa.txt", "text"),
])
def test_the_format_is_told_by_content_not_by_extension(name, fmt):
    data = (FIXTURES / name).read_bytes()
    assert read(data, "transcript.dat", suffix=".dat").format == fmt


def test_a_short_exchange_of_labelled_lines_is_text():
    t = read(b"Speaker 1: hello there\nSpeaker 2: hi\n", "x.txt")
    assert turns(t) == [("Speaker 1", ("hello there",), None), ("Speaker 2", ("hi",), None)]


def test_an_explicit_format_overrides_detection():
    data = (FIXTURES / "rev-colon.txt").read_bytes()
    t = read(data, "x.txt", format="text")
    assert t.format == "text"
    assert turns(t)[0] == ("Interviewer", ("(00:02) What did the network change for you?",), None)


def test_utf16_with_bom_and_without():
    text = (FIXTURES / "otter.txt").read_text(encoding="utf-8")
    with_bom = read(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "o.txt")
    assert turns(with_bom) == turns(parse("otter.txt")) and not any("UTF-16" in w for w in with_bom.warnings)
    without = read(text.encode("utf-16-be"), "o.txt")
    assert turns(without) == turns(parse("otter.txt"))
    assert any("UTF-16 without a byte-order mark; read as UTF-16-BE" in w for w in without.warnings)


# --- cleaning --------------------------------------------------------------------------------------

@pytest.mark.parametrize("before, after, removed", [
    ("Um, I think so.", "I think so.", 1),
    ("I I try to answer every one.", "I try to answer every one.", 1),
    ("Money follows, um, trust.", "Money follows trust.", 1),
    ("Yes, um, I agree.", "Yes, I agree.", 1),
    ("It's, uh, it's hard. W- we know.", "It's hard. We know.", 3),
    ("and um I went", "and I went", 1),
    ("Um.", "", 1),
    # kept: grammatical doubles, words that contain a filler, meaningful interjections
    ("I know that that had had an effect. Umbrella, drum, hmm, ah.", "I know that that had had an effect. Umbrella, drum, hmm, ah.", 0),
])
def test_clean_removes_fillers_and_stutters_conservatively(before, after, removed):
    assert Cleaner("en").clean(before) == (after, removed)


def test_clean_dutch_fillers():
    assert Cleaner("nl").clean("Ik ik denk, eh, dat er een er is. Ehm, ja.") == ("Ik denk dat er een er is. Ja.", 3)


def test_clean_counts_and_merges_turns_left_adjacent():
    t = parse("otter.txt", clean=True)
    assert t.removed == 2
    assert t.turns[1].paragraphs == ("It starts with the phone. Messages from members, from journalists, sometimes from "
                                     "the police. I try to answer every one before noon.", "Most of them are about money.")
    t = read(b"A: Yes.\n\nQ: Um.\n\nA: Indeed.\n", "x.txt", clean=True)
    assert turns(t) == [("A", ("Yes.", "Indeed."), None)]


def test_cli_reports_how_many_were_removed(tmp_path, capsys):
    out = tmp_path / "otter.md"
    assert run(["transcript", "import", str(FIXTURES / "otter.txt"), "-o", str(out), "--clean"]) == 0
    assert "removed 2 filler(s) and stutter(s)" in capsys.readouterr().out
    assert "I I" not in out.read_text(encoding="utf-8") and "um," not in out.read_text(encoding="utf-8")


# --- speakers -------------------------------------------------------------------------------------

def test_speaker_map_labels_roles_and_interviewer():
    t = parse("teams.vtt")
    who, warnings = resolve(t, {
        "Interviewer (The Broker)": SpeakerEntry(role="Interviewer, The Broker", short="The Broker"),
        "Programme Officer": SpeakerEntry(role="Programme officer at a foundation", label="FUND"),
        "Network Coordinator": SpeakerEntry(name="A. Coordinator", role="Network coordinator"),
    }, "hint")
    assert [(s.label, s.role, s.interviewer) for s in who.values()] == [
        ("Q", "Interviewer, The Broker", True), ("FUND", "Programme officer at a foundation", False),
        ("NC", "Network coordinator", False)]
    assert who["Network Coordinator"].full == "A. Coordinator, Network coordinator"
    assert warnings == []


def test_without_a_map_names_stay_and_labels_are_derived():
    who, _ = resolve(parse("whisperx.json"), {}, "hint")
    assert [(s.label, s.role) for s in who.values()] == [("S00", "SPEAKER_00"), ("S01", "SPEAKER_01")]
    who, _ = resolve(parse("otter.txt"), {}, "hint")
    assert [(s.label, s.role) for s in who.values()] == [("S1", "Speaker 1"), ("S2", "Speaker 2"),
                                                         ("U", "Unidentified speaker")]


# --- native Markdown ------------------------------------------------------------------------------

def test_escaping_keeps_words_words_and_editorial_notes_notes(tmp_path):
    labels = {"Q", "A"}
    cases = {
        "1984. That year": "1984\\. That year",
        "- not a list": "\\- not a list",
        "# not a heading": "\\# not a heading",
        "Q: not a turn": "Q\\: not a turn",
        "*stars* and _under_ <b>tag</b> [link](x) {.cls} a & b ~~x~~": (
            "\\*stars\\* and \\_under\\_ \\<b\\>tag\\</b\\> \\[link\\](x) \\{.cls\\} a \\& b \\~\\~x\\~\\~"),
        "It ended. [laughs] [inaudible 00:12:31](then)": "It ended. [laughs] [inaudible 00:12:31]\\(then)",
    }
    for text, expected in cases.items():
        assert escape(text, labels, first=True) == expected
        ctx = ParseContext(chapter_id="c", source=tmp_path / "x.md", display="x.md", root=tmp_path, line_offset=0)
        rendered = render(expected, "en", ctx).html
        assert "<li>" not in rendered and "<h" not in rendered and "<a " not in rendered and "<em>" not in rendered


def test_native_markdown_front_matter_turns_times_quotes_and_notes():
    t = parse("teams.vtt")
    who, _ = resolve(t, {"Programme Officer": SpeakerEntry(role="Programme officer", short="Officer"),
                         "Interviewer (The Broker)": SpeakerEntry(role="Interviewer, The Broker"),
                         "Network Coordinator": SpeakerEntry(role="Coordinator")}, "hint")
    text = write(t, who, Options(title="First moves", standfirst="Two partners.", lang="en",
                                 pullquotes=("we set the terms & the pace.",),
                                 notes={"partner meeting": "A yearly meeting."}))
    assert text == textwrap.dedent("""\
        ---
        title: First moves
        kind: interview
        lang: en
        standfirst: Two partners.
        speakers:
          PO: {role: Programme officer, short: Officer}
          Q: {role: 'Interviewer, The Broker', interviewer: true}
          NC: {role: Coordinator}
        ---

        {data-start="0:00:01"}
        Q: How did the partnership between your two organisations begin?

        {data-start="0:00:07"}
        PO: We met at a partner meeting[^1] in 2015 and kept talking long after it ended. [laughs]

        {data-start="0:00:15"}
        Q: And who made the first move?

        {data-start="0:00:18"}
        NC: They did, but we set the terms \\& the pace.

        ::: pullquote
        we set the terms \\& the pace.
        :::

        [^1]: A yearly meeting.
        """)


# --- bad input: one line, exit != 0, nothing written ----------------------------------------------

class Cli:
    def __init__(self, root: Path, capsys):
        self.root, self.capsys = root, capsys
        (root / "manuscript").mkdir()

    def file(self, name: str, data: bytes | str) -> Path:
        path = self.root / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def fails(self, *args: str) -> tuple[int, str]:
        before = sorted(p.relative_to(self.root) for p in self.root.rglob("*"))
        code = run(["transcript", "import", *args])
        captured = self.capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert code != 0, captured
        assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
        assert "Traceback" not in captured.err and captured.out == ""
        assert sorted(p.relative_to(self.root) for p in self.root.rglob("*")) == before, "something was written"
        return code, lines[0][len("error: "):]


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    return Cli(tmp_path, capsys)


SUPPORTED = "vtt = WebVTT (voice tags, Microsoft Teams, Zoom); srt = SubRip"


def test_unknown_format_lists_the_supported_ones(cli):
    cli.file("notes.txt", "We talked for an hour about trust.\nIt was a good conversation.\n")
    _, message = cli.fails("notes.txt")
    assert message.startswith("notes.txt: unknown transcript format") and SUPPORTED in message
    for fmt in ("otter =", "rev =", "whisper =", "docx =", "text ="):
        assert fmt in message


def test_json_that_is_not_whisper_lists_the_supported_ones(cli):
    cli.file("data.json", json.dumps({"results": [1, 2]}))
    _, message = cli.fails("data.json")
    assert message.startswith("data.json: JSON, but not Whisper") and SUPPORTED in message


def test_ambiguous_format_names_both_and_lists_the_supported_ones(cli):
    cli.file("mixed.txt", "Speaker 1  0:03\nHello.\n\nSpeaker 2 (00:00:09):\nHi.\n")
    _, message = cli.fails("mixed.txt")
    assert message.startswith("mixed.txt: ambiguous transcript format: Otter.ai lines ('Name  0:03', line 1) "
                              "and Rev lines ('Name (00:03:18):', line 4)")
    assert "--format otter or --format rev" in message and SUPPORTED in message


@pytest.mark.parametrize("name, content, expected", [
    ("bad.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:0x.500\n<v A>Hi</v>\n",
     "bad.vtt:4: malformed timestamp '00:00:0x.500'; expected HH:MM:SS.mmm"),
    ("bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n\nthis block has no timing\n",
     "bad.vtt:6: malformed cue: no timing line 'HH:MM:SS.mmm --> HH:MM:SS.mmm' before 'this block has no timing'"),
    ("bad.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nHi\n", "bad.vtt:3: cue ends (00:00:02.000) before it starts"),
    ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 -> 00:00:04,000\nThere\n",
     "bad.srt:6: malformed cue timing '00:00:03,000 -> 00:00:04,000'; expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'"),
    ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi\n\nThere was no number\n",
     "bad.srt:5: malformed cue: expected a cue number and a timing line 'HH:MM:SS,mmm --> HH:MM:SS,mmm'"),
    ("bad.srt", "1\n00:00:01,000 --> 00:61:02,000\nHi\n", "bad.srt:2: malformed timestamp '00:61:02,000'"),
    ("bad.txt", "Speaker 1  0:03\nHello.\n\nSpeaker 2  0:7x\nHi.\n", "bad.txt:4: malformed timestamp '0:7x'"),
    ("bad.txt", "Speaker 1 (00:00:03):\nHello.\n\nSpeaker 2 (00:61:09):\nHi.\n", "bad.txt:4: malformed timestamp '00:61:09'"),
    ("bad.json", '{"segments": [\n {"start": 0, "end": 1, "text": "a"},\n', "bad.json:3: invalid JSON:"),
])
def test_malformed_timestamps_and_cues_name_the_file_and_line(cli, name, content, expected):
    cli.file(name, content)
    _, message = cli.fails(name)
    assert message.startswith(expected), message


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"WEBVTT\n\n", b"WEBVTT\n\nNOTE only a note\n",
                                     b'{"segments": []}', b"\xef\xbb\xbf\n"])
def test_an_empty_transcript_has_its_own_message(cli, content):
    cli.file("empty.vtt", content)
    _, message = cli.fails("empty.vtt")
    assert message == "empty.vtt: the transcript is empty: no spoken text found; export it again with its text"


def test_invalid_utf8_has_its_own_message(cli):
    cli.file("latin.txt", "Q: Wat is er veranderd?\nA: Het caf\xe9 ging dicht.\n".encode("latin-1"))
    _, message = cli.fails("latin.txt")
    assert message == ("latin.txt:2: not valid UTF-8 (byte 0xE9 at column 11); save the transcript as UTF-8 "
                       "(or UTF-16 with a byte-order mark)")


def test_a_speaker_missing_from_the_map_has_its_own_message(cli):
    cli.file("t.vtt", (FIXTURES / "teams.vtt").read_bytes())
    _, message = cli.fails("t.vtt", "--speaker", "Interviewer (The Broker)=Interviewer",
                           "--speaker", "Programme Officer=Programme officer")
    assert message == ("t.vtt:25: speaker 'Network Coordinator' is not in the speaker map; add --speaker "
                       "\"Network Coordinator=ROLE\" (or leave out every --speaker to keep the names as they are)")


def test_a_bad_speaker_option_is_a_usage_error(cli):
    cli.file("t.vtt", (FIXTURES / "teams.vtt").read_bytes())
    code, message = cli.fails("t.vtt", "--speaker", "Programme Officer")
    assert code == 2 and message.startswith("--speaker 'Programme Officer': expected NAME=ROLE")


def test_a_broken_docx_has_its_own_message(cli):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<not-xml")
    cli.file("broken.docx", buffer.getvalue())
    _, message = cli.fails("broken.docx")
    assert message.startswith("broken.docx: not a readable Word .docx file")


def test_missing_input_file(cli):
    _, message = cli.fails("nope.vtt")
    assert message == "nope.vtt: no such file; check the path"


def test_import_never_overwrites_without_force(cli):
    cli.file("t.vtt", (FIXTURES / "teams.vtt").read_bytes())
    existing = cli.file("manuscript/t.md", "my edits\n")
    code, message = cli.fails("t.vtt")
    assert code == 2 and message == "manuscript/t.md already exists; pass --force to overwrite it, or choose another -o"
    assert existing.read_text(encoding="utf-8") == "my edits\n"
    assert run(["transcript", "import", "t.vtt", "--force"]) == 0
    assert existing.read_text(encoding="utf-8").startswith("---\n# imported by spindle from t.vtt (WebVTT, Microsoft Teams)")


def test_import_writes_the_default_path_and_can_print_instead(cli):
    cli.file("2024-03 Interview_final.vtt", (FIXTURES / "zoom.vtt").read_bytes())
    assert run(["transcript", "import", "2024-03 Interview_final.vtt", "--title", "Face to face"]) == 0
    out = cli.capsys.readouterr().out
    written = cli.root / "manuscript" / "2024-03-interview-final.md"
    assert written.is_file() and "-> manuscript/2024-03-interview-final.md" in out
    assert "title: Face to face" in written.read_text(encoding="utf-8")
    assert run(["transcript", "import", "2024-03 Interview_final.vtt", "-o", "-"]) == 0
    captured = cli.capsys.readouterr()
    assert captured.out == written.read_text(encoding="utf-8").replace("title: Face to face", "title: 2024 03 Interview final")
    assert "5 cues read -> 4 turns by 2 speakers (vtt, Zoom) -> standard output" in captured.err


def test_a_format_that_does_not_fit_the_file(cli):
    cli.file("t.txt", (FIXTURES / "qa.txt").read_bytes())
    _, message = cli.fails("t.txt", "--format", "docx")
    assert message == "t.txt: not a Word .docx file (it is text); pass --format auto or the text format it is in"
    cli.file("t.docx", teams_docx(TEAMS_DOCX))
    _, message = cli.fails("t.docx", "--format", "vtt")
    assert message == "t.docx: a zip archive (.docx?), not vtt text; pass --format docx or auto"
    cli.file("t.zip", b"PK\x03\x04" + b"\x00" * 40)
    _, message = cli.fails("t.zip")
    assert message.startswith("t.zip: a zip archive but not a Word .docx; supported formats: vtt = ")
