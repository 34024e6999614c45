#!/usr/bin/env python3
"""Deterministic benchmark corpus for im-site (and the same pages for Hugo).

    python benchmarks/corpus.py --pages N --out DIR [--hugo HUGODIR] [--seed S]

writes an im-site site of N Markdown pages (40 % brand messages, 30 % training
modules, 30 % plain pages) into DIR: site.yaml, content/**, four KPI snapshots
with their definitions, and five JPEG images. Half of the pages are German
sources, half their English translations (`<slug>.en.md` beside `<slug>.md`).
Every page is 2-4 KB of Markdown with `##` headings, lists, a fenced code
block, 2-3 cross-links to other pages of the corpus (relative paths to the
.md files) and, in half of the pages, a table.

With --hugo HUGODIR the same pages (without the KPIs) are also written as a
Hugo site with one minimal template set, links converted to relative URLs.

Everything is derived from the seed (no clock, no hash randomisation): the same
arguments give byte-identical files. Only the standard library, PyYAML and
Pillow are used.
"""

from __future__ import annotations

import argparse
import posixpath
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

# --------------------------------------------------------------------------
# Vocabulary. German and English lists are parallel (same index, same idea),
# so a translation has the same structure and roughly the same length.
# --------------------------------------------------------------------------

PILLARS = [
    ("leadership", "Beteiligung der Geschäftsleitung"),
    ("communication", "Interne Kommunikation"),
    ("training", "Schulung und Entwicklung"),
    ("empowerment", "Befähigung und Verantwortung"),
    ("recognition", "Anerkennung und Wertschätzung"),
    ("coordination", "Bereichsübergreifende Zusammenarbeit"),
]

TAGS = ["frische", "service", "kasse", "obst-und-gemuese", "backshop", "feinkost", "hygiene",
        "schichtplanung", "kundenfeedback", "nachhaltigkeit", "sortiment", "inventur",
        "arbeitssicherheit", "onboarding", "teamgespraech", "regional", "aktionen", "lieferung"]

AUTHORS = [("Katrin Albers", "CEO", "CEO"), ("Jonas Petersen", "Vertriebsleiter", "Head of Sales"),
           ("Aylin Demir", "Leiterin Personal", "Head of People"),
           ("Markus Brandt", "Regionalleiter Nord", "Regional Manager North"),
           ("Sofia Marino", "Leiterin Kommunikation", "Head of Communications"),
           ("Thomas Wegner", "Marktleiter", "Store Manager"),
           ("Lena Hoffmann", "Leiterin Qualität", "Head of Quality")]

TOPICS = [
    ("Frische im Fokus", "Freshness in focus"),
    ("Service mit Herz", "Service from the heart"),
    ("Neues aus der Zentrale", "News from head office"),
    ("Kasse ohne Warteschlange", "Checkout without queues"),
    ("Teamgeist in der Filiale", "Team spirit in the store"),
    ("Regionale Lieferanten", "Regional suppliers"),
    ("Hygiene an der Theke", "Hygiene at the counter"),
    ("Schichtplanung leicht gemacht", "Shift planning made easy"),
    ("Kundenfeedback verstehen", "Understanding customer feedback"),
    ("Nachhaltig einkaufen", "Shopping sustainably"),
    ("Der perfekte Backshop", "The perfect bakery corner"),
    ("Sicher arbeiten im Lager", "Working safely in the warehouse"),
    ("Willkommen im Team", "Welcome to the team"),
    ("Inventur ohne Stress", "Stock-taking without stress"),
    ("Aktionswochen vorbereiten", "Preparing promotion weeks"),
    ("Feinkost mit Beratung", "Deli counter with advice"),
]

SUBTITLES = [
    ("was sich ab dem nächsten Monat ändert", "what changes from next month"),
    ("fünf Ideen aus unseren Filialen", "five ideas from our stores"),
    ("ein Brief an alle Teams", "a letter to all teams"),
    ("die wichtigsten Fragen und Antworten", "the most important questions and answers"),
    ("so gelingt der Start", "how to get started"),
    ("Ergebnisse der letzten Befragung", "results of the latest survey"),
    ("gemeinsam besser werden", "getting better together"),
    ("Rückblick und Ausblick", "looking back and ahead"),
    ("was unsere Kunden erwarten", "what our customers expect"),
    ("ein Leitfaden für die Praxis", "a practical guide"),
]

PAGE_TITLES = [
    ("Ansprechpartner in der Personalabteilung", "Contacts in the people team"),
    ("Hygieneregeln für Frischetheken", "Hygiene rules for fresh counters"),
    ("Urlaubsplanung und Vertretung", "Holiday planning and cover"),
    ("Unser Leitbild", "Our mission statement"),
    ("Arbeitszeiten und Pausen", "Working hours and breaks"),
    ("Reklamationen richtig bearbeiten", "Handling complaints correctly"),
    ("Notfallplan für die Filiale", "Emergency plan for the store"),
    ("Datenschutz im Kundengespräch", "Data protection in customer conversations"),
    ("Mitarbeiterrabatt und Vorteile", "Staff discount and benefits"),
    ("Energie sparen im Markt", "Saving energy in the store"),
    ("Kühlketten überwachen", "Monitoring the cold chain"),
    ("Betriebsrat und Mitbestimmung", "Works council and co-determination"),
]

MODULE_TITLES = [
    ("Frische erkennen und präsentieren", "Recognising and presenting freshness"),
    ("Kundengespräche an der Theke", "Customer conversations at the counter"),
    ("Beschwerden in Chancen verwandeln", "Turning complaints into opportunities"),
    ("Sicher an der Kasse", "Confident at the checkout"),
    ("Warenpräsentation mit System", "Systematic merchandising"),
    ("Feedback geben und annehmen", "Giving and receiving feedback"),
    ("Lebensmittelhygiene kompakt", "Food hygiene in brief"),
    ("Führen im Schichtbetrieb", "Leading in shift work"),
    ("Nachhaltigkeit im Alltag", "Sustainability every day"),
    ("Neue Kolleginnen und Kollegen einarbeiten", "Onboarding new colleagues"),
]

HEADINGS = [
    ("Worum es geht", "What this is about"),
    ("Was sich ändert", "What changes"),
    ("So setzen wir es um", "How we put it into practice"),
    ("Checkliste für die Schicht", "Checklist for the shift"),
    ("Beispiele aus den Filialen", "Examples from our stores"),
    ("Kennzahlen im Blick", "Keeping an eye on the figures"),
    ("Fragen und Antworten", "Questions and answers"),
    ("Nächste Schritte", "Next steps"),
    ("Hintergrund", "Background"),
    ("Ihre Rückmeldung", "Your feedback"),
    ("Was Kunden uns sagen", "What customers tell us"),
    ("Verantwortlichkeiten", "Responsibilities"),
]

LESSONS = [
    ("Grundlagen", "Basics"), ("Beobachten", "Observing"), ("Handeln", "Acting"),
    ("Im Gespräch", "In conversation"), ("Typische Fehler", "Common mistakes"),
    ("Übung im Team", "Team exercise"), ("Zusammenfassung", "Summary"),
    ("Praxisbeispiel", "Case study"), ("Werkzeuge", "Tools"),
]

# Sentences: subject + verb + object + adverbial; all subjects are singular.
SUBJECTS = [
    ("das Team der Filiale", "the store team"), ("unsere Marktleitung", "our store management"),
    ("jede Kollegin und jeder Kollege", "every colleague"), ("die Frischeabteilung", "the fresh food department"),
    ("der Kundenservice", "customer service"), ("die Zentrale", "head office"),
    ("das Kassenteam", "the checkout team"), ("die Regionalleitung", "regional management"),
    ("unser Backshop", "our bakery corner"), ("das Lagerteam", "the warehouse team"),
]
VERBS = [
    ("verbessert", "improves"), ("prüft", "checks"), ("stärkt", "strengthens"), ("plant", "plans"),
    ("bespricht", "discusses"), ("dokumentiert", "documents"), ("übernimmt", "takes over"),
    ("beobachtet", "observes"), ("erklärt", "explains"), ("organisiert", "organises"),
]
OBJECTS = [
    ("die Frische an der Obsttheke", "the freshness of the fruit display"),
    ("den Service an der Kasse", "the service at the checkout"),
    ("die Warenpräsentation im Eingangsbereich", "the merchandising at the entrance"),
    ("die Schichtplanung für die Feiertage", "the shift plan for the holidays"),
    ("das Feedback unserer Kunden", "our customers' feedback"),
    ("die Qualität der Backwaren", "the quality of the baked goods"),
    ("die Temperatur der Kühlregale", "the temperature of the chilled shelves"),
    ("die Beratung an der Feinkosttheke", "the advice at the deli counter"),
    ("die Einarbeitung neuer Kolleginnen", "the onboarding of new colleagues"),
    ("den Umgang mit Reklamationen", "the handling of complaints"),
    ("die Abstimmung mit den Lieferanten", "the coordination with suppliers"),
    ("die Ergebnisse der Mitarbeiterbefragung", "the results of the staff survey"),
]
ADVERBIALS = [
    ("jeden Morgen vor Ladenöffnung", "every morning before opening"),
    ("im wöchentlichen Teamgespräch", "in the weekly team meeting"),
    ("gemeinsam mit der Zentrale", "together with head office"),
    ("seit dem letzten Quartal", "since the last quarter"),
    ("mit klaren Verantwortlichkeiten", "with clear responsibilities"),
    ("in jeder Schicht", "in every shift"),
    ("vor allem an Samstagen", "especially on Saturdays"),
    ("nach der Schulung", "after the training"),
]
CLAIMS = [
    ("Frische ist das erste, was unsere Kunden sehen", "freshness is the first thing our customers see"),
    ("guter Service beginnt mit einem freundlichen Blick", "good service starts with a friendly look"),
    ("kleine Verbesserungen summieren sich über das Jahr", "small improvements add up over the year"),
    ("wer Verantwortung übernimmt, verdient Anerkennung", "whoever takes responsibility deserves recognition"),
    ("Zusammenarbeit zwischen Filiale und Zentrale spart Zeit", "cooperation between store and head office saves time"),
    ("zufriedene Teams machen zufriedene Kunden", "happy teams make happy customers"),
    ("klare Absprachen verhindern Missverständnisse", "clear agreements prevent misunderstandings"),
]
INTRO_PHRASES = [
    ("Wir sind überzeugt:", "We are convinced:"), ("Die Erfahrung zeigt:", "Experience shows:"),
    ("Das Ziel ist klar:", "The goal is clear:"), ("Viele Teams berichten:", "Many teams report:"),
]
ACTIONS = [
    ("Obst und Gemüse zweimal täglich kontrollieren", "check fruit and vegetables twice a day"),
    ("Kunden aktiv ansprechen und Hilfe anbieten", "approach customers and offer help"),
    ("Kühltemperaturen im Protokoll eintragen", "record chiller temperatures in the log"),
    ("Leere Regalflächen sofort melden", "report empty shelf space at once"),
    ("Neue Kolleginnen am ersten Tag begleiten", "accompany new colleagues on their first day"),
    ("Reklamationen freundlich und schnell lösen", "resolve complaints kindly and quickly"),
    ("Aktionsware rechtzeitig aufbauen", "set up promotional goods in time"),
    ("Rückmeldungen im Teamgespräch teilen", "share feedback in the team meeting"),
    ("Mindesthaltbarkeit bei Anlieferung prüfen", "check best-before dates on delivery"),
    ("Arbeitsplatz sauber und sicher hinterlassen", "leave the workplace clean and safe"),
]
AREAS = [
    ("Obst & Gemüse", "Fruit & vegetables"), ("Backshop", "Bakery corner"), ("Kasse", "Checkout"),
    ("Feinkost", "Deli"), ("Molkereiprodukte", "Dairy"), ("Lager", "Warehouse"), ("Getränke", "Drinks"),
]
ROLES = [("Frischeteam", "Fresh team"), ("Marktleitung", "Store management"), ("Kassenteam", "Checkout team"),
         ("Schichtleitung", "Shift lead"), ("Lagerteam", "Warehouse team")]
RHYTHMS = [("täglich", "daily"), ("zweimal täglich", "twice a day"), ("wöchentlich", "weekly"),
           ("vor jeder Schicht", "before every shift"), ("monatlich", "monthly")]
TABLE_HEAD = (("Bereich", "Verantwortlich", "Rhythmus", "Ziel"), ("Area", "Responsible", "Frequency", "Target"))
LINK_LEADS = [("Mehr dazu steht in", "More on this in"), ("Siehe auch", "See also"),
              ("Hilfreich ist auch", "Also helpful is"), ("Details finden Sie in", "You will find details in")]
QUESTIONS = [
    (("Wie oft wird die Obsttheke kontrolliert?", "How often is the fruit display checked?"),
     [("Einmal pro Woche", "Once a week"), ("Zweimal täglich", "Twice a day"), ("Nur bei Anlieferung", "Only on delivery")], 1,
     ("Frische sieht man sofort: zweimal täglich ist unser Standard.", "Freshness shows at once: twice a day is our standard.")),
    (("Was tun Sie zuerst bei einer Reklamation?", "What do you do first with a complaint?"),
     [("Zuhören und nachfragen", "Listen and ask"), ("An die Zentrale verweisen", "Refer to head office"), ("Den Kassenbon prüfen", "Check the receipt")], 0,
     ("Wer sich gehört fühlt, bleibt Kunde.", "Customers who feel heard stay customers.")),
    (("Wo tragen Sie Kühltemperaturen ein?", "Where do you record chiller temperatures?"),
     [("Im Temperaturprotokoll", "In the temperature log"), ("Auf einem Notizzettel", "On a note"), ("Gar nicht", "Nowhere"), ("Im Kassensystem", "In the till")], 0,
     ("Nur das Protokoll ist bei einer Kontrolle gültig.", "Only the log counts in an inspection.")),
    (("Wer begleitet neue Kolleginnen am ersten Tag?", "Who accompanies new colleagues on their first day?"),
     [("Niemand", "Nobody"), ("Eine feste Patin oder ein fester Pate", "A named buddy"), ("Die Zentrale", "Head office")], 1,
     ("Eine feste Ansprechperson macht den Start leichter.", "A named contact makes the start easier.")),
    (("Wann wird Aktionsware aufgebaut?", "When are promotional goods set up?"),
     [("Am Aktionstag mittags", "At noon on the day"), ("Am Vorabend oder vor Öffnung", "The evening before or before opening"), ("Wenn Zeit ist", "When there is time")], 1,
     ("Kunden erwarten die Ware ab Ladenöffnung.", "Customers expect the goods from opening time.")),
]
OBJECTIVES = [
    ("Frischemängel auf einen Blick erkennen", "spot freshness problems at a glance"),
    ("Kunden aktiv und freundlich ansprechen", "approach customers actively and kindly"),
    ("Reklamationen strukturiert lösen", "resolve complaints in a structured way"),
    ("Hygieneregeln sicher anwenden", "apply hygiene rules with confidence"),
    ("Feedback konstruktiv formulieren", "phrase feedback constructively"),
    ("die Kühlkette lückenlos dokumentieren", "document the cold chain without gaps"),
    ("Aufgaben in der Schicht klar verteilen", "assign tasks in the shift clearly"),
]
LEVELS = ["basis", "aufbau", "experte"]

CODE_SNIPPETS = [
    ("text", ["Schichtbeginn 06:00", "[ ] Kühlung prüfen (max. 7 °C)", "[ ] Obst & Gemüse sortieren",
              "[ ] Backshop bestücken", "[ ] Kassen besetzen"],
     ["Shift start 06:00", "[ ] check chillers (max 7 °C)", "[ ] sort fruit & vegetables",
      "[ ] stock the bakery corner", "[ ] staff the tills"]),
    ("yaml", ["schicht: frueh", "verantwortlich: marktleitung", "aufgaben:", "  - kuehlung_pruefen",
              "  - warenannahme", "  - teamgespraech"],
     ["shift: early", "responsible: store_management", "tasks:", "  - check_chillers",
      "  - goods_receipt", "  - team_meeting"]),
    ("csv", ["bereich,temperatur,uhrzeit", "molkerei,5.8,06:15", "feinkost,4.9,06:20", "fleisch,2.1,06:25"],
     ["area,temperature,time", "dairy,5.8,06:15", "deli,4.9,06:20", "meat,2.1,06:25"]),
    ("text", ["1. Begrüßen", "2. Zuhören", "3. Nachfragen", "4. Lösung anbieten", "5. Bedanken"],
     ["1. Greet", "2. Listen", "3. Ask", "4. Offer a solution", "5. Say thank you"]),
]

STORES = ["store-berlin-mitte", "store-hamburg-altona", "store-koeln-ehrenfeld",
          "store-muenchen-schwabing", "store-leipzig-zentrum", "store-bremen-viertel"]

KIND_DIRS = {"message": "messages", "training": "training", "page": "pages"}

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def ascii_slug(text: str, max_words: int = 5) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.translate(_TRANSLIT).lower()).split()
    return "-".join(words[:max_words]) or "seite"


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------
# The page plan
# --------------------------------------------------------------------------

@dataclass
class Entry:
    """One source page and, when `has_en`, its English translation."""
    kind: str
    index: int
    slug: str
    title: tuple[str, str]
    has_en: bool
    meta: dict = field(default_factory=dict)  # language-independent front matter

    def rel(self, lang: str) -> str:
        suffix = ".en.md" if lang == "en" else ".md"
        return f"{KIND_DIRS[self.kind]}/{self.slug}{suffix}"

    def hugo_url(self) -> str:
        return f"{KIND_DIRS[self.kind]}/{self.slug}/"


def split_counts(pages: int) -> dict[str, int]:
    messages = pages * 4 // 10
    training = pages * 3 // 10
    return {"message": messages, "training": training, "page": pages - messages - training}


def plan(pages: int, seed: int) -> list[Entry]:
    entries: list[Entry] = []
    for kind, count in split_counts(pages).items():
        pairs, single = divmod(count, 2)
        for i in range(pairs + single):
            rng = random.Random(f"{seed}:plan:{kind}:{i}")
            if kind == "message":
                topic, sub = rng.choice(TOPICS), rng.choice(SUBTITLES)
                title = (f"{topic[0]}: {cap(sub[0])}", f"{topic[1]}: {cap(sub[1])}")
            elif kind == "training":
                title = rng.choice(MODULE_TITLES)
                title = (f"{title[0]} (Teil {i % 7 + 1})", f"{title[1]} (part {i % 7 + 1})")
            else:
                title = rng.choice(PAGE_TITLES)
            slug = f"{ascii_slug(title[0], 4)}-{i + 1:05d}"
            entries.append(Entry(kind, i, slug, title, has_en=i < pairs))
    # Language-independent metadata, decided once per pair.
    first = date(2024, 1, 8)
    span = (date(2026, 11, 20) - first).days
    for e in entries:
        rng = random.Random(f"{seed}:meta:{e.kind}:{e.index}")
        if e.kind == "message":
            author = rng.choice(AUTHORS)
            e.meta = {
                "date": first + timedelta(days=rng.randrange(span + 1)),
                "author": author,
                "pillars": sorted(rng.sample([p for p, _ in PILLARS], rng.randint(1, 2))),
                "tags": sorted(rng.sample(TAGS, rng.randint(1, 3))),
            }
            if rng.random() < 0.3:
                e.meta["audiences"] = [rng.choice(["filiale", "zentrale"])]
        elif e.kind == "training":
            e.meta = {
                "duration": rng.choice([15, 20, 30, 45, 60, 90]),
                "level": rng.choice(LEVELS),
                "objectives": rng.sample(range(len(OBJECTIVES)), 3),
                "quiz": rng.sample(range(len(QUESTIONS)), 2),
                "pillars": sorted(rng.sample([p for p, _ in PILLARS], 1)),
            }
    # Five message pairs show a picture.
    messages = [e for e in entries if e.kind == "message"]
    for n, e in enumerate(messages[:5]):
        e.meta["image"] = f"assets/images/img-{n + 1}.jpg"
    return entries


# --------------------------------------------------------------------------
# Markdown bodies
# --------------------------------------------------------------------------

LANG_INDEX = {"de": 0, "en": 1}


class Writer:
    """Builds a body with link placeholders `@@LINK:n@@` resolved per output format."""

    def __init__(self, rng: random.Random, lang: str):
        self.rng, self.li = rng, LANG_INDEX[lang]

    def pick(self, items):
        return self.rng.choice(items)[self.li]

    def sentence(self) -> str:
        r, li = self.rng, self.li
        form = r.randrange(4)
        subj, verb, obj, adv = (r.choice(SUBJECTS)[li], r.choice(VERBS)[li],
                                r.choice(OBJECTS)[li], r.choice(ADVERBIALS)[li])
        if form == 0:
            return f"{cap(subj)} {verb} {obj} {adv}."
        if form == 1:
            if li == 0:  # German verb-second after a fronted adverbial
                return f"{cap(adv)} {verb} {subj} {obj}."
            return f"{cap(adv)}, {subj} {verb} {obj}."
        if form == 2:
            return f"{r.choice(INTRO_PHRASES)[li]} {r.choice(CLAIMS)[li]}."
        extra = r.choice([o for o in OBJECTS if o[li] != obj])[li]
        joiner = "und" if li == 0 else "and"
        return f"{cap(subj)} {verb} {obj} {joiner} {extra}."

    def paragraph(self, n: int | None = None, link: int | None = None) -> str:
        sentences = [self.sentence() for _ in range(n or self.rng.randint(2, 4))]
        if link is not None:
            lead = self.pick(LINK_LEADS)
            sentences.append(f"{lead} @@LINK:{link}@@.")
        return " ".join(sentences)

    def bullets(self) -> str:
        items = self.rng.sample(ACTIONS, self.rng.randint(3, 5))
        if self.rng.random() < 0.3:
            return "\n".join(f"{i}. {cap(a[self.li])}" for i, a in enumerate(items, 1))
        return "\n".join(f"- {cap(a[self.li])}" for a in items)

    def table(self) -> str:
        head = TABLE_HEAD[self.li]
        rows = []
        for area in self.rng.sample(AREAS, self.rng.randint(3, 5)):
            target = f"{self.rng.randint(85, 99)} %"
            rows.append((area[self.li], self.pick(ROLES), self.pick(RHYTHMS), target))
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)

    def code(self) -> str:
        lang, de, en = self.rng.choice(CODE_SNIPPETS)
        return "\n".join([f"```{lang}", *(de if self.li == 0 else en), "```"])


def body_for(entry: Entry, lang: str, seed: int, n_links: int, with_table: bool, fm_size: int = 0,
             sections: int | None = None) -> str:
    """A body that makes the whole file 2-4 KB; `fm_size` counts the front matter and
    what the link placeholders grow by when they are resolved. With `sections`, exactly that
    many `##` sections instead (a module's translation has its original's lessons)."""
    # Structure choices come from a per-pair seed, wording from a per-language one.
    srng = random.Random(f"{seed}:shape:{entry.kind}:{entry.index}")
    target = srng.randint(2300, 3800) - fm_size
    limit = 3950 - fm_size
    heading_order = srng.sample(range(len(HEADINGS)), len(HEADINGS))
    lesson_order = srng.sample(range(len(LESSONS)), len(LESSONS))
    w = Writer(random.Random(f"{seed}:text:{entry.kind}:{entry.index}:{lang}"), lang)
    li = LANG_INDEX[lang]

    def heading(k: int) -> str:
        if entry.kind == "training":
            word = "Lektion" if li == 0 else "Lesson"
            return f"## {word} {k + 1}: {LESSONS[lesson_order[k % len(LESSONS)]][li]}"
        return f"## {HEADINGS[heading_order[k % len(HEADINGS)]][li]}"

    blocks = [w.paragraph(2, link=0)]
    blocks += [heading(0), w.paragraph(), w.bullets()]
    blocks += [heading(1)]
    if with_table:
        blocks.append(w.table())
    blocks.append(w.paragraph(link=1))
    blocks += [heading(2), w.code(), w.paragraph(2, link=2 if n_links > 2 else None)]
    k = 3
    while sections is not None and k < sections:
        blocks += [heading(k), w.paragraph()] + ([w.bullets()] if srng.random() < 0.4 else [])
        k += 1
    while sections is None:
        size = len("\n\n".join(blocks).encode())
        if size >= target:
            break
        extra = [heading(k), w.paragraph()]
        if srng.random() < 0.4:
            extra.append(w.bullets())
        if size + 2 + len("\n\n".join(extra).encode()) > limit:
            # A short closing paragraph instead of a section that would overshoot 4 KB.
            closing = w.paragraph(1)
            if size + 2 + len(closing.encode()) <= limit:
                blocks.append(closing)
            break
        blocks += extra
        k += 1
    return "\n\n".join(blocks) + "\n"


def front_matter(entry: Entry, lang: str) -> dict:
    li = LANG_INDEX[lang]
    fm: dict = {"title": entry.title[li]}
    m = entry.meta
    if entry.kind == "message":
        name, role_de, role_en = m["author"]
        fm.update(date=m["date"], author=name, role=role_de if li == 0 else role_en,
                  pillars=m["pillars"], tags=m["tags"])
        if "audiences" in m:
            fm["audiences"] = m["audiences"]
        if "image" in m:
            fm["image"] = m["image"]
    elif entry.kind == "training":
        fm.update(duration=m["duration"], level=m["level"],
                  objectives=[cap(OBJECTIVES[i][li]) for i in m["objectives"]], pillars=m["pillars"])
        quiz = []
        for qi in m["quiz"]:
            question, options, answer, explain = QUESTIONS[qi]
            quiz.append({"question": question[li], "options": [o[li] for o in options],
                         "answer": answer, "explain": explain[li]})
        fm["quiz"] = quiz
    return fm


def dump_front_matter(fm: dict) -> str:
    return "---\n" + yaml.safe_dump(fm, sort_keys=False, allow_unicode=True, width=1000) + "---\n\n"


# --------------------------------------------------------------------------
# Writing the sites
# --------------------------------------------------------------------------

def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def site_yaml() -> str:
    doc = {
        "title": "Frischmarkt Intranet (Benchmark)",
        "base_url": "/",
        "language": "de",
        "languages": ["de", "en"],
        "theme": "default",
        "output_dir": "_site",
        "audiences": [{"id": "filiale", "label": "Filialteams"}, {"id": "zentrale", "label": "Zentrale"}],
        "pillars": [{"id": pid, "label": label} for pid, label in PILLARS],
        "search": {"enabled": False},
        "cache_dir": ".im-site-cache",
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def kpi_files(seed: int) -> dict[str, str]:
    rng = random.Random(f"{seed}:kpis")
    kpis = [
        {"id": "employee_satisfaction", "label": {"de": "Mitarbeiterzufriedenheit", "en": "Employee satisfaction"},
         "category": "engagement", "unit": "%", "direction": "up", "target": 75},
        {"id": "service_standard", "label": {"de": "Servicestandard eingehalten", "en": "Service standard met"},
         "category": "behavior", "unit": "%", "direction": "up"},
        {"id": "complaint_rate", "label": {"de": "Reklamationen je 1.000 Bons", "en": "Complaints per 1,000 receipts"},
         "category": "impact", "unit": "‰", "direction": "down"},
    ]
    files = {"kpis/kpis.yaml": yaml.safe_dump(
        {"kpis": kpis, "correlations": [["employee_satisfaction", "complaint_rate"]]},
        sort_keys=False, allow_unicode=True)}
    periods = [("2025-Q4", date(2026, 1, 15)), ("2026-Q1", date(2026, 4, 15)), ("2026-Q2", date(2026, 7, 15)),
               ("2026-Q3", date(2026, 10, 15))]
    for q, (period, day) in enumerate(periods):
        base = {"employee_satisfaction": 64 + 3 * q, "service_standard": 78 + 2.5 * q, "complaint_rate": 4.2 - 0.3 * q}
        segments, respondents = {}, {}
        for store in STORES:
            segments[store] = {
                "employee_satisfaction": round(base["employee_satisfaction"] + rng.uniform(-6, 6), 1),
                "service_standard": round(base["service_standard"] + rng.uniform(-5, 5), 1),
                "complaint_rate": round(max(0.5, base["complaint_rate"] + rng.uniform(-1, 1)), 2),
            }
            respondents[store] = rng.randint(5, 40)
        fm = {"title": f"Kennzahlen {period}", "period": period, "date": day}
        if q == 0:
            fm["baseline"] = True
        fm.update(values={k: round(v, 2) for k, v in base.items()}, segments=segments, respondents=respondents)
        w = Writer(random.Random(f"{seed}:kpitext:{q}"), "de")
        body = f"## Einordnung\n\n{w.paragraph(3)}\n\n## Maßnahmen\n\n{w.bullets()}\n"
        files[f"kpis/{period}.md"] = dump_front_matter(fm) + body
    return files


def make_images(dest: Path, seed: int, count: int = 5) -> list[str]:
    from PIL import Image, ImageDraw

    palette = [(27, 127, 59), (242, 169, 0), (200, 60, 40), (90, 150, 60), (240, 200, 80), (120, 70, 40)]
    names = []
    dest.mkdir(parents=True, exist_ok=True)
    for n in range(1, count + 1):
        rng = random.Random(f"{seed}:image:{n}")
        w, h = 1600, 1000
        top, bottom = rng.sample(palette, 2)
        grad = Image.linear_gradient("L").resize((w, h))
        img = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), grad)
        draw = ImageDraw.Draw(img)
        for _ in range(40):  # "fruit" on a counter
            x, y, r = rng.randrange(w), rng.randrange(h // 3, h), rng.randint(30, 110)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(palette), outline=(30, 30, 30), width=3)
        draw.rectangle((0, h - 120, w, h), fill=(110, 80, 50))
        name = f"img-{n}.jpg"
        img.save(dest / name, "JPEG", quality=85, optimize=True)
        names.append(name)
    return names


def resolve_links(body: str, links: list[str]) -> str:
    return re.sub(r"@@LINK:(\d)@@", lambda m: links[int(m.group(1))], body)


HUGO_TOML = """\
baseURL = "/"
title = "Frischmarkt Intranet (Benchmark)"
defaultContentLanguage = "de"
disableHugoGeneratorInject = true
enableRobotsTXT = false

[languages]
  [languages.de]
    languageName = "Deutsch"
    weight = 1
  [languages.en]
    languageName = "English"
    weight = 2

[taxonomies]
  tag = "tags"
  pillar = "pillars"
  audience = "audiences"

[markup.goldmark.renderer]
  unsafe = false
"""

HUGO_BASEOF = """\
<!doctype html>
<html lang="{{ .Site.Language.Lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} | {{ .Site.Title }}</title>
</head>
<body>
<header><a href="{{ "" | relLangURL }}">{{ .Site.Title }}</a></header>
<main>
{{ block "main" . }}{{ end }}
</main>
<footer>{{ .Site.Title }}</footer>
</body>
</html>
"""

HUGO_SINGLE = """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
{{ with .Params.author }}<p class="byline">{{ . }}{{ with $.Params.role }}, {{ . }}{{ end }}{{ with $.Date }} · {{ .Format "2006-01-02" }}{{ end }}</p>{{ end }}
{{ with .Params.image }}<img src="{{ . | absURL }}" alt="" width="1600" height="1000" loading="lazy">{{ end }}
{{ .Content }}
{{ with .Params.tags }}<p class="tags">{{ range . }}<span>{{ . }}</span> {{ end }}</p>{{ end }}
{{ range .Translations }}<p><a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.LanguageName }}</a></p>{{ end }}
</article>
{{ end }}
"""

HUGO_LIST = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}
</ul>
{{ end }}
"""


def generate(pages: int, out: Path, hugo: Path | None = None, seed: int = 42, quiet: bool = False) -> dict:
    if pages < 10:  # fewer leaves too few English pages for 2-3 distinct cross-links
        raise SystemExit("corpus.py: --pages must be at least 10")
    entries = plan(pages, seed)
    by_lang = {"de": entries, "en": [e for e in entries if e.has_en]}
    for target in (out, hugo):
        if target is not None and target.exists():
            for sub in ("content", "layouts", "static", "site.yaml", "hugo.toml"):
                p = target / sub
                if p.is_dir():
                    shutil.rmtree(p)
                elif p.exists():
                    p.unlink()
    write_file(out / "site.yaml", site_yaml())
    content = out / "content"
    count = 0
    lessons: dict[int, int] = {}
    for e in entries:
        for lang in ("de", "en") if e.has_en else ("de",):
            lrng = random.Random(f"{seed}:links:{e.kind}:{e.index}")
            n_links = lrng.randint(2, 3)
            with_table = lrng.random() < 0.5
            pool = by_lang[lang]
            n_links = min(n_links, len(pool) - 1)  # tiny corpora have few pages to link to
            targets = []
            while len(targets) < n_links:
                t = pool[lrng.randrange(len(pool))]
                if t is not e and t not in targets:
                    targets.append(t)
            fm = dump_front_matter(front_matter(e, lang))
            li = LANG_INDEX[lang]
            src_rel = e.rel(lang)
            md_links = [f"[{t.title[li]}]({posixpath.relpath(t.rel(lang), posixpath.dirname(src_rel))})"
                        for t in targets]
            growth = sum(len(link.encode()) - len("@@LINK:0@@") for link in md_links)
            # A module's English translation has the German original's lessons (im-site checks that).
            sections = lessons.get(e.index) if e.kind == "training" and lang != "de" else None
            body = body_for(e, lang, seed, n_links, with_table, len(fm.encode()) + growth, sections)
            if e.kind == "training" and lang == "de":
                lessons[e.index] = body.count("\n## ") + body.startswith("## ")
            write_file(content / src_rel, fm + resolve_links(body, md_links))
            count += 1
            if hugo is not None:
                # Every page URL is /<section>/<slug>/ (under /en/ for English), so a
                # relative URL between two pages of one language is ../../<section>/<slug>/.
                hugo_links = [f"[{t.title[li]}](../../{t.hugo_url()})" for t in targets]
                write_file(hugo / "content" / src_rel, fm + resolve_links(body, hugo_links))
    for rel, text in kpi_files(seed).items():
        write_file(content / rel, text)
    images = make_images(content / "assets" / "images", seed)
    if hugo is not None:
        write_file(hugo / "hugo.toml", HUGO_TOML)
        layouts = hugo / "layouts" / "_default"
        write_file(layouts / "baseof.html", HUGO_BASEOF)
        write_file(layouts / "single.html", HUGO_SINGLE)
        write_file(layouts / "list.html", HUGO_LIST)
        shutil.copytree(content / "assets" / "images", hugo / "static" / "assets" / "images")
    counts = split_counts(pages)
    summary = {"pages": count, **{k + "s": v for k, v in counts.items()},
               "english": len(by_lang["en"]), "kpi_snapshots": 4, "images": len(images)}
    assert count == pages, (count, pages)
    if not quiet:
        print(f"corpus: {count} pages ({counts['message']} messages, {counts['training']} training modules, "
              f"{counts['page']} pages; {len(by_lang['en'])} English translations) in {out}"
              + (f"; Hugo site in {hugo}" if hugo else ""), file=sys.stderr)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, required=True, help="number of Markdown pages (messages+modules+pages)")
    ap.add_argument("--out", type=Path, required=True, help="folder for the im-site site")
    ap.add_argument("--hugo", type=Path, help="also write the same pages as a Hugo site here")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    generate(args.pages, args.out, args.hugo, args.seed, args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
