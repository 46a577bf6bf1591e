"""Proposing testimonies: quoted passages of a cleaned body and who said them.

The rules follow how wire and local reporting attribute speech: an inverted attribution after
the quote ("…,” said Yuri Krassnikov, retired), a subject before it (Bardas added, "…"), an
interrupted quote that keeps its speaker, a quote paragraph whose speaker was introduced just
before (Ivan Sossnine, 19, stayed behind… / “This is our home…”), pronouns and definite
descriptions ("he continued", "the 70-year-old man") that point back to the last person of
the right gender. Everything is anchored by offsets in the body: body[start:end] == quote.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from archive.ingest.detection import normalise_key


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SPEECH_VERBS = (
    "said|says|say|added|adds|noted|notes|asked|asks|stated|states|told|tells|continued|"
    "continues|explained|explains|recalled|recalls|sighed|sighs|shouted|shouts|yelled|yells|"
    "cried|cries|whispered|insisted|insists|claimed|claims|replied|replies|answered|answers|"
    "interjected|interjects|warned|warns|admitted|admits|declared|declares|remembered|"
    "remembers|murmured|exclaimed|confided|confides|wrote|writes|complained|complains|"
    "repeated|repeats|swore|swears|lamented|laments|acknowledged|observed|remarked|"
    "added|explained|agreed|agrees|pleaded|urged|urges|promised|joked|jokes|"
    "went on|goes on|put it|said to|told AFP|told Reuters"
)
VERB = rf"(?:{SPEECH_VERBS})"
NAME_TOKEN = r"[A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ][a-zà-öø-ÿа-яіїєґ'’ï-]+(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+)?"
NAME = rf"{NAME_TOKEN}(?:\s+{NAME_TOKEN}){{0,2}}"

FEMALE_NAMES = _words(
    """
    alina anna anastasia anastasiia nastia daria dasha halyna galina hanna iryna irina kateryna
    ekaterina katerina lyudmyla liudmyla ludmila lioudmila lyubov maria mariia marina maryna
    nadia nadiya nadezhda natalia natalya nataliya natalie nina oksana olena elena hélène olga
    olha svitlana svetlana tamara tetiana tetyana tatiana tatiana valentyna valentina vira vera
    yulia yuliia ioulia zoya larysa larisa lidia inna raisa tania tanya viktoriia victoria
    khrystyna sofia zinaida antonina liubov alla ganna galyna polina diana kristina ksenia oxana
    """
)
MALE_NAMES = _words(
    """
    oleksandr olexandr alexander alexandre oleksii oleksiy alexei alexey alexeï andriy andrii
    andrei andrey andreï anatoliy anatoli anton artem artyom bohdan borys boris dmytro dmitry
    dmitri denys denis eduard fedir hennadiy gennady ihor igor illia ilya ivan yevhen evgeny
    ievgen evguéni kostiantyn konstantin maksym maxim mykola nikolai nikolaï mykhailo mikhail
    oleh oleg pavlo pavel petro petr piotr roman ruslan serhiy serhii sergiy sergii sergey
    sergei sergueï serguiï sergueï stanislav taras valeriy valery valeri valéri vadym vadim
    vasyl vasily vassili viktor victor vitaliy vitaly vitali vitali volodymyr vladimir yaroslav
    iaroslav yuriy yurii yuri iouri youri zakhar adam artur danylo daniil mykyta nikita anatolii
    leonid yevgeny bogdan vyacheslav viacheslav valentyn valentin hryhoriy grigory stepan semen
    semyon kyrylo kirill yakiv yakov mark
    """
)
FIRST_NAMES = FEMALE_NAMES | MALE_NAMES

# Capitalised words that start sentences or name things other than people.
NOT_NAMES = _words(
    """
    the a an he she they we i it its in on at for but and yet while when since although however
    according despite his her their our this that these those there here many some most mostly
    another one two three local locals large earlier later then now after before during as if so
    because though whereas with without from by of to into than also even still every each all
    both no not nor or only just about around near ukrainian ukrainians russian russians russia
    ukraine moscow kremlin kyiv kiev god western eastern oblast governor region monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july august
    september october november december donbas donbass cossack cossacks grad president police
    army forces mr mrs ms dr do does did what why where who how which yes no oh well like any
    help let stop nobody everyone someone people once more mother father grandmother grandfather
    son daughter soldier soldiers officer commander mayor
    """
)
TITLES = (
    r"(?:Governor|Mayor|President|Colonel|Captain|General|Commander|Sergeant|Lieutenant|"
    r"Father|Dr\.?|Mr\.?|Mrs\.?|Ms\.?|Local|local|resident|named|nicknamed|called|leader)"
)
ROLE_NOUNS = (
    "retired|retiree|pensioner|soldier|officer|commander|volunteer|worker|teacher|headmistress|"
    "headmaster|doctor|nurse|driver|mayor|governor|representative|resident|seller|farmer|miner|"
    "engineer|priest|chaplain|medic|paramedic|fighter|sergeant|colonel|captain|spokesman|"
    "spokeswoman|spokesperson|official|chief|head|director|manager|owner|shopkeeper|student|"
    "journalist|photographer|mother|father|grandmother|grandfather|widow|widower|veteran|"
    "coordinator|activist|lawyer|mechanic|builder|electrician|firefighter|rescuer|operator|pilot"
)
ANAPHORIC_NOUNS = {
    "man": "m",
    "woman": "f",
    "person": "",
    "resident": "",
    "pensioner": "",
    "retiree": "",
    "grandmother": "f",
    "grandfather": "m",
    "mother": "f",
    "father": "m",
    "widow": "f",
    "widower": "m",
    "soldier": "",
    "officer": "",
    "commander": "",
    "mayor": "",
    "governor": "",
}

OPENERS = "«„"
DOUBLE_MARKS = '"“”«»„'
CLOSERS = "»"
MIN_QUOTE_WORDS = 3
# How far back a quote standing alone looks for the person the text was talking about.
CONTEXT_PARAGRAPHS = 3
# How many mentions back a pronoun or a description may reach.
LOOKBACK = 80
UNATTRIBUTED_MIN_WORDS = 5

_SENTENCE_END = re.compile(r"[.!?…](?:[\"”’»)])?\s+")
_WORDS = re.compile(r"\w+")


@dataclass
class Mention:
    name: str
    start: int
    gender: str = ""
    age: int | None = None
    role: str = ""
    # Set for somebody the text describes without naming ("a police officer at the
    # checkpoint"), who may speak again as "he" or "the officer".
    description: str = ""
    head: str = ""


@dataclass
class Speaker:
    name: str = ""  # a person's name as published, when named
    description: str = ""  # who spoke, when unnamed
    age: int | None = None
    role: str = ""
    evidence: str = ""

    @property
    def known(self) -> bool:
        return bool(self.name or self.description)


@dataclass
class Proposal:
    start: int
    end: int
    quote: str
    speaker: Speaker = field(default_factory=Speaker)
    paragraph: int = 0


@dataclass
class _Quote:
    start: int  # content start in body
    end: int  # content end in body
    open_mark: int  # position of the opening mark, or of the content when it has none
    close_mark: int  # position just after the closing mark, or content end
    paragraph: int


# --- Finding quoted passages -------------------------------------------------------------------


def _is_space(ch: str) -> bool:
    return ch == "" or ch.isspace()


def _classify(text: str, i: int, inside: str | None, end: int) -> str:
    """'open', 'close' or '' for the mark at text[i], given the quote we are in (if any);
    `end` is the end of the paragraph, beyond which nothing is looked at."""
    ch = text[i]
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < end else ""
    if ch == "‘":
        return "open" if inside is None and (_is_space(before) or before in "([—–-") else ""
    if ch == "’":
        # An apostrophe (don’t, the soldiers’ homes) runs on into a word; a closing single
        # quote follows punctuation (‘…,’ said) or ends the sentence.
        if inside != "‘" or after.isalpha():
            return ""
        following = text[i + 2] if i + 2 < end else ""
        if before in ",.!?…;:—–-" or not (after == " " and following.islower()):
            return "close"
        return ""
    if ch in OPENERS:
        return "open" if inside is None else ""
    if ch in CLOSERS:
        return "close" if inside == "«" else ""
    if inside == "«":
        return ""  # quotes nested inside guillemets belong to the outer quote
    if ch == "“":
        # A “ glued to the end of a sentence inside a quote is a mistyped closing mark.
        if inside is not None and not _is_space(before) and before not in "([—–-":
            return "close"
        return "open" if inside is None or _is_space(before) else ""
    if ch == "”":
        if inside is None and (_is_space(before) or before in "([—–-") and after.isalnum():
            return "open"
        return "close"
    if ch == '"':
        if (_is_space(before) or before in "([—–-") and not _is_space(after):
            return "open"
        if not _is_space(before) and (_is_space(after) or not after.isalnum()):
            return "close"
        return "close" if inside is not None else "open"
    return ""


def _sentence_starts(text: str, lo: int, hi: int) -> list[int]:
    return [m.end() for m in _SENTENCE_END.finditer(text, lo, hi) if m.end() <= hi]


def find_quotes(body: str, paragraphs: list[tuple[int, int]]) -> list[_Quote]:
    quotes: list[_Quote] = []
    carry: _Quote | None = None  # a quote left open at the end of the previous paragraph
    marks = DOUBLE_MARKS
    if "‘" in body and not any(mark in body for mark in DOUBLE_MARKS):
        # British style: speech in single quotes, told from apostrophes by their position.
        marks += "‘’"
    for number, (p_start, p_end) in enumerate(paragraphs):
        inside: str | None = None
        open_at = content_at = -1
        opening = _Opening(body, p_start)
        prev_end = p_start
        first_quote_of_paragraph = True
        i = p_start
        while i < p_end:
            ch = body[i]
            if ch not in marks:
                i += 1
                continue
            kind = _classify(body, i, inside, p_end)
            if kind == "open" and inside is not None and opening.is_stray_mark(i):
                # A mark after a word or two of exclamation ("There! "A dirty Russian!") is a
                # stray inside one quote, not a new quote.
                i += 1
                continue
            if kind == "open" and inside is not None:
                # A new quote opens before the previous one closed: end that one at the last
                # sentence boundary before this mark ("…friends there. …, he said, "I don't").
                boundaries = _sentence_starts(body, content_at, i)
                cut = boundaries[-1] if boundaries else i
                _add(quotes, body, content_at, cut, open_at, cut, number)
                prev_end = cut
                inside = None
            if kind == "open" and inside is None:
                if carry is not None and i == _first_char(body, p_start, p_end):
                    # A quote running over paragraphs: this paragraph continues it.
                    open_at, content_at = carry.open_mark, carry.start
                    opening = _Opening(body, content_at)
                    carry = None
                else:
                    if carry is not None:
                        _add(
                            quotes,
                            body,
                            carry.start,
                            carry.end,
                            carry.open_mark,
                            carry.end,
                            carry.paragraph,
                        )
                        carry = None
                    open_at, content_at = i, i + 1
                    opening = _Opening(body, content_at)
                inside = "«" if ch in "«" else ch
                first_quote_of_paragraph = False
            elif kind == "close" and inside is not None:
                _add(quotes, body, content_at, i, open_at, i + 1, number)
                prev_end = i + 1
                inside = None
            elif kind == "close" and inside is None:
                # A closing mark without its opening: the quote began at the start of the
                # paragraph, or at the sentence after the previous quote.
                if first_quote_of_paragraph:
                    start = p_start
                else:
                    boundaries = _sentence_starts(body, prev_end, i)
                    start = boundaries[-1] if boundaries else prev_end
                _add(quotes, body, start, i, start, i + 1, number)
                prev_end = i + 1
                first_quote_of_paragraph = False
            i += 1
        if carry is not None:
            _add(quotes, body, carry.start, carry.end, carry.open_mark, carry.end, carry.paragraph)
            carry = None
        if inside is not None:
            carry = _Quote(content_at, p_end, open_at, p_end, number)
    if carry is not None:
        _add(quotes, body, carry.start, carry.end, carry.open_mark, carry.end, carry.paragraph)
    return quotes


_VERB_WORD = re.compile(rf"\b{VERB}\b")


class _Opening:
    """The words read so far of the quote that is open, for telling a stray mark from a new
    quote. Each mark extends the scan from the previous one: rescanning from the quote's start
    at every mark made a run of marks (“ “ “ …) quadratic in the capture's length."""

    def __init__(self, body: str, content_start: int):
        self.body = body
        self.scanned_to = content_start
        self.words: list[re.Match] = []

    def is_stray_mark(self, mark: int) -> bool:
        """A mark after fewer than MIN_QUOTE_WORDS words and no speech verb is a stray."""
        if len(self.words) < MIN_QUOTE_WORDS:
            # Marks are not word characters, so no word straddles `scanned_to` or `mark`.
            for m in _WORDS.finditer(self.body, self.scanned_to, mark):
                self.words.append(m)
                if len(self.words) >= MIN_QUOTE_WORDS:
                    break
            self.scanned_to = mark
        if len(self.words) >= MIN_QUOTE_WORDS:
            return False
        if not self.words:
            return True
        # A speech verb ("went on") is made of these few words and the spaces between them.
        return not _VERB_WORD.search(self.body, self.words[0].start(), self.words[-1].end())


def _first_char(body: str, lo: int, hi: int) -> int:
    i = lo
    while i < hi and body[i].isspace():
        i += 1
    return i


def _add(quotes, body, start, end, open_mark, close_mark, paragraph) -> None:
    # Trim whitespace, and the comma that belongs to the attribution ("…burns,” said …).
    while start < end and body[start].isspace():
        start += 1
    while end > start and (body[end - 1].isspace() or body[end - 1] in ",—–-"):
        end -= 1
    if end > start and any(c.isalnum() for c in body[start:end]):
        quotes.append(_Quote(start, end, open_mark, close_mark, paragraph))


# --- People mentioned in the narrative ----------------------------------------------------------


def _gender_of(name: str) -> str:
    first = name.split()[0].casefold()
    if first in FEMALE_NAMES:
        return "f"
    if first in MALE_NAMES:
        return "m"
    last = name.split()[-1].casefold()
    if len(name.split()) > 1 and re.search(r"(ova|eva|ina|ska|ka|yna)$", last):
        return "f"
    if len(name.split()) > 1 and re.search(r"(ov|ev|in|sky|ko|uk|yuk|ych|ich)$", last):
        return "m"
    return ""


_ROLE_CUT = re.compile(
    r"\s+(?:who|whom|whose|which|in|at|from|with|speaking|sitting|standing|living|"
    r"interviewed|told|said)\b|[,.;:!?(“\"«]"
)


def parse_role(text: str) -> tuple[str, int | None]:
    """Role and age in an appositive: ", a 50-year-old municipal worker whom…" → (…)."""
    text = text.strip()
    age = None
    m = re.match(r"^(\d{1,3}),?\s*", text)
    if m:
        age = int(m.group(1))
        text = text[m.end() :]
    cut = _ROLE_CUT.search(text)
    phrase = (text[: cut.start()] if cut else text).strip()
    phrase = re.sub(r"^(?:a|an|the|one)\s+", "", phrase, flags=re.I)
    m = re.match(r"^(\d{1,3})-year-old\s*", phrase)
    if m:
        age = int(m.group(1))
        phrase = phrase[m.end() :]
    words = phrase.split()
    if not words or len(words) > 8 or (words[0][:1].isupper() and words[0] not in ("Ukrainian",)):
        return "", age
    if not re.search(rf"\b(?:{ROLE_NOUNS})s?\b", phrase, re.I):
        return "", age
    return phrase, age


class People:
    """Who the narrative mentions, in order, with what it tells about each of them."""

    def __init__(
        self,
        body: str,
        quotes: list[_Quote],
        known_names: set[str],
        not_names: set[str],
        not_people: set[str] = frozenset(),
    ):
        self.body = body
        self.not_people = {n.casefold() for n in not_people}
        self.mentions: list[Mention] = []
        self._starts: list[int] = []
        self.info: dict[str, Mention] = {}
        # Every full name by each of its words, to resolve "Bardas" to "Vitaly Bardas".
        self._by_token: dict[str, set[str]] = {}
        self._by_token_known: set[str] = set()
        self.known = {n.casefold() for n in known_names}
        self.not_names = {n.casefold() for n in not_names} | NOT_NAMES
        self.quote_spans = sorted((q.open_mark, q.close_mark) for q in quotes)
        self._quote_starts = [start for start, _ in self.quote_spans]
        self._scan()

    def _in_quote(self, pos: int) -> bool:
        # Quote spans are in body order and do not overlap: the last one starting at or
        # before `pos` is the only candidate.
        index = bisect.bisect_right(self._quote_starts, pos) - 1
        return index >= 0 and pos < self.quote_spans[index][1]

    def _scan(self) -> None:
        for m in _DESCRIBED_SPEAKER.finditer(self.body):
            if self._in_quote(m.start("np")):
                continue
            description = re.split(r",", m["np"] + m["tail"])[0].strip()
            description = description[0].lower() + description[1:]
            key = f"#{m.start('np')}"
            info = Mention(
                name=key, start=m.start("np"), description=description, head=m["head"].casefold()
            )
            self.info[key] = info
            self.add_mention(key, m.start("np"))
        for m in re.finditer(NAME, self.body):
            if self._in_quote(m.start()):
                continue
            name = self._as_person(m)
            if name and name.casefold() not in self.not_people:
                # The name may be shorter than the match ("Mayor Roman Mrochko"): what comes
                # before it (a title, an age) tells about the person.
                offset = m.group(0).find(name.split()[0])
                start = m.start() + max(offset, 0)
                self.note(
                    name,
                    start,
                    after=self.body[m.end() : m.end() + 160],
                    before=self.body[max(0, start - 40) : start],
                )

    def _as_person(self, m: re.Match) -> str:
        tokens = m.group(0).split()
        # Drop leading words that are not names ("Yet Vadim Chvets", "Local Vitaly Bardas").
        while tokens and (tokens[0].casefold() in self.not_names or tokens[0] == "Local"):
            tokens = tokens[1:]
        while tokens and tokens[-1].casefold() in self.not_names:
            tokens = tokens[:-1]
        tokens = [re.sub(r"['’]s$", "", t) for t in tokens]
        if not tokens or any(t.casefold() in self.not_names for t in tokens):
            return ""
        name = " ".join(tokens)
        start = m.start() + m.group(0).find(tokens[0])
        before = self.body[max(0, start - 30) : start]
        after = self.body[start + len(name) : start + len(name) + 30]
        alias = self.resolve_alias(name)
        if alias:
            return alias
        if name.casefold() in self.known or tokens[0].casefold() in FIRST_NAMES:
            return name
        if re.search(rf"\b{TITLES}\s+$", before):
            return name
        if re.match(r"^(?:,\s*\d{1,3}\b|\s+" + VERB + r"\b)", after):
            return name
        if re.search(rf"\b{VERB},?\s+$", before) and not before.rstrip().endswith(","):
            return name
        if len(tokens) >= 2 and re.match(r"^,\s*(?:a|an|the)\s", after):
            return name
        return ""

    def resolve_alias(self, name: str) -> str:
        if name in self.info:
            return name
        if " " in name:
            return ""
        matches = self._by_token.get(name, set())
        return next(iter(matches)) if len(matches) == 1 else ""

    def note(self, name: str, start: int, *, after: str = "", before: str = "") -> Mention:
        name = self.resolve_alias(name) or name
        info = self.info.setdefault(name, Mention(name=name, start=start, gender=_gender_of(name)))
        m = re.match(r"^,\s*(.+)", after)
        if m:
            role, age = parse_role(m.group(1))
            info.role = info.role or role
            info.age = info.age or age
        m = re.search(r"(\d{1,3})-year-old\s+(?:[a-z]+\s+){0,2}$", before)
        if m:
            info.age = info.age or int(m.group(1))
        # "A soldier named Vadim", "their leader Adam", "A municipal worker, Serhii Bondar":
        # the role stands before the name.
        m = re.search(
            rf"\b(?P<role>(?:[a-z]+\s+)?(?:{ROLE_NOUNS}|leader))(?:\s+named|\s+called|,)?\s+$",
            before,
        )
        if m and not info.role:
            info.role = re.sub(r"^(?:the|a|an|their|his|her|our|its)\s+", "", m["role"])
        # "Mayor Roman Mrochko", "Governor Kyrylenko": a title is a role.
        m = re.search(
            r"\b(?P<title>Mayor|Governor|President|Colonel|Captain|General|Sergeant|"
            r"Lieutenant|Commander|Father|Major)\s+$",
            before,
        )
        if m and not info.role:
            info.role = m["title"].casefold()
        if name not in self._by_token_known:
            self._by_token_known.add(name)
            for token in name.split():
                self._by_token.setdefault(token, set()).add(name)
        self.add_mention(name, start)
        return info

    def add_mention(self, name: str, start: int) -> None:
        """Record that `name` (a key of `info`) is mentioned at `start`, keeping body order."""
        index = bisect.bisect_right(self._starts, start)
        self._starts.insert(index, start)
        self.mentions.insert(index, Mention(name=name, start=start))

    def _recent(self, pos: int, lo: int = 0):
        """Mentions before `pos` (and from `lo`), latest first, at most LOOKBACK of them: a
        pronoun or a description points to somebody mentioned lately."""
        index = bisect.bisect_left(self._starts, pos)
        for mention in reversed(self.mentions[max(0, index - LOOKBACK) : index]):
            if mention.start < lo:
                return
            yield mention

    def last_before(self, pos: int, *, gender: str = "", lo: int = 0) -> Mention | None:
        for mention in self._recent(pos, lo):
            info = self.info[mention.name]
            if gender and info.gender and info.gender != gender:
                continue
            return info
        return None

    def with_role_noun(self, noun: str, pos: int) -> Mention | None:
        """The last person before `pos` the text called a `noun`, named or described."""
        for mention in self._recent(pos):
            info = self.info[mention.name]
            if info.head == noun or re.search(rf"\b{re.escape(noun)}\b", info.role, re.I):
                return info
        return None


# --- Attribution --------------------------------------------------------------------------------

_INVERTED = re.compile(rf"^[\s,.:;!?—–-]*(?:{VERB})\s+(?P<who>.+)", re.S)
_SUBJECT_AFTER = re.compile(
    rf"^[\s,.:;!?—–-]*(?P<who>[^,.;:!?]{{1,80}}?(?:,\s*{NAME},)?)\s+(?:{VERB})\b", re.S
)
# "A volunteer who declined to give his name, citing security, said…": an unnamed speaker.
_DESCRIBED_SPEAKER = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=\n))(?P<np>(?:A|An)\s+(?:[a-z-]+\s+){{0,3}}?"
    rf"(?P<head>{ROLE_NOUNS}|man|woman|person))(?P<tail>[^.!?\"“”«»]{{0,120}}?)\s+(?:{VERB})\b"
)
_SUBJECT_BEFORE = re.compile(
    rf"(?P<who>[^,.;:!?\"“”«»]{{1,120}}?)(?:,[^.!?\"“”«»]{{0,200}}?,)?\s+(?:{VERB})\b"
    rf"(?:\s+(?:that|him|her|them|me|us))?[^.!?\"“”«»]{{0,200}}?[,:]?\s*$",
    re.S,
)
_ACCORDING = re.compile(rf"[Aa]ccording to (?P<who>{NAME})")
_PRONOUN = re.compile(r"^(?:he|she|him|her)$", re.I)


def _first_sentence(text: str) -> str:
    m = _SENTENCE_END.search(text)
    return text[: m.start() + 1] if m else text


def _last_sentence(text: str) -> str:
    starts = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[starts[-1] :] if starts else text


class Attributor:
    def __init__(self, body: str, people: People):
        self.body = body
        self.people = people

    def speaker_from_phrase(self, phrase: str, pos: int) -> Speaker | None:
        """Who a phrase such as "Yuri Krassnikov, retired", "he" or "a woman next to her" is."""
        phrase = phrase.strip().strip(",")
        if not phrase:
            return None
        first = phrase.split()[0].strip(",.")
        if _PRONOUN.match(first):
            gender = "m" if first.casefold() in ("he", "him") else "f"
            info = self.people.last_before(pos, gender=gender)
            if info:
                info.gender = info.gender or gender
                return self._named(info, evidence=phrase)
            return None
        m = re.match(rf"^(?:{TITLES}\s+)?(?P<name>{NAME})(?P<rest>.*)$", phrase, re.S)
        if m and (first.casefold() not in NOT_NAMES or first == "Local"):
            name = m["name"]
            tokens = [t for t in name.split() if t.casefold() not in self.people.not_names]
            tokens = [re.sub(r"['’]s$", "", t) for t in tokens]
            if tokens:
                info = self.people.note(" ".join(tokens), pos, after=m["rest"])
                return self._named(info, evidence=phrase)
        m = re.match(rf"^(?:the|a|an)\s+(?P<role>[a-z][a-z -]*),\s*(?P<name>{NAME}),?$", phrase)
        if m and m["name"].split()[0].casefold() not in NOT_NAMES:
            info = self.people.note(m["name"], pos)
            info.role = info.role or m["role"]
            return self._named(info, evidence=phrase)
        m = re.match(r"^(?P<det>the|a|an|one|this|that)\s+(?P<np>[^,.;:!?]+)", phrase, re.I)
        if m:
            return self._described(m["det"].casefold(), m["np"].strip(), pos, phrase)
        return None

    def _named(self, info: Mention, *, evidence: str) -> Speaker:
        if info.description:
            return Speaker(description=info.description, age=info.age, evidence=evidence)
        return Speaker(name=info.name, age=info.age, role=info.role, evidence=evidence)

    def _described(self, det: str, np: str, pos: int, phrase: str) -> Speaker:
        np = re.split(r"\s+(?:who|whom|which|as|while|in tears|crying)\b", np)[0].strip()
        age_m = re.search(r"(\d{1,3})-year-old", np)
        age = int(age_m.group(1)) if age_m else None
        head = np.split()[-1].casefold() if np.split() else ""
        if det in ("the", "this", "that"):
            # "the officer": somebody the text described a moment ago.
            described = self.people.with_role_noun(head, pos) if head else None
            if described is not None and described.description:
                return self._named(described, evidence=phrase)
            # "the 70-year-old man", "the woman", "the commander": somebody already named.
            if head in ANAPHORIC_NOUNS or re.fullmatch(r"\d{1,3}-year-old", head):
                gender = ANAPHORIC_NOUNS.get(head, "")
                info = self.people.with_role_noun(head, pos) if head in ANAPHORIC_NOUNS else None
                info = info or self.people.last_before(pos, gender=gender)
                if info:
                    if age and not info.age:
                        info.age = age
                    info.gender = info.gender or gender
                    return self._named(info, evidence=phrase)
            elif head and (info := self.people.with_role_noun(head, pos)):
                return self._named(info, evidence=phrase)
        description = f"{det} {np}".strip()
        if det == "the":
            description = f"a {np}" if not re.match(r"^[aeiou]", np, re.I) else f"an {np}"
        return Speaker(description=description[:300], age=age, evidence=phrase)

    def attribute(self, q: _Quote, quotes: list[_Quote], index: int, paragraphs) -> Speaker:
        p_start, p_end = paragraphs[q.paragraph]
        # Quotes are in body order: the neighbours in the same paragraph are adjacent.
        next_q = quotes[index + 1] if index + 1 < len(quotes) else None
        next_q = next_q if next_q is not None and next_q.paragraph == q.paragraph else None
        prev_q = quotes[index - 1] if index > 0 else None
        prev_q = prev_q if prev_q is not None and prev_q.paragraph == q.paragraph else None
        after = self.body[q.close_mark : next_q.open_mark if next_q else p_end]
        before = self.body[prev_q.close_mark if prev_q else p_start : q.open_mark]
        after_sentence = _first_sentence(after)
        before_sentence = _last_sentence(before)
        pos = q.start
        for pattern in (_INVERTED, _SUBJECT_AFTER):
            m = pattern.match(after_sentence)
            if m:
                # A subject before its verb is already bounded ("the driver, Yevhen,"); an
                # inverted one runs on ("said Yuri Krassnikov, retired, sitting on…").
                who = self._cut_phrase(m["who"]) if pattern is _INVERTED else m["who"]
                speaker = self.speaker_from_phrase(who, pos)
                if speaker:
                    return speaker
        m = _ACCORDING.search(before_sentence)
        if m:
            speaker = self.speaker_from_phrase(m["who"], pos)
            if speaker:
                return speaker
        m = _SUBJECT_BEFORE.search(before_sentence)
        if m:
            speaker = self._subject(m["who"], before_sentence, pos)
            if speaker:
                return speaker
        # An interrupted quote keeps the speaker of its first part.
        if prev_q is not None:
            return Speaker(evidence="same paragraph")
        # A pull quote followed by "Name, role" on its own line.
        if q.paragraph + 1 < len(paragraphs) and not after.strip():
            n_start, n_end = paragraphs[q.paragraph + 1]
            line = self.body[n_start:n_end]
            m = re.match(rf"^(?P<name>{NAME}),\s*(?P<role>[^.!?\"“”]{{2,80}})$", line)
            if m:
                info = self.people.note(m["name"], n_start, after=", " + m["role"])
                if not info.role:
                    info.role = m["role"].strip()
                return self._named(info, evidence=line)
        return Speaker()

    @staticmethod
    def _cut_phrase(who: str) -> str:
        # Keep "Sergiy, 65" and "Valentyna, a former school headmistress who…", drop what
        # follows a second clause or a participle.
        m = re.match(
            r"^(?P<head>[^,.;!?]+)(?P<app>,\s*(?:\d{1,3}\b|(?:a|an|the)\s[^,.;!?]+|[a-z]+(?:\s[a-z]+)?"
            r"(?=[,.]|$)))?",
            who.strip(),
        )
        if not m:
            return who
        head = re.split(
            r"\s+(?:in|while|as|with|before|after|speaking|sitting|standing)\b", m["head"]
        )[0]
        return head + (m["app"] or "")

    def _subject(self, who: str, sentence: str, pos: int) -> Speaker | None:
        who = who.strip()
        # The clause just before the verb may be a prepositional tail ("…from Kupiansk,
        # stated"); then the sentence's own subject speaks.
        candidates = [who]
        head = re.split(r",", sentence.strip(), maxsplit=1)[0]
        candidates.append(head)
        for candidate in candidates:
            candidate = re.sub(
                r"^(?:and|but|yet|then|so|while|when)\s+", "", candidate.strip(), flags=re.I
            )
            words = candidate.split()
            if not words or len(words) > 8:
                continue
            if words[0].casefold() in (
                "in",
                "on",
                "at",
                "from",
                "to",
                "with",
                "for",
                "of",
                "by",
                "after",
                "before",
                "during",
                "while",
                "as",
                "around",
            ):
                continue
            names = re.findall(NAME, candidate)
            pronoun = re.match(r"^(?:he|she)\b", candidate, re.I)
            if pronoun or names or re.match(r"^(?:the|a|an|one)\s", candidate, re.I):
                if names and not pronoun and not re.match(r"^(?:the|a|an)\s", candidate, re.I):
                    candidate = candidate[candidate.find(names[0]) :]
                speaker = self.speaker_from_phrase(candidate, pos)
                if speaker:
                    return speaker
        return None


def propose(
    body: str,
    paragraphs: list[tuple[int, int]],
    *,
    known_names: set[str] = frozenset(),
    not_names: set[str] = frozenset(),
    not_people: set[str] = frozenset(),
) -> list[Proposal]:
    """Proposals for every quoted passage worth an editor's look, in body order.

    `known_names` are people the archive knows, `not_names` words that are never names
    (places, outlets), `not_people` full names that are not speakers (photographers).
    """
    quotes = find_quotes(body, paragraphs)
    people = People(body, quotes, set(known_names), set(not_names), set(not_people))
    attributor = Attributor(body, people)
    proposals: list[Proposal] = []
    previous: Proposal | None = None
    for index, q in enumerate(quotes):
        speaker = attributor.attribute(q, quotes, index, paragraphs)
        if speaker.evidence == "same paragraph" and previous and previous.paragraph == q.paragraph:
            speaker = previous.speaker
        if not speaker.known:
            # A quote standing alone: its speaker is the person the text just introduced, in
            # this paragraph or the one before.
            lo = paragraphs[max(0, q.paragraph - CONTEXT_PARAGRAPHS)][0]
            info = people.last_before(q.open_mark, lo=lo)
            if info:
                speaker = Speaker(name=info.name, age=info.age, role=info.role, evidence="context")
            elif (
                previous
                and previous.paragraph >= q.paragraph - CONTEXT_PARAGRAPHS
                and previous.speaker.known
            ):
                speaker = previous.speaker
        words = len(_WORDS.findall(body[q.start : q.end]))
        attributed = speaker.evidence not in ("", "context")
        if words < MIN_QUOTE_WORDS or (words < UNATTRIBUTED_MIN_WORDS and not attributed):
            continue
        if not speaker.known:
            speaker = Speaker(description="an unidentified speaker")
        if speaker.name:
            info = people.info.get(speaker.name)
            if info:
                speaker.age, speaker.role = info.age or speaker.age, info.role or speaker.role
            people.add_mention(speaker.name, q.start)
        elif speaker.description and speaker.evidence:
            # Somebody described, who may speak again as "she" or "the seller".
            key = f"#{q.start}"
            head = speaker.description.split()[-1].casefold()
            people.info[key] = Mention(
                name=key, start=q.start, description=speaker.description, head=head
            )
            people.add_mention(key, q.start)
        proposal = Proposal(q.start, q.end, body[q.start : q.end], speaker, q.paragraph)
        proposals.append(proposal)
        previous = proposal
    return proposals


def same_text(a: str, b: str) -> bool:
    return normalise_quote(a) == normalise_quote(b)


def normalise_quote(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" \"“”«»„,.;:—–-…'’").casefold()


def person_key(name: str) -> str:
    return normalise_key(name)
