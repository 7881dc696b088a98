"""A seeded generator of realistic seed corpora, for tests and benchmarks.

Titles and excerpts draw words from a Zipf distribution over real English and tech
words (with a long tail of made-up words, as real archives have names and jargon);
30 topics and 300 providers have skewed frequencies; dates run from 2015 to the end of
2026 (or to a given moment: `make demo-large` ends them at the build, so "the past week"
holds articles); about one article in ten lists related coverage. The same seed and end
give the same files.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ENGLISH = """
the of and to in for on with at by from new says over after more first year people
government company report market data world plan police court city state health deal
price record growth police energy climate election vote bank school water war security
study research launch service network system power cloud model time week million billion
percent share stock sale rise fall cut tax rule law ban case fire storm flood heat game
team win loss player season league cup final coach fan music film show star book art
family child woman man life death home house town road car train flight airport travel
job work worker union strike pay wage cost budget debt trade export import chip factory
plant farm food crop oil gas coal solar wind nuclear battery electric vehicle phone app
user privacy rights speech protest border migrant minister president leader party
campaign poll senate parliament council mayor judge trial sentence prison crime attack
shooting victim hospital doctor patient vaccine virus disease cancer drug treatment care
nurse science space moon mars rocket satellite ocean forest animal species wildlife park
river sea island coast mountain snow rain morning night today tomorrow early late big
small high low long short open close free public private local national global european
american british chinese indian african asian growth crisis recovery inflation rate
interest loan housing rent investor fund profit revenue earnings quarter ceo board
merger acquisition startup founder billionaire fine lawsuit settlement regulator probe
inquiry review warning alert risk threat safety test result survey poll analysis expert
official source
""".split()  # noqa: SIM905 (a word list reads best as text)

TECH = """
ai artificial intelligence machine learning deep neural network model training inference
gpu cpu chip semiconductor nvidia intel amd tsmc arm quantum computing cloud aws azure
google microsoft apple amazon meta openai chatgpt gpt llm chatbot robot robotics
autonomous driving tesla lidar sensor camera vision recognition facial language
translation speech voice assistant search engine browser software hardware developer
code python javascript rust linux open source api platform database analytics big data
privacy encryption cyber hack breach ransomware malware phishing blockchain crypto
bitcoin ethereum token nft metaverse vr ar headset smartphone iphone android tablet
laptop wearable smartwatch drone 5g broadband fiber satellite starlink spacex datacenter
server kubernetes devops automation algorithm bias ethics regulation deepfake generative
diffusion image video streaming netflix spotify youtube tiktok social media twitter
facebook instagram whatsapp startup funding venture capital unicorn ipo saas enterprise
""".split()  # noqa: SIM905 (a word list reads best as text)

TOPICS = [
    "AI",
    "Machine Learning",
    "Computer Vision",
    "Natural Language Processing",
    "AI Ethics",
    "AI Hardware",
    "AI in Autos",
    "AI in Healthcare",
    "AI in Finance",
    "Robotics",
    "Cloud",
    "Cybersecurity",
    "Privacy",
    "Startups",
    "Semiconductors",
    "Space",
    "Climate",
    "Energy",
    "Politics",
    "Economy",
    "Markets",
    "Health",
    "Science",
    "Sports",
    "Entertainment",
    "Gaming",
    "Mobile",
    "Social Media",
    "Crypto",
    "Education",
]

SYLLABLES = """
ka lo mi ra ven tor bel sun dra qui pex zor lin mar tek vo ny sha gri fen
""".split()  # noqa: SIM905 (a word list reads best as text)


END = datetime(2026, 12, 31, 23, 59)  # the last date by default (benchmarks keep it fixed)


@dataclass(frozen=True)
class Provider:
    """A generated news outlet."""

    name: str
    domain: str


def _zipf_weights(n: int, exponent: float = 1.07) -> list[float]:
    """Return cumulative Zipf weights for ranks 1..n (cumulative: random.choices is O(log n))."""
    return list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, n + 1)))


class CorpusGenerator:
    """Generates article records (seed front matter as dicts) from one seed."""

    def __init__(self, seed: int = 42, tail_words: int = 20_000, end: datetime = END) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        words = list(dict.fromkeys(ENGLISH + TECH))
        rng.shuffle(words)
        tail = {
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            for _ in range(tail_words)
        }
        self.vocabulary = words + sorted(tail - set(words))
        self.word_weights = _zipf_weights(len(self.vocabulary))
        self.providers = [self._provider(i) for i in range(300)]
        self.provider_weights = _zipf_weights(len(self.providers), 0.9)
        self.topic_weights = _zipf_weights(len(TOPICS), 0.8)
        self.start = datetime(2015, 1, 1)
        self.span_minutes = int((end - self.start).total_seconds() // 60)

    def _provider(self, number: int) -> Provider:
        stem = "".join(self.rng.choice(SYLLABLES) for _ in range(2)).capitalize()
        suffix = self.rng.choice(["News", "Times", "Post", "Daily", "Wire", "Tech", "Herald"])
        return Provider(f"{stem} {suffix} {number}", f"{stem.lower()}{number}.example.com")

    def words(self, count: int) -> list[str]:
        """Return `count` words drawn from the Zipf vocabulary."""
        return self.rng.choices(self.vocabulary, cum_weights=self.word_weights, k=count)

    def date(self) -> datetime:
        """Return a random minute between 2015 and 2026, later years more likely."""
        fraction = self.rng.random() ** 0.8  # archives grow: more recent news
        return self.start + timedelta(minutes=int(fraction * self.span_minutes))

    def record(self, number: int) -> dict[str, Any]:
        """Return the front matter of article `number` (deterministic for the seed)."""
        rng = self.rng
        provider = rng.choices(self.providers, cum_weights=self.provider_weights)[0]
        title = " ".join(self.words(rng.randint(5, 12))).capitalize()
        excerpt = " ".join(self.words(rng.randint(20, 60))).capitalize() + "."
        topics = list(
            dict.fromkeys(rng.choices(TOPICS, cum_weights=self.topic_weights, k=rng.randint(1, 3)))
        )
        published = self.date()
        record: dict[str, Any] = {
            "title": title,
            "excerpt": excerpt,
            "publishedDateTime": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "webUrl": f"https://www.{provider.domain}/news/{number}",
            "type": "article",
            "category": "news",
            "quality": rng.randint(0, 150),
            "provider": {"name": provider.name, "domain": provider.domain},
            "topics": topics,
        }
        if rng.random() < 0.1:
            record["related"] = [self._related(number, i, title) for i in range(rng.randint(1, 4))]
        if rng.random() < 0.7:
            record["images"] = [{"url": f"https://img.{provider.domain}/{number}.jpg"}]
        return record

    def _related(self, number: int, item: int, title: str) -> dict[str, Any]:
        provider = self.rng.choices(self.providers, cum_weights=self.provider_weights)[0]
        words = title.split()
        self.rng.shuffle(words)
        return {
            "title": " ".join(words[:6] + self.words(3)).capitalize(),
            "excerpt": " ".join(self.words(25)).capitalize() + ".",
            "publishedDateTime": self.date().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "webUrl": f"https://www.{provider.domain}/story/{number}-{item}",
            "provider": {"name": provider.name, "domain": provider.domain},
        }

    def records(self, count: int) -> Iterator[dict[str, Any]]:
        """Yield `count` article records."""
        for number in range(count):
            yield self.record(number)


def seed_text(record: dict[str, Any]) -> str:
    """Return the seed-file text for a record: YAML front matter (JSON is YAML) and no body."""
    lines = ["---"]
    for name, value in record.items():
        lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    lines += ["---", ""]
    return "\n".join(lines)


def write_corpus(
    folder: Path, count: int, seed: int = 42, per_folder: int = 1000, end: datetime = END
) -> int:
    """Write `count` seed files under `folder` (in subfolders of `per_folder`), dated up to
    `end`; return count."""
    generator = CorpusGenerator(seed, end=end)
    for number, record in enumerate(generator.records(count)):
        sub = folder / f"{number // per_folder:04d}"
        if number % per_folder == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{number:07d}.md").write_text(seed_text(record), encoding="utf-8")
    return count


def write_jsonl(path: Path, count: int, seed: int = 42) -> int:
    """Write the same `count` records as JSON lines (one front-matter object per line)."""
    generator = CorpusGenerator(seed)
    with path.open("w", encoding="utf-8") as handle:
        for record in generator.records(count):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count
