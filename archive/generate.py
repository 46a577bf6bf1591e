"""A synthetic archive at scale, for benchmarks and for trying the admin and the API on a
realistic volume (`python manage.py generate_archive --articles N`).

Text is combined from a sentence pool built out of the seed dispatches (English) and small
hand-written pools (French, Ukrainian, Russian), so bodies read like dispatches and search has
a realistic vocabulary. Every testimony is built *into* its article's body as it is written, so
`body[start:end] == quote` holds by construction; annotations anchor on a sentence the same way.

Speed: rows are produced as plain tuples and written per chunk of articles. On PostgreSQL they
go through COPY (psycopg 3), with primary keys reserved from the sequences beforehand so that
children can point at their parents without a round trip; elsewhere (SQLite) through
`bulk_create`. The triggers (the raw-capture guard, search vectors, the public copies of
articles with a restricted passage) fire in both cases.

The generated rows bypass the services on purpose: a million `article_create` calls would take
hours, and the generator builds only what the services would accept (quotes equal to their
slice, protection reasons where required, published rows with a timestamp). It writes no
change history (django-simple-history): nobody edited these rows.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connections, models, transaction
from django.utils.text import slugify

from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    Credit,
    DatePrecision,
    Person,
    PersonName,
    Place,
    PlaceFact,
    PlaceName,
    ProtectionLevel,
    Source,
    Status,
    Tag,
    Testimony,
    TestimonyStatus,
    Visibility,
)
from archive.selectors import bump_generation
from archive.text import quote_context

DISPATCHES_DIR = Path(settings.BASE_DIR) / "fixtures" / "dispatches"

# Ratios, per article unless said otherwise.
TESTIMONIES_PER_ARTICLE = (3, 9)  # uniform: six on average
ARTICLES_PER_PERSON = 3
GAZETTEER_SIZE = 200
ARTICLES_PER_COLLECTION = 1000
COLLECTION_ITEMS = (10, 30)
COLLECTION_CANDIDATES = 5000  # published articles / public testimonies sampled for collections
BODY_BYTES = (1500, 4200)  # before the testimonies are written in: bodies end up 2–6 kB
LANGUAGES = (("en", 0.78), ("fr", 0.1), ("uk", 0.07), ("ru", 0.05))
ARTICLE_STATUSES = (
    (Status.PUBLISHED, 0.85),
    (Status.DRAFT, 0.06),
    (Status.IN_REVIEW, 0.05),
    (Status.WITHDRAWN, 0.04),
)
TESTIMONY_VISIBILITY = (
    (Visibility.PUBLIC, 0.88),
    (Visibility.PSEUDONYMISED, 0.08),
    (Visibility.RESTRICTED, 0.04),
)
ANNOTATIONS_PER_ARTICLE = ((0, 0.3), (1, 0.45), (2, 0.2), (3, 0.05))  # one on average
FIRST_DAY, LAST_DAY = date(2022, 2, 24), date(2025, 10, 31)

# Quotation marks by language: the quote stored is what lies between them.
QUOTE_MARKS = {"en": ("“", "”"), "fr": ("« ", " »"), "uk": ("«", "»"), "ru": ("«", "»")}


# --- Reference data: sources, gazetteer, thesaurus ----------------------------------------------

SOURCES = (
    # name, slug, kind, country, website, language
    ("Reuters", "reuters", "wire_agency", "GB", "https://www.reuters.com", "en"),
    ("Agence France-Presse", "afp", "wire_agency", "FR", "https://www.afp.com", "fr"),
    ("Associated Press", "associated-press", "wire_agency", "US", "https://apnews.com", "en"),
    ("franceinfo", "franceinfo", "broadcaster", "FR", "https://www.francetvinfo.fr", "fr"),
    ("Le Monde", "le-monde", "newspaper", "FR", "https://www.lemonde.fr", "fr"),
    ("Libération", "liberation", "newspaper", "FR", "https://www.liberation.fr", "fr"),
    ("RFI", "rfi", "broadcaster", "FR", "https://www.rfi.fr", "fr"),
    ("Gwara Media", "gwara-media", "local_outlet", "UA", "https://gwaramedia.com", "uk"),
    ("Suspilne", "suspilne", "broadcaster", "UA", "https://suspilne.media", "uk"),
    ("Ukrainska Pravda", "ukrainska-pravda", "newspaper", "UA", "https://www.pravda.com.ua", "uk"),
    ("Hromadske", "hromadske", "local_outlet", "UA", "https://hromadske.ua", "uk"),
    (
        "The Kyiv Independent",
        "kyiv-independent",
        "newspaper",
        "UA",
        "https://kyivindependent.com",
        "en",
    ),
    ("Meduza", "meduza", "local_outlet", "LV", "https://meduza.io", "ru"),
    (
        "Novaya Gazeta Europe",
        "novaya-gazeta-europe",
        "newspaper",
        "LV",
        "https://novayagazeta.eu",
        "ru",
    ),
    ("Radio Svoboda", "radio-svoboda", "broadcaster", "CZ", "https://www.svoboda.org", "ru"),
    ("BBC News", "bbc-news", "broadcaster", "GB", "https://www.bbc.co.uk/news", "en"),
    ("The Guardian", "the-guardian", "newspaper", "GB", "https://www.theguardian.com", "en"),
    ("Deutsche Welle", "deutsche-welle", "broadcaster", "DE", "https://www.dw.com", "en"),
    ("Donbas Frontliner", "donbas-frontliner", "local_outlet", "UA", "https://dfl.org.ua", "en"),
    ("Vostok SOS", "vostok-sos", "local_outlet", "UA", "https://vostok-sos.org", "uk"),
)

REGIONS = (
    # name, slug, cyrillic, latitude, longitude
    ("Donetsk Oblast", "donetsk-oblast", "Донецька область", "48.01500", "37.80280"),
    ("Luhansk Oblast", "luhansk-oblast", "Луганська область", "48.57400", "39.30780"),
    ("Kharkiv Oblast", "kharkiv-oblast", "Харківська область", "49.99350", "36.23040"),
    ("Zaporizhzhia Oblast", "zaporizhzhia-oblast", "Запорізька область", "47.83880", "35.13960"),
    ("Kherson Oblast", "kherson-oblast", "Херсонська область", "46.63540", "32.61690"),
    (
        "Dnipropetrovsk Oblast",
        "dnipropetrovsk-oblast",
        "Дніпропетровська область",
        "48.46470",
        "35.04620",
    ),
)

TOWNS = (
    # name, region slug, kind, latitude, longitude, former name
    ("Lysychansk", "luhansk-oblast", "city", "48.90400", "38.44200", ""),
    ("Sievierodonetsk", "luhansk-oblast", "city", "48.94820", "38.49200", ""),
    ("Rubizhne", "luhansk-oblast", "city", "49.01200", "38.37900", ""),
    ("Popasna", "luhansk-oblast", "town", "48.63000", "38.38000", ""),
    ("Kreminna", "luhansk-oblast", "town", "49.04800", "38.21700", ""),
    ("Svatove", "luhansk-oblast", "town", "49.41000", "38.16000", ""),
    ("Bakhmut", "donetsk-oblast", "city", "48.59500", "38.00000", "Artemivsk"),
    ("Toretsk", "donetsk-oblast", "town", "48.39800", "37.84700", "Dzerzhynsk"),
    ("Kramatorsk", "donetsk-oblast", "city", "48.73800", "37.58400", ""),
    ("Sloviansk", "donetsk-oblast", "city", "48.85200", "37.60500", ""),
    ("Pokrovsk", "donetsk-oblast", "city", "48.28200", "37.17600", "Krasnoarmiisk"),
    ("Avdiivka", "donetsk-oblast", "town", "48.13900", "37.74300", ""),
    ("Vuhledar", "donetsk-oblast", "town", "47.77900", "37.24900", ""),
    ("Chasiv Yar", "donetsk-oblast", "town", "48.58600", "37.83500", ""),
    ("Kostiantynivka", "donetsk-oblast", "city", "48.52700", "37.70700", ""),
    ("Druzhkivka", "donetsk-oblast", "city", "48.63000", "37.55000", ""),
    ("Lyman", "donetsk-oblast", "town", "48.98900", "37.80200", "Krasnyi Lyman"),
    ("Siversk", "donetsk-oblast", "town", "48.86700", "38.10000", ""),
    ("Soledar", "donetsk-oblast", "town", "48.68300", "38.06700", ""),
    ("Myrnohrad", "donetsk-oblast", "town", "48.30200", "37.26100", "Dymytrov"),
    ("Selydove", "donetsk-oblast", "town", "48.14700", "37.30000", ""),
    ("Kurakhove", "donetsk-oblast", "town", "47.98300", "37.28200", ""),
    ("Marinka", "donetsk-oblast", "town", "47.94300", "37.50400", ""),
    ("Mariupol", "donetsk-oblast", "city", "47.09700", "37.54300", "Zhdanov"),
    ("Volnovakha", "donetsk-oblast", "town", "47.60100", "37.49600", ""),
    ("Horlivka", "donetsk-oblast", "city", "48.33600", "38.05300", ""),
    ("Donetsk", "donetsk-oblast", "city", "48.01500", "37.80300", "Stalino"),
    ("Kupiansk", "kharkiv-oblast", "town", "49.71000", "37.61600", ""),
    ("Izium", "kharkiv-oblast", "town", "49.21200", "37.25600", ""),
    ("Balakliia", "kharkiv-oblast", "town", "49.46300", "36.85800", ""),
    ("Vovchansk", "kharkiv-oblast", "town", "50.29100", "36.94100", ""),
    ("Borova", "kharkiv-oblast", "village", "49.37700", "37.62500", ""),
    ("Kharkiv", "kharkiv-oblast", "city", "49.99350", "36.23040", ""),
    ("Orikhiv", "zaporizhzhia-oblast", "town", "47.56800", "35.78500", ""),
    ("Huliaipole", "zaporizhzhia-oblast", "town", "47.66400", "36.25600", ""),
    ("Enerhodar", "zaporizhzhia-oblast", "city", "47.49900", "34.65600", ""),
    ("Vasylivka", "zaporizhzhia-oblast", "town", "47.43500", "35.27700", ""),
    ("Kherson", "kherson-oblast", "city", "46.63540", "32.61690", ""),
    ("Beryslav", "kherson-oblast", "town", "46.84100", "33.42600", ""),
    ("Nikopol", "dnipropetrovsk-oblast", "city", "47.56700", "34.39400", ""),
    ("Marhanets", "dnipropetrovsk-oblast", "town", "47.64800", "34.62000", ""),
)

# Synthetic village names fill the gazetteer up to its size: prefix + root + suffix.
VILLAGE_PREFIXES = ("", "", "", "Novo", "Staro", "Velyka ", "Mala ", "Verkhnia ", "Nyzhnia ")
VILLAGE_ROOTS = (
    "Mykola", "Petro", "Ivan", "Oleksandr", "Bohdan", "Serhi", "Kamian", "Zelen", "Bil",
    "Chervon", "Pishch", "Vodian", "Lozov", "Dubrov", "Berez", "Sosn", "Lypov", "Hrush",
    "Vyshn", "Hai", "Kozats", "Stav", "Yablun", "Krynych", "Myrn", "Shakht", "Zori",
)  # fmt: skip
VILLAGE_SUFFIXES = ("ivka", "ske", "ynka", "opil", "ohrad", "ivske", "ove", "anka", "e")

THESAURUS = {
    # theme: (description, narrower terms)
    "Displacement": (
        "People forced to leave their homes, and those who return.",
        ("Evacuation", "Refugees", "Return home", "Those who stay"),
    ),
    "Shelling": (
        "Artillery, rocket, missile and bomb attacks on towns.",
        ("Artillery", "Missile strikes", "Glide bombs", "Cluster munitions"),
    ),
    "Drones": (
        "Unmanned aircraft over the front and the towns behind it.",
        ("FPV drones", "Drone units", "Air defence"),
    ),
    "Occupation": (
        "Life under, and after, occupation.",
        ("Collaboration", "Filtration", "Deportation", "Liberation"),
    ),
    "Humanitarian aid": (
        "Food, medicine and shelter brought to civilians.",
        ("Food distribution", "Medical care", "Volunteers"),
    ),
    "Utilities": (
        "Electricity, water, gas, heating and communications.",
        ("Electricity", "Water supply", "Heating", "Mobile network"),
    ),
    "Daily life": (
        "How people live, work and shop under fire.",
        ("Elderly residents", "Children", "Pets", "Work and money"),
    ),
    "Military": (
        "Soldiers, units and the line of contact.",
        ("Front line", "Fortifications", "Mobilisation"),
    ),
    "Destruction": (
        "What the war destroys.",
        ("Housing", "Infrastructure", "Cultural heritage"),
    ),
    "Memory": (
        "The dead, the missing, and how they are remembered.",
        ("The dead", "Missing persons"),
    ),
}

FIRST_NAMES = (
    "Yuri", "Valentyna", "Olha", "Mykola", "Serhii", "Tetiana", "Viktor", "Liudmyla",
    "Oleksandr", "Nina", "Vadym", "Ivan", "Halyna", "Petro", "Natalia", "Andrii", "Svitlana",
    "Volodymyr", "Iryna", "Oleh", "Hanna", "Dmytro", "Kateryna", "Vitalii", "Valerii",
    "Larysa", "Bohdan", "Maryna", "Ihor", "Zoia", "Lidiia", "Anatolii", "Raisa", "Yevhen",
)  # fmt: skip
SURNAMES = (
    "Kovalenko", "Bondarenko", "Tkachenko", "Shevchenko", "Kravchenko", "Melnyk", "Boiko",
    "Moroz", "Lysenko", "Savchenko", "Rudenko", "Marchenko", "Petrenko", "Shvets", "Babenko",
    "Hnatiuk", "Zhuk", "Pavlenko", "Kuzmenko", "Ponomarenko", "Sosnin", "Krasnikov", "Lypko",
)  # fmt: skip
ROLES = {
    Person.Kind.CIVILIAN: (
        "retired", "pensioner", "teacher", "street-stall seller", "miner", "nurse",
        "shop owner", "factory worker", "student", "farmer", "bus driver",
    ),
    Person.Kind.MILITARY: (
        "soldier", "drone unit commander", "artillery officer", "combat medic", "sniper",
    ),
    Person.Kind.OFFICIAL: (
        "mayor", "head of the military administration", "police officer", "municipal worker",
    ),
    Person.Kind.VOLUNTEER: ("volunteer", "aid worker", "evacuation driver", "chaplain"),
}  # fmt: skip
PERSON_KINDS = (
    (Person.Kind.CIVILIAN, 0.7),
    (Person.Kind.MILITARY, 0.15),
    (Person.Kind.OFFICIAL, 0.08),
    (Person.Kind.VOLUNTEER, 0.07),
)
PROTECTION = (
    (ProtectionLevel.PUBLIC, 0.9),
    (ProtectionLevel.PSEUDONYMISED, 0.07),
    (ProtectionLevel.RESTRICTED, 0.03),
)
PROTECTION_REASONS = (
    "Family members still live under occupation.",
    "Serving soldier: identity withheld for operational security.",
    "Asked not to be named for fear of reprisals.",
    "Minor at the time of the interview.",
)
UNNAMED_SPEAKERS = (
    "a street-stall seller", "a pensioner queueing for bread", "a volunteer driver",
    "a woman who gave no name", "a soldier on leave", "a local resident", "a nurse",
    "a man repairing his roof", "a grandmother on a bench", "a police officer",
)  # fmt: skip
JOURNALISTS = (
    "Anna Voitenko", "Alina Smutko", "Oleksandr Babenko", "Sophie Dubois", "Marc Lefèvre",
    "Emma Clarke", "Tom Hughes", "Olena Kurylo", "Maksym Savchuk", "Iryna Tymchenko",
    "Claire Martin", "Paul Girard", "Daria Shulzhenko", "James Oliver", "Kateryna Panko",
)  # fmt: skip
EDITORS = ("Archive desk", "M. Hoffmann", "L. Petit", "O. Hrytsenko", "R. Adams")
ANNOTATION_NOTES = (
    (Annotation.Motivation.ASSESSING, "Checked against the regional administration's statement."),
    (Annotation.Motivation.COMMENTING, "Other outlets give a different figure for the same day."),
    (Annotation.Motivation.DESCRIBING, "The district lies on the eastern bank of the river."),
    (Annotation.Motivation.EDITING, "Transliteration normalised to the national standard."),
    (Annotation.Motivation.IDENTIFYING, "Probably the same person quoted in an earlier dispatch."),
    (Annotation.Motivation.MODERATING, "Sensitive: describes casualties in detail."),
    (Annotation.Motivation.QUESTIONING, "Date of the strike unconfirmed; check local channels."),
    (Annotation.Motivation.LINKING, "See the collection on evacuations from this town."),
)
TESTIMONY_CONTEXTS = (
    "",
    "",
    "Interviewed at a humanitarian aid point.",
    "Spoke outside a damaged apartment block.",
    "Phone interview after the evacuation.",
    "Spoke while waiting for an evacuation bus.",
)
COLLECTION_TITLES = (
    "Those who stay in {place}",
    "Leaving {place}",
    "Voices from {place}",
    "{place} under fire",
    "Waiting for the bus out of {place}",
    "The last residents of {place}",
)

# --- Text pools ----------------------------------------------------------------------------------

EXTRA_TEXT = {
    "en": (
        (
            "Shelling resumed before dawn and continued for most of the morning.",
            "The road to {place} is now within range of Russian artillery.",
            "Volunteers bring bread, water and medicine twice a week.",
            "Most of the apartment blocks on the main street have no windows left.",
            "Local authorities say about {n} people remain in the town.",
            "There has been no electricity or running water since the spring.",
            "Evacuation buses leave from the square in front of the town hall.",
            "Drones circle overhead, and people move quickly between shelters.",
            "The market has closed, but a few stalls still sell vegetables.",
            "Officials urged the remaining residents of {place} to leave immediately.",
        ),
        (
            "We have nowhere else to go, this is our home",
            "I will not leave my house, I built it with my own hands",
            "Every night we sleep in the basement",
            "My children call me every day and beg me to leave",
            "We survived the first winter, we will survive this one",
            "There is no water, no gas, nothing, but we are alive",
        ),
    ),
    "fr": (
        (
            "Les bombardements ont repris avant l'aube et se sont poursuivis toute la matinée.",
            "La route vers {place} est désormais à portée de l'artillerie russe.",
            "Des bénévoles apportent du pain, de l'eau et des médicaments deux fois par semaine.",
            "La plupart des immeubles de la rue principale n'ont plus de fenêtres.",
            "Selon les autorités locales, environ {n} personnes vivent encore en ville.",
            "Il n'y a plus d'électricité ni d'eau courante depuis le printemps.",
            "Les bus d'évacuation partent de la place, devant la mairie.",
            "Des drones tournent au-dessus des toits et les habitants courent d'un abri à l'autre.",
            "Le marché a fermé, mais quelques étals vendent encore des légumes.",
            "Les autorités ont exhorté les derniers habitants de {place} à partir sans attendre.",
            "Dans la cour d'un immeuble éventré, des retraités font cuire leur repas sur un feu.",
            "Le front n'est plus qu'à quelques kilomètres de la ville.",
        ),
        (
            "Nous n'avons nulle part où aller, c'est notre maison",
            "Je ne partirai pas, j'ai construit cette maison de mes mains",
            "Chaque nuit, nous dormons dans la cave",
            "Mes enfants m'appellent tous les jours pour me supplier de partir",
            "Nous avons survécu au premier hiver, nous survivrons à celui-ci",
            "Il n'y a ni eau, ni gaz, rien, mais nous sommes vivants",
            "Où voulez-vous que j'aille à mon âge ?",
            "Ici, tout le monde se connaît, on s'entraide",
        ),
    ),
    "uk": (
        (
            "Обстріли почалися ще до світанку і тривали майже весь ранок.",
            "Дорога до міста {place} тепер у зоні досяжності російської артилерії.",
            "Волонтери привозять хліб, воду та ліки двічі на тиждень.",
            "У більшості багатоповерхівок на центральній вулиці не залишилося вікон.",
            "За даними місцевої влади, у місті залишаються близько {n} людей.",
            "Від весни в будинках немає ні світла, ні води.",
            "Евакуаційні автобуси відходять від площі перед міською радою.",
            "Над дахами кружляють дрони, і люди перебігають від укриття до укриття.",
            "Ринок закрився, але кілька прилавків досі продають овочі.",
            "Влада закликала останніх мешканців міста {place} негайно виїхати.",
            "Фронт тепер лише за кілька кілометрів від міста.",
        ),
        (
            "Нам нікуди їхати, це наш дім",
            "Я не поїду, я збудував цей дім власними руками",
            "Щоночі ми спимо в підвалі",
            "Діти щодня дзвонять і просять мене виїхати",
            "Ми пережили першу зиму, переживемо й цю",
            "Немає ні води, ні газу, нічого, але ми живі",
            "Куди я поїду у свої роки?",
        ),
    ),
    "ru": (
        (
            "Обстрелы возобновились ещё до рассвета и продолжались почти всё утро.",
            "Дорога в {place} теперь простреливается российской артиллерией.",
            "Волонтёры привозят хлеб, воду и лекарства два раза в неделю.",
            "В большинстве многоэтажек на главной улице не осталось окон.",
            "По данным местных властей, в городе остаются около {n} человек.",
            "С весны в домах нет ни света, ни воды.",
            "Эвакуационные автобусы отходят от площади перед горсоветом.",
            "Над крышами кружат дроны, и люди перебегают от укрытия к укрытию.",
            "Рынок закрылся, но несколько прилавков всё ещё торгуют овощами.",
            "Власти призвали последних жителей {place} немедленно уехать.",
            "Фронт теперь всего в нескольких километрах от города.",
        ),
        (
            "Нам некуда ехать, это наш дом",
            "Я не уеду, я построил этот дом своими руками",
            "Каждую ночь мы спим в подвале",
            "Дети каждый день звонят и просят меня уехать",
            "Мы пережили первую зиму, переживём и эту",
            "Нет ни воды, ни газа, ничего, но мы живы",
        ),
    ),
}

# Parts of synthetic English sentences: subject, verb, object, time.
SENTENCE_PARTS = (
    (
        "Firefighters", "Volunteers", "Local officials", "A priest", "Neighbours", "Medics",
        "The mayor", "Police officers", "Two brothers", "An elderly couple", "Teachers",
        "Miners", "Engineers", "Aid workers", "Soldiers", "Farmers", "Shopkeepers", "Nurses",
        "Journalists", "Bus drivers", "Students", "Pensioners", "A railway worker",
        "Electricians", "Social workers", "Chaplains", "Bakers", "Plumbers", "Librarians",
    ),
    (
        "repaired", "cleared", "distributed", "photographed", "guarded", "rebuilt",
        "evacuated", "inspected", "boarded up", "searched", "abandoned", "defended",
        "documented", "unloaded", "counted", "reopened", "shut down", "dug out", "patched",
        "mapped", "catalogued", "salvaged", "sandbagged", "reinforced", "emptied",
    ),
    (
        "the damaged bridge", "a burned-out tram depot", "the pharmacy", "the water tower",
        "crates of tinned food", "the school gymnasium", "a collapsed granary",
        "the hospital's generator", "the library's archive", "the orthodox church",
        "a convoy of minibuses", "the heating plant", "the last open bakery",
        "the mine's ventilation shaft", "the football stadium", "a kindergarten",
        "the railway station", "the town's museum", "a cemetery chapel", "the substation",
        "the bread factory", "a row of garages", "the cultural centre", "the post office",
        "the coal depot", "a shelter for stray dogs", "the glassworks", "the dairy",
    ),
    (
        "at dawn", "before the curfew", "after the last strike", "during a lull",
        "on Sunday", "overnight", "in the rain", "under drone fire", "by candlelight",
        "within hours", "for the third time this month", "despite the shelling",
        "while sirens wailed", "in freezing temperatures", "after weeks of waiting",
    ),
)  # fmt: skip

HEADLINES = {
    "en": (
        "In {place}, the last residents refuse to leave",
        "{place}: life under constant shelling",
        "Drones over {place} as the front moves closer",
        "Evacuation from {place} gathers pace",
        "'We will stay': voices from {place}",
        "Winter without heating in {place}",
        "The long wait for aid in {place}",
        "How {place} lives with the war at its doorstep",
    ),
    "fr": (
        "À {place}, les derniers habitants refusent de partir",
        "{place}, une ville sous les bombes",
        "Des drones au-dessus de {place}",
        "L'évacuation de {place} s'accélère",
        "« Nous resterons » : paroles d'habitants de {place}",
    ),
    "uk": (
        "{place}: останні мешканці не хочуть виїжджати",
        "{place} під постійними обстрілами",
        "Евакуація з міста {place} прискорюється",
        "Дрони над містом {place}",
    ),
    "ru": (
        "{place}: последние жители не хотят уезжать",
        "{place} под постоянными обстрелами",
        "Эвакуация из {place} ускоряется",
        "Дроны над {place}",
    ),
}

SAID = {
    "en": ("{q}, said {who}.", "{q}, {who} said.", "{Who} said: {q}"),
    "fr": ("{q}, a dit {who}.", "{q}, raconte {who}.", "{Who} confie : {q}"),
    "uk": ("{q}, — каже {who}.", "{Who} розповідає: {q}"),
    "ru": ("{q}, — говорит {who}.", "{Who} рассказывает: {q}"),
}
WITHHELD = {
    "en": "a resident who asked not to be named",
    "fr": "une habitante qui a requis l'anonymat",
    "uk": "мешканка, яка попросила не називати її імені",
    "ru": "жительница, попросившая не называть её имени",
}
BOILERPLATE_HEAD = (
    "Search\n\nSubscribe Our News\n\n",
    "Reading time: 4 min.\n\n",
    "",
    "Listen\n\n",
)
BOILERPLATE_TAIL = (
    "\n\nSubscribe to our newsletter",
    "\n\nsource site-25",
    "\n\nShare this article",
    "",
)

_CYRILLIC = (
    ("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("ia", "я"), ("iu", "ю"), ("ie", "є"), ("yi", "ї"), ("a", "а"), ("b", "б"), ("v", "в"),
    ("h", "г"), ("g", "ґ"), ("d", "д"), ("e", "е"), ("z", "з"), ("y", "и"), ("i", "і"),
    ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"),
    ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), (" ", " "), ("-", "-"), ("'", "ь"),
)  # fmt: skip
_FRENCH = (("shch", "chtch"), ("kh", "kh"), ("ch", "tch"), ("sh", "ch"), ("zh", "j"), ("u", "ou"))


def to_cyrillic(name: str) -> str:
    """An approximate Ukrainian spelling of a romanised name (for name variants)."""
    out, i, low = [], 0, name.lower()
    while i < len(low):
        for latin, cyr in _CYRILLIC:
            if low.startswith(latin, i):
                out.append(cyr.upper() if name[i].isupper() else cyr)
                i += len(latin)
                break
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def to_french(name: str) -> str:
    """The French transliteration agencies use (Bakhmut → Bakhmout, Lysychansk → Lyssytchansk)."""
    result = name
    for latin, french in _FRENCH:
        result = result.replace(latin, french)
    return re.sub(r"(?<=[aeiouy])s(?=[aeiouy])", "ss", result)


def sentences_and_quotes(text: str) -> tuple[list[str], list[str]]:
    """Split a dispatch into narrative sentences and the quoted passages it contains."""
    quotes = [q.strip(" ,.") for q in re.findall(r"[“\"]([^”\"]{25,300})[”\"]", text)]
    sentences = []
    for paragraph in text.split("\n"):
        if "“" in paragraph or '"' in paragraph:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", paragraph.strip()):
            if 40 <= len(sentence) <= 300 and sentence[0].isupper() and sentence[-1] in ".!?":
                sentences.append(sentence)
    return sentences, [q for q in quotes if q]


def build_text_pools(dispatches_dir: Path = DISPATCHES_DIR) -> dict[str, tuple[list, list]]:
    """Per language: narrative sentences (str.format templates with {place} and {n}) and quotes."""
    pools = {lang: (list(s), list(q)) for lang, (s, q) in EXTRA_TEXT.items()}
    for path in sorted(dispatches_dir.glob("*.txt")) if dispatches_dir.is_dir() else ():
        sentences, quotes = sentences_and_quotes(path.read_text(encoding="utf-8"))
        # Seed sentences are literal text: escape braces so formatting leaves them unchanged.
        pools["en"][0].extend(s.replace("{", "{{").replace("}", "}}") for s in sentences)
        pools["en"][1].extend(quotes)
    return pools


# --- Writing rows ---------------------------------------------------------------------------


class RowWriter:
    """Writes tuples of column values into a model's table, as fast as the backend allows.

    Columns the generator does not know about (added by other parts of the project later) are
    filled from the model field's default, so a new field with a default does not break it.
    """

    def __init__(self, using: str, batch_size: int) -> None:
        self.using = using
        self.connection = connections[using]
        self.batch_size = batch_size
        self.copy = self.connection.vendor == "postgresql"
        self._next_id: dict[type[models.Model], int] = {}

    def prepare_session(self) -> None:
        if not self.copy:
            return
        with self.connection.cursor() as cursor:
            # Only this session: commits need not wait for the WAL flush (a crash loses at
            # most the last chunks, never consistency), and lz4 compresses TOASTed text faster.
            cursor.execute("SET synchronous_commit = off")
            try:
                with transaction.atomic(using=self.using):
                    cursor.execute("SET default_toast_compression = 'lz4'")
            except Exception:
                pass

    def analyze(self, model_list: Sequence[type[models.Model]]) -> None:
        """Refresh the planner's statistics: after a bulk load they describe a table a fraction
        of its size, and the planner picks hash joins over whole tables for 20-row pages."""
        if not self.copy:
            return
        tables = {m._meta.db_table for m in model_list}
        with self.connection.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f"ANALYZE {self.connection.ops.quote_name(table)}")

    def allocate_ids(self, model: type[models.Model], n: int) -> list[int]:
        """Primary keys for n new rows, reserved so children can reference them before COPY."""
        if n == 0:
            return []
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            if self.copy:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, n],
                )
                return [row[0] for row in cursor.fetchall()]
            if model not in self._next_id:
                cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')
                self._next_id[model] = cursor.fetchone()[0] + 1
        first = self._next_id[model]
        self._next_id[model] = first + n
        return list(range(first, first + n))

    @staticmethod
    def _unlisted_fields(model: type[models.Model], columns: Sequence[str]) -> list[models.Field]:
        """Fields the generator does not fill and the database would not default by itself."""
        known = set(columns)
        return [
            f
            for f in model._meta.concrete_fields
            if f.attname not in known
            and not f.primary_key
            and not getattr(f, "generated", False)
            and f.db_default is models.NOT_PROVIDED
        ]

    def write(self, model: type[models.Model], columns: Sequence[str], rows: list[tuple]) -> int:
        if not rows:
            return 0
        if self.copy:
            self._copy(model, columns, self._unlisted_fields(model, columns), rows)
        else:
            # Model() fills unlisted fields from their defaults.
            objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
            model.objects.using(self.using).bulk_create(objs, batch_size=self.batch_size)
        return len(rows)

    def _copy(self, model, columns, extra, rows) -> None:
        quote = self.connection.ops.quote_name
        column_of = {f.attname: f.column for f in model._meta.concrete_fields}
        names = ", ".join(quote(column_of[c]) for c in (*columns, *(f.attname for f in extra)))
        sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
        conn = self.connection
        with conn.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            if extra:
                for row in rows:
                    defaults = tuple(
                        f.get_db_prep_save(f.get_default(), connection=conn) for f in extra
                    )
                    copy.write_row((*row, *defaults))
            else:
                for row in rows:
                    copy.write_row(row)


# --- The generator --------------------------------------------------------------------------


@dataclass
class Counts:
    sources: int = 0
    places: int = 0
    tags: int = 0
    people: int = 0
    articles: int = 0
    testimonies: int = 0
    annotations: int = 0
    credits: int = 0
    collections: int = 0
    collection_items: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Chunk:
    articles: list[tuple] = field(default_factory=list)
    testimonies: list[tuple] = field(default_factory=list)
    annotations: list[tuple] = field(default_factory=list)
    credits: list[tuple] = field(default_factory=list)
    article_places: list[tuple] = field(default_factory=list)
    article_tags: list[tuple] = field(default_factory=list)
    testimony_tags: list[tuple] = field(default_factory=list)


ARTICLE_COLUMNS = (
    "id", "source_id", "attribution_note", "headline", "slug", "standfirst", "language",
    "published_on", "date_precision", "date_inferred", "original_url", "dateline_place_id",
    "raw_text", "raw_sha256", "captured_at", "body", "status", "published_at",
    "created_at", "updated_at",
)  # fmt: skip
TESTIMONY_COLUMNS = (
    "id", "uid", "article_id", "quote", "start", "end", "speaker_id", "speaker_description",
    "speaker_age", "place_id", "context", "language", "translation_note", "visibility",
    "protection_reason", "protection_decided_at", "status", "created_at", "updated_at",
)  # fmt: skip
ANNOTATION_COLUMNS = (
    "uid", "article_id", "motivation", "body", "exact", "prefix", "suffix", "start", "end",
    "author_id", "author_name", "is_public", "created_at", "updated_at",
)  # fmt: skip
CREDIT_COLUMNS = ("article_id", "name", "role", "position")
PERSON_COLUMNS = (
    "id", "name", "slug", "role", "kind", "protection_level", "protection_reason", "note",
    "created_at", "updated_at",
)  # fmt: skip


def _weighted(rng: random.Random, table: Sequence[tuple]) -> Callable[[], object]:
    values = [v for v, _ in table]
    cum, total = [], 0.0
    for _, w in table:
        total += w
        cum.append(total)

    def pick():
        return rng.choices(values, cum_weights=cum)[0]

    return pick


GENERATED_MODELS = (
    Person,
    PersonName,
    Article,
    Testimony,
    Annotation,
    Credit,
    Collection,
    CollectionItem,
    Article.places.through,
    Article.tags.through,
    Testimony.tags.through,
)


class AlreadyGenerated(ValueError):
    pass


class _Reservoir:
    """A uniform sample of at most `size` values from a stream (reservoir sampling)."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng, self.size, self.seen, self.values = rng, size, 0, []

    def add(self, value) -> None:
        self.seen += 1
        if len(self.values) < self.size:
            self.values.append(value)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.size:
                self.values[j] = value


class ArchiveGenerator:
    """Generates `articles` articles and everything around them, in chunks of `batch_size`."""

    def __init__(
        self,
        *,
        seed: int = 0,
        batch_size: int = 2000,
        using: str = "default",
        progress: Callable[[int], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1.")
        self.seed = seed
        self.batch_size = batch_size
        self.using = using
        self.progress = progress or (lambda n: None)
        self.rng = random.Random(seed)
        self.writer = RowWriter(using, batch_size)
        self.pools = build_text_pools()
        self.counts = Counts()
        self.now = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)
        rng = self.rng
        self.pick_language = _weighted(rng, LANGUAGES)
        self.pick_status = _weighted(rng, ARTICLE_STATUSES)
        self.pick_visibility = _weighted(rng, TESTIMONY_VISIBILITY)
        self.pick_annotation_count = _weighted(rng, ANNOTATIONS_PER_ARTICLE)
        self.pick_person_kind = _weighted(rng, PERSON_KINDS)
        self.pick_protection = _weighted(rng, PROTECTION)
        self.article_sample = _Reservoir(rng, COLLECTION_CANDIDATES)
        self.testimony_sample = _Reservoir(rng, COLLECTION_CANDIDATES)

    # -- public entry point --

    def run(self, *, articles: int) -> Counts:
        if articles < 1:
            raise ValueError("Generate at least one article.")
        people = self._make_people(max(1, articles // ARTICLES_PER_PERSON))
        # Every generated slug carries the seed: a second run with the same seed would collide
        # on the unique constraints half-way through, so refuse before writing anything.
        if Person.objects.using(self.using).filter(slug=people[0][2]).exists():
            raise AlreadyGenerated(
                f"An archive was already generated with seed {self.seed} in this database; "
                "pick another --seed."
            )
        self.writer.prepare_session()
        with transaction.atomic(using=self.using):
            self._reference_data()
        self._write_people(people)
        done = 0
        while done < articles:
            n = min(self.batch_size, articles - done)
            with transaction.atomic(using=self.using):
                self._write_chunk(self._make_chunk(first_index=done, n=n))
            done += n
        with transaction.atomic(using=self.using):
            self._collections(max(1, articles // ARTICLES_PER_COLLECTION))
        self.writer.analyze(GENERATED_MODELS)
        # Bulk rows write no history, which the API's ETags are computed from: say that the
        # archive changed, or clients would keep being told their copies are current.
        bump_generation()
        return self.counts

    # -- reference data: reused when present, created otherwise --

    def _reference_data(self) -> None:
        db = self.using
        existing = set(Source.objects.using(db).values_list("slug", flat=True))
        new_sources = [
            Source(name=n, slug=s, kind=k, country=c, website=w, language=lang)
            for n, s, k, c, w, lang in SOURCES
            if s not in existing
        ]
        Source.objects.using(db).bulk_create(new_sources)
        self.counts.sources = len(new_sources)
        self.sources = list(
            Source.objects.using(db).order_by("id").values_list("id", "name", "website", "language")
        )
        self.sources_by_language: dict[str, list[tuple]] = {}
        for source in self.sources:
            self.sources_by_language.setdefault(source[3], []).append(source)
        self._gazetteer()
        self._thesaurus()

    def _gazetteer(self) -> None:
        db = self.using
        # A fixed seed: every run shares one gazetteer, whatever --seed says.
        rng = random.Random(20220224)
        by_slug = {p.slug: p for p in Place.objects.using(db).all()}
        created: list[Place] = []

        def ensure(name: str, slug: str, kind: str, parent, lat: str, lon: str) -> Place:
            if slug in by_slug:
                return by_slug[slug]
            place = Place(
                name=name,
                slug=slug,
                kind=kind,
                parent=parent,
                latitude=Decimal(lat),
                longitude=Decimal(lon),
            )
            place.save(using=db)
            by_slug[slug] = place
            created.append(place)
            return place

        regions = {}
        for name, slug, _cyr, lat, lon in REGIONS:
            regions[slug] = ensure(name, slug, Place.Kind.REGION, None, lat, lon)
        specs = [
            (name, region, kind, lat, lon, former) for name, region, kind, lat, lon, former in TOWNS
        ]
        region_slugs = list(regions)
        names = {s[0] for s in specs}
        while len(specs) + len(regions) < GAZETTEER_SIZE:
            root = rng.choice(VILLAGE_ROOTS) + rng.choice(VILLAGE_SUFFIXES)
            prefix = rng.choice(VILLAGE_PREFIXES)
            # Novo + Mykolaivka is one word (Novomykolaivka); Velyka Bilanka is two.
            name = prefix + (root.lower() if prefix.endswith("o") else root)
            if name in names:
                continue
            names.add(name)
            lat = f"{rng.uniform(47.0, 50.0):.5f}"
            lon = f"{rng.uniform(35.0, 39.5):.5f}"
            specs.append((name, rng.choice(region_slugs), Place.Kind.VILLAGE, lat, lon, ""))
        variants, facts = [], []
        for name, region, kind, lat, lon, former in specs:
            place = ensure(name, slugify(name), kind, regions[region], lat, lon)
            if place not in created:
                continue
            seen = {name}
            for variant, language, vkind in (
                (to_french(name), "fr", PlaceName.Kind.TRANSLITERATION),
                (to_cyrillic(name), "uk", PlaceName.Kind.NATIVE),
                (former, "", PlaceName.Kind.FORMER),
            ):
                if variant and variant not in seen:
                    seen.add(variant)
                    variants.append(
                        PlaceName(place=place, name=variant, language=language, kind=vkind)
                    )
            population = rng.randint(300, 3000) * (100 if kind == "city" else 10)
            facts.append(
                PlaceFact(
                    place=place,
                    kind=PlaceFact.Kind.POPULATION,
                    value=str(population),
                    as_of=date(2022, 1, 1),
                    source_note="Synthetic: generated for benchmarks.",
                )
            )
        for _name, slug, cyr, *_ in REGIONS:
            if regions[slug] in created:
                variants.append(
                    PlaceName(place=regions[slug], name=cyr, language="uk", kind="native")
                )
        PlaceName.objects.using(db).bulk_create(variants)
        PlaceFact.objects.using(db).bulk_create(facts)
        self.counts.places = len(created)
        settlements = Place.objects.using(db).exclude(kind__in=("region", "country", "river"))
        names_uk = dict(
            PlaceName.objects.using(db)
            .filter(kind=PlaceName.Kind.NATIVE)
            .values_list("place_id", "name")
        )
        # Cities first, then towns, then villages: reporting follows a long tail (Bakhmut in
        # thousands of dispatches, a village in a handful), so the n-th place is weighted 1/n.
        rank = {Place.Kind.CITY: 0, Place.Kind.TOWN: 1}
        ordered = sorted(settlements, key=lambda p: (rank.get(p.kind, 2), p.id))
        self.places = [(p.id, p.name, names_uk.get(p.id, p.name)) for p in ordered]
        self.place_weights = list(
            itertools.accumulate(1 / (n + 1) for n in range(len(self.places)))
        )
        if not self.places:  # pragma: no cover - the gazetteer above always adds some
            raise RuntimeError("The gazetteer is empty.")

    def _thesaurus(self) -> None:
        db = self.using
        if not Tag.objects.using(db).exists():
            for theme, (description, terms) in THESAURUS.items():
                parent = Tag.objects.using(db).create(
                    name=theme, slug=slugify(theme), description=description
                )
                Tag.objects.using(db).bulk_create(
                    Tag(
                        name=term,
                        slug=slugify(term),
                        description=f"{term}: a narrower term of {theme.lower()}.",
                        parent=parent,
                    )
                    for term in terms
                )
                self.counts.tags += 1 + len(terms)
        self.tags = list(Tag.objects.using(db).order_by("id").values_list("id", flat=True))

    # -- people --

    def _make_people(self, n: int) -> list[tuple]:
        """Person rows without their id: (name, role, slug, kind, protection, reason, variant)."""
        rng = self.rng
        people = []
        for index in range(n):
            given = rng.choice(FIRST_NAMES)
            name = given if rng.random() < 0.4 else f"{given} {rng.choice(SURNAMES)}"
            kind = self.pick_person_kind()
            protection = self.pick_protection()
            reason = "" if protection == ProtectionLevel.PUBLIC else rng.choice(PROTECTION_REASONS)
            variant = to_french(name) if " " in name and rng.random() < 0.1 else ""
            slug = f"{slugify(name)[:60]}-s{self.seed}-{index}"
            people.append((name, rng.choice(ROLES[kind]), slug, kind, protection, reason, variant))
        return people

    def _write_people(self, people: list[tuple]) -> None:
        self.people: list[tuple[int, str, str, str]] = []  # id, name, role, protection
        for first in range(0, len(people), self.batch_size):
            batch = people[first : first + self.batch_size]
            ids = self.writer.allocate_ids(Person, len(batch))
            rows, variants = [], []
            for pk, (name, role, slug, kind, protection, reason, variant) in zip(
                ids, batch, strict=True
            ):
                rows.append(
                    (pk, name, slug, role, kind, protection, reason, "", self.now, self.now)
                )
                if variant and variant != name:
                    variants.append((pk, variant, "French transliteration"))
                self.people.append((pk, name, role, protection))
            with transaction.atomic(using=self.using):
                self.writer.write(Person, PERSON_COLUMNS, rows)
                self.writer.write(PersonName, ("person_id", "name", "note"), variants)
        self.counts.people = len(people)

    # -- articles and what hangs off them --

    def _make_chunk(self, *, first_index: int, n: int) -> _Chunk:
        chunk = _Chunk()
        article_ids = self.writer.allocate_ids(Article, n)
        for offset, article_id in enumerate(article_ids):
            self._make_article(chunk, first_index + offset, article_id)
            self.progress(1)
        testimony_ids = self.writer.allocate_ids(Testimony, len(chunk.testimonies))
        # Testimonies were built before their ids were known: number them now, and their tags.
        chunk.testimonies = [
            (pk, *row) for pk, row in zip(testimony_ids, chunk.testimonies, strict=True)
        ]
        chunk.testimony_tags = [(testimony_ids[i], tag) for i, tag in chunk.testimony_tags]
        for row in chunk.testimonies:
            # The last value marks a public testimony of a published article: a candidate for
            # collections. It is not a column.
            if row[-1]:
                self.testimony_sample.add(row[0])
        chunk.testimonies = [row[:-1] for row in chunk.testimonies]
        return chunk

    def _make_article(self, chunk: _Chunk, index: int, article_id: int) -> None:
        rng = self.rng
        language = self.pick_language()
        sentences, quotes = self.pools[language]
        # Mostly an outlet writing in the article's language, sometimes any (translations).
        same_language = self.sources_by_language.get(language)
        pool = same_language if same_language and rng.random() < 0.8 else self.sources
        source_id, source_name, website, _language = rng.choice(pool)
        places = self._pick_places(rng.randint(1, 3))
        dateline = places[0]
        place_name = dateline[2] if language in ("uk", "ru") else dateline[1]
        headline = rng.choice(HEADLINES[language]).format(place=place_name)
        status = self.pick_status()
        published_on = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        precision = rng.choices(
            (DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR), (90, 7, 3)
        )[0]
        if precision == DatePrecision.MONTH:
            published_on = published_on.replace(day=1)
        elif precision == DatePrecision.YEAR:
            published_on = published_on.replace(month=1, day=1)
        captured_at = datetime.combine(published_on, time(rng.randrange(24)), UTC) + timedelta(
            days=rng.randint(0, 30)
        )
        published = status in (Status.PUBLISHED, Status.WITHDRAWN)
        published_at = captured_at + timedelta(hours=rng.randint(1, 72)) if published else None
        tags = rng.sample(self.tags, k=min(len(self.tags), rng.randint(2, 4)))

        # The body, written paragraph by paragraph with offsets tracked as it grows.
        target = rng.randint(*BODY_BYTES)
        if language in ("uk", "ru"):
            target //= 2  # Cyrillic takes two bytes a character in UTF-8.
        parts: list[str] = []
        pos = 0
        anchors: list[tuple[int, int]] = []
        testimonies: list[tuple] = []
        remaining = rng.randint(*TESTIMONIES_PER_ARTICLE)
        inhabitants = rng.randint(2, 90) * 100

        def add(text: str) -> int:
            nonlocal pos
            if parts:
                pos += 2  # the blank line between paragraphs
            start = pos
            parts.append(text)
            pos += len(text)
            return start

        while pos < target or remaining:
            # Past the target length, the testimonies still to place mostly follow each other.
            if pos < target or rng.random() < 0.3:
                chosen = [
                    s.format(place=place_name, n=inhabitants)
                    for s in rng.choices(sentences, k=rng.randint(2, 4))
                ]
                if language == "en":
                    chosen.insert(rng.randrange(len(chosen) + 1), self._sentence(place_name))
                start = add(" ".join(chosen))
                anchors.append((start, start + len(chosen[0])))
            if remaining and (pos >= target or rng.random() < 0.55):
                remaining -= 1
                testimonies.append(self._make_testimony(language, quotes, places, add))
        body = "\n\n".join(parts)

        slug = f"{slugify(headline)[:150].strip('-') or 'dispatch'}-s{self.seed}-{index}"
        head = rng.choice(BOILERPLATE_HEAD)
        raw_text = (
            f"{head}{headline}\n\n{source_name} · ref gen-{self.seed}-{index}\n\n{body}"
            f"{rng.choice(BOILERPLATE_TAIL)}"
        )
        digest = hashlib.sha256(raw_text.encode("utf-8")).hexdigest()
        standfirst = rng.choice(sentences).format(place=place_name, n=inhabitants)
        url = f"{website}/{published_on:%Y/%m}/{slug}"
        chunk.articles.append(
            (
                article_id, source_id, "", headline[:500], slug, standfirst, language,
                published_on, precision, rng.random() < 0.1, url, dateline[0],
                raw_text, digest, captured_at, body, status, published_at,
                captured_at, published_at or captured_at,
            )
        )  # fmt: skip
        chunk.article_places.extend((article_id, p[0]) for p in places)
        chunk.article_tags.extend((article_id, t) for t in tags)
        authors = rng.sample(JOURNALISTS, k=rng.randint(1, 2))
        chunk.credits.extend(
            (article_id, name, "author" if i == 0 else "photographer", i)
            for i, name in enumerate(authors)
        )
        is_public = status == Status.PUBLISHED
        for row, tag_count in testimonies:
            proposed = status == Status.DRAFT and rng.random() < 0.5
            t_status = TestimonyStatus.PROPOSED if proposed else TestimonyStatus.CONFIRMED
            decided = None if proposed else captured_at
            for tag in rng.sample(tags, k=min(tag_count, len(tags))):
                chunk.testimony_tags.append((len(chunk.testimonies), tag))
            chunk.testimonies.append(
                (
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    article_id,
                    *row,
                    decided,
                    t_status,
                    captured_at,
                    captured_at,
                    is_public and t_status == TestimonyStatus.CONFIRMED and row[10] == "public",
                )
            )
        for _ in range(self.pick_annotation_count()):
            start, end = rng.choice(anchors)
            motivation, note = rng.choice(ANNOTATION_NOTES)
            prefix, suffix = quote_context(body=body, start=start, end=end)
            chunk.annotations.append(
                (
                    uuid.UUID(int=rng.getrandbits(128), version=4), article_id, motivation,
                    note, body[start:end], prefix, suffix, start, end, None,
                    rng.choice(EDITORS), rng.random() < 0.6, captured_at, captured_at,
                )
            )  # fmt: skip
        if status == Status.PUBLISHED:
            self.article_sample.add(article_id)

    def _pick_places(self, k: int) -> list[tuple[int, str, str]]:
        """k distinct places, drawn along the long tail."""
        k = min(k, len(self.places))
        picked: dict[int, tuple[int, str, str]] = {}
        while len(picked) < k:
            place = self.rng.choices(self.places, cum_weights=self.place_weights)[0]
            picked.setdefault(place[0], place)
        return list(picked.values())

    def _sentence(self, place_name: str) -> str:
        """A sentence put together from parts, so the vocabulary is wide and words are spread
        over the archive as in real reporting, rather than a few sentences in every article."""
        rng = self.rng
        subject, verb, obj, when = (rng.choice(part) for part in SENTENCE_PARTS)
        where = rng.choice((f"in {place_name}", f"near {place_name}", "on the outskirts"))
        return f"{subject} {verb} {obj} {where} {when}."

    def _make_testimony(self, language, quotes, places, add) -> tuple[tuple, int]:
        """Write one quoted paragraph into the body; return the testimony row (sans ids)."""
        rng = self.rng
        open_mark, close_mark = QUOTE_MARKS[language]
        quote = rng.choice(quotes)
        if rng.random() < 0.3:
            quote = f"{quote}. {rng.choice(quotes)}"
        visibility = self.pick_visibility()
        speaker_id, description, age = None, "", None
        if rng.random() < 0.8:
            speaker_id, name, role, protection = rng.choice(self.people)
            withheld = visibility != Visibility.PUBLIC or protection != ProtectionLevel.PUBLIC
            who = WITHHELD[language] if withheld else f"{name}, {role}"
        else:
            description = rng.choice(UNNAMED_SPEAKERS)
            who = description if language == "en" else WITHHELD[language]
        if rng.random() < 0.4:
            age = rng.randint(18, 92)
        template = rng.choice(SAID[language])
        q = f"{open_mark}{quote}{close_mark}"
        text = template.format(q=q, who=who, Who=who[0].upper() + who[1:])
        paragraph_start = add(text)
        start = paragraph_start + text.index(q) + len(open_mark)
        end = start + len(quote)
        reason = "" if visibility == Visibility.PUBLIC else rng.choice(PROTECTION_REASONS)
        place_id = rng.choice(places)[0]
        row = (
            quote, start, end, speaker_id, description, age, place_id,
            rng.choice(TESTIMONY_CONTEXTS), language,
            "" if language == "en" else "Quoted in the original language.",
            visibility, reason,
        )  # fmt: skip
        return row, rng.choice((0, 1, 1, 2))

    def _write_chunk(self, chunk: _Chunk) -> None:
        w = self.writer
        self.counts.articles += w.write(Article, ARTICLE_COLUMNS, chunk.articles)
        self.counts.testimonies += w.write(Testimony, TESTIMONY_COLUMNS, chunk.testimonies)
        self.counts.annotations += w.write(Annotation, ANNOTATION_COLUMNS, chunk.annotations)
        self.counts.credits += w.write(Credit, CREDIT_COLUMNS, chunk.credits)
        w.write(Article.places.through, ("article_id", "place_id"), chunk.article_places)
        w.write(Article.tags.through, ("article_id", "tag_id"), chunk.article_tags)
        w.write(Testimony.tags.through, ("testimony_id", "tag_id"), chunk.testimony_tags)

    # -- collections --

    def _collections(self, n: int) -> None:
        rng = self.rng
        articles, testimonies = self.article_sample.values, self.testimony_sample.values
        if not articles and not testimonies:
            return
        ids = self.writer.allocate_ids(Collection, n)
        rows, items = [], []
        for index, pk in enumerate(ids):
            _id, place_name, _uk = rng.choice(self.places)
            title = rng.choice(COLLECTION_TITLES).format(place=place_name)
            published = rng.random() < 0.8
            published_at = self.now - timedelta(days=rng.randint(0, 900)) if published else None
            rows.append(
                (
                    pk, title, f"{slugify(title)[:70]}-s{self.seed}-{index}",
                    f"A selection of dispatches and testimonies about {place_name}.",
                    rng.choice(EDITORS), Status.PUBLISHED if published else Status.DRAFT,
                    published_at, self.now, self.now,
                )
            )  # fmt: skip
            for position in range(1, rng.randint(*COLLECTION_ITEMS) + 1):
                use_article = not testimonies or (articles and rng.random() < 0.4)
                target = rng.choice(articles if use_article else testimonies)
                items.append(
                    (
                        pk, position, target if use_article else None,
                        None if use_article else target, "",
                    )
                )  # fmt: skip
        self.writer.write(
            Collection,
            (
                "id", "title", "slug", "introduction", "curator", "status", "published_at",
                "created_at", "updated_at",
            ),
            rows,
        )  # fmt: skip
        self.writer.write(
            CollectionItem,
            ("collection_id", "position", "article_id", "testimony_id", "caption"),
            items,
        )
        self.counts.collections = len(rows)
        self.counts.collection_items = len(items)


def generate_archive(
    *,
    articles: int,
    seed: int = 0,
    batch_size: int = 2000,
    using: str = "default",
    progress: Callable[[int], None] | None = None,
) -> Counts:
    """Generate a synthetic archive of `articles` articles; see the module docstring."""
    generator = ArchiveGenerator(seed=seed, batch_size=batch_size, using=using, progress=progress)
    return generator.run(articles=articles)


__all__ = ["AlreadyGenerated", "ArchiveGenerator", "Counts", "generate_archive"]
