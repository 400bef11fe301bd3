"""Every fixed sentence of a dossier, in French (first) and English, and how dates are written.

Dossiers are annexed to French medical certificates and to briefs, so French comes first and is the
default; the English text says the same thing, never more. Keeping all wording here lets a reviewer read
(and a test check) both languages side by side.
"""

from __future__ import annotations

from cobase.present import check_lang, format_day, format_moment, format_period, pick

__all__ = ["LANGS", "TEXTS", "check_lang", "format_day", "format_moment", "format_period", "pick", "text"]

LANGS: tuple[str, ...] = ("fr", "en")
"""Languages a dossier can be written in, default first (dates and numbers: :mod:`cobase.present`)."""

TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "fr": "Accès effectif aux soins dans le pays d'origine : dossier documentaire",
        "en": "Effective access to care in the country of origin: evidence dossier",
    },
    "title_contest": {
        "fr": (
            "Accès effectif aux soins dans le pays d'origine : dossier documentaire (contestation d'un avis)"
        ),
        "en": (
            "Effective access to care in the country of origin: evidence dossier (challenging an opinion)"
        ),
    },
    "country": {"fr": "Pays", "en": "Country"},
    "pathology": {"fr": "Pathologie", "en": "Condition"},
    "treatments": {"fr": "Traitements, examens et spécialistes", "en": "Treatments, tests and specialists"},
    "as_of": {"fr": "Date de référence (as-of)", "en": "Reference date (as-of)"},
    "as_of_contest": {"fr": "Date de l'avis (as-of)", "en": "Opinion date (as-of)"},
    "window": {"fr": "Période observée", "en": "Period observed"},
    "window_value": {
        "fr": "{years} ans, du {start} au {end}",
        "en": "{years} years, from {start} to {end}",
    },
    "stale_rule": {"fr": "Donnée ancienne si antérieure au", "en": "Data is old if it ends before"},
    "generated_at": {"fr": "Généré le", "en": "Generated on"},
    "generated_by": {"fr": "Produit par", "en": "Produced by"},
    "no_patient_data": {
        "fr": "Ce dossier ne contient aucune donnée de patient.",
        "en": "This dossier contains no patient data.",
    },
    "not_a_verdict": {
        "fr": (
            "Ce dossier rassemble ce que des sources publiques publiaient à la date de référence. "
            "Il ne se prononce pas sur la situation d'un patient, ne rend aucun verdict et ne calcule "
            "aucun score."
        ),
        "en": (
            "This dossier gathers what public sources had published by the reference date. It says "
            "nothing about any individual patient, gives no verdict and computes no score."
        ),
    },
    "footer": {
        "fr": "{country} · {pathology} · date de référence {as_of} · généré le {generated}",
        "en": "{country} · {pathology} · reference date {as_of} · generated on {generated}",
    },
    # Synthesis (first page)
    "h_synthesis": {"fr": "Synthèse", "en": "Summary"},
    "synthesis_intro": {
        "fr": (
            "Par dimension de l'accès, les faits datés les plus probants (au plus trois), avec leur numéro "
            "de référence ; le détail, les contradictions, la méthode et les références suivent."
        ),
        "en": (
            "Per access dimension, the strongest dated facts (three at most), with their reference numbers; "
            "details, contradictions, method and references follow."
        ),
    },
    "synthesis_gap": {
        "fr": "aucune source : lacune, pas une preuve de disponibilité",
        "en": "no source: a gap, not evidence of availability",
    },
    "synthesis_gaps": {"fr": "Lacunes", "en": "Gaps"},
    "synthesis_more_gaps": {
        "fr": "… et {count} autre(s) lacune(s), listées plus loin.",
        "en": "… and {count} more gap(s), listed below.",
    },
    # Contest body, by as-of status
    "status_intro_published_by": {
        "fr": "Valeurs dont la publication au plus tard le {date} (date de l'avis) est établie.",
        "en": "Values shown to have been published by {date} (the opinion date).",
    },
    "status_intro_unknown": {
        "fr": (
            "Valeurs dont la date de première publication n'est pas établie : elles ont pu être publiques "
            "avant l'avis comme après ; la date connue et sa nature sont indiquées pour chacune."
        ),
        "en": (
            "Values whose first publication date is not established: they may have been public before the "
            "opinion or after it; the known date and what it is are given for each."
        ),
    },
    "status_intro_published_after": {
        "fr": (
            "Valeurs que leur producteur a publiées après le {date} (date de publication ou date du "
            "document) : le collège de médecins ne pouvait pas les connaître à la date de l'avis."
        ),
        "en": (
            "Values their producer published after {date} (release or document date): the college of "
            "physicians could not know them at the opinion date."
        ),
    },
    "status_none": {"fr": "Aucune.", "en": "None."},
    # Annex
    "h_annex": {"fr": "Annexe : documents cités", "en": "Annex: documents cited"},
    "annex_intro": {
        "fr": (
            "Pour chaque document cité conservé par cobase : les pages citées (PDF) ou un extrait, avec "
            "l'empreinte SHA-256 du fichier conservé, pour que l'annexe tienne même si la source disparaît."
        ),
        "en": (
            "For each cited document kept by cobase: the cited pages (PDF) or an extract, with the SHA-256 "
            "of the kept file, so the annex stands even if the source disappears."
        ),
    },
    "annex_entry": {
        "fr": "Document [{ref}] — empreinte SHA-256 {sha}",
        "en": "Document [{ref}] — SHA-256 {sha}",
    },
    "annex_pages": {"fr": "Pages citées : {pages}", "en": "Pages cited: {pages}"},
    "annex_full_texts": {"fr": "Textes intégraux", "en": "Full texts"},
    # Section headings
    "h_summary": {"fr": "Synthèse par dimension de l'accès", "en": "Summary by access dimension"},
    "h_side_by_side": {
        "fr": "Dernières valeurs : à la date de l'avis / aujourd'hui",
        "en": "Latest values: at the opinion date / today",
    },
    "h_gaps": {"fr": "Lacunes", "en": "Gaps"},
    "h_contradictions": {"fr": "Contradictions entre sources", "en": "Contradictions between sources"},
    "h_details": {"fr": "Détail par dimension", "en": "Details by dimension"},
    "h_latest": {"fr": "Dernières valeurs", "en": "Latest values"},
    "h_trends": {"fr": "Évolution", "en": "Trend"},
    "h_evidence": {"fr": "Données", "en": "Evidence"},
    "h_stale": {"fr": "Données anciennes", "en": "Old data"},
    "h_methods": {
        "fr": "Méthode : ce que cobase affirme et n'affirme pas",
        "en": "Method: what cobase does and does not assert",
    },
    "h_citations": {"fr": "Sources citées", "en": "Sources cited"},
    # Table headers
    "col_dimension": {"fr": "Dimension", "en": "Dimension"},
    "col_observations": {"fr": "Observations", "en": "Observations"},
    "col_sources": {"fr": "Sources (dont indépendantes)", "en": "Sources (of which independent)"},
    "col_last_period": {"fr": "Période la plus récente", "en": "Most recent period"},
    "col_trends": {"fr": "Évolution", "en": "Trend"},
    "col_indicator": {"fr": "Indicateur", "en": "Indicator"},
    "col_item": {"fr": "Élément", "en": "Item"},
    "col_breakdown": {"fr": "Ventilation", "en": "Breakdown"},
    "col_period": {"fr": "Période", "en": "Period"},
    "col_value": {"fr": "Valeur publiée", "en": "Published value"},
    "col_published": {"fr": "Publié le", "en": "Published"},
    "col_retrieved": {"fr": "Collecté le", "en": "Retrieved"},
    "col_notes": {"fr": "Remarques", "en": "Notes"},
    "col_ref": {"fr": "Réf.", "en": "Ref."},
    "col_at_opinion": {"fr": "À la date de l'avis", "en": "At the opinion date"},
    "col_today": {"fr": "Aujourd'hui", "en": "Today"},
    # Sentences
    "none": {"fr": "aucune", "en": "none"},
    "no_data_cell": {"fr": "aucune donnée", "en": "no data"},
    "dimension_no_evidence": {
        "fr": (
            "Aucune source ne documente cette dimension à la date de référence : c'est une lacune, "
            "pas une preuve de disponibilité."
        ),
        "en": (
            "No source documents this dimension by the reference date: this is a gap, "
            "not evidence of availability."
        ),
    },
    "dimension_sources": {
        "fr": "{count} observation(s) provenant de : {sources}.",
        "en": "{count} observation(s) from: {sources}.",
    },
    "republishes_note": {
        "fr": "{source} republie les données de {original} : ce n'est pas une confirmation indépendante.",
        "en": "{source} republishes data from {original}: this is not independent confirmation.",
    },
    "no_gaps": {
        "fr": "Aucune lacune relevée pour les éléments et dimensions demandés.",
        "en": "No gap found for the items and dimensions requested.",
    },
    "no_contradictions": {
        "fr": "Aucune contradiction relevée entre les sources ou entre versions d'une même source.",
        "en": "No contradiction found between sources or between versions of one source.",
    },
    "no_stale": {
        "fr": "Aucune donnée ancienne parmi les données présentées.",
        "en": "No old data among the evidence shown.",
    },
    "stale_intro": {
        "fr": (
            "Ces données décrivent une période terminée avant le {date} ; la situation a pu changer depuis."
        ),
        "en": (
            "This evidence describes a period that ended before {date}; the situation may have changed since."
        ),
    },
    "stale_series": {
        "fr": "{label} : {count} valeur(s) ancienne(s), période la plus récente {period} {ref}",
        "en": "{label}: {count} old value(s), most recent period {period} {ref}",
    },
    "side_by_side_intro": {
        "fr": (
            "Valeur la plus récente de chaque série, à la date de l'avis ({as_of}) et aujourd'hui ({today})."
        ),
        "en": "Most recent value of each series, at the opinion date ({as_of}) and today ({today}).",
    },
    "contradiction_sides": {"fr": "Sources en désaccord :", "en": "Sources that disagree:"},
    "chart_caption": {
        "fr": "Évolution des valeurs numériques publiées, par série (source entre parenthèses).",
        "en": "Published numeric values over time, per series (source in brackets).",
    },
    "chart_missing": {
        "fr": "Le graphique n'a pas pu être produit ; les valeurs figurent dans le tableau ci-dessous.",
        "en": "The chart could not be drawn; the values are in the table below.",
    },
    "charts_elsewhere": {
        "fr": "Les graphiques d'évolution figurent dans les versions PDF et DOCX de ce dossier.",
        "en": "The trend charts are in the PDF and DOCX versions of this dossier.",
    },
    "cite_period": {"fr": "période", "en": "period"},
    "cite_published": {"fr": "publié le", "en": "published"},
    "cite_retrieved": {"fr": "collecté le", "en": "retrieved"},
    "cite_unknown_date": {
        "fr": "date non indiquée par le producteur",
        "en": "date not given by the producer",
    },
    "cite_republishes": {
        "fr": "republie les données de {source} (pas une confirmation indépendante)",
        "en": "republishes data from {source} (not independent confirmation)",
    },
    "methods": {
        "fr": (
            "cobase collecte des sources publiques (par exemple l'OMS ou la Banque mondiale ; les "
            "producteurs cités sont listés en fin de dossier) et conserve chaque réponse telle que reçue, "
            "sous forme d'instantané daté et identifié par son empreinte sha256 : chaque valeur citée peut "
            "être vérifiée sur cet instantané.\n"
            "Les valeurs sont présentées telles que publiées par leurs producteurs, dans la version qu'ils "
            "avaient publiée à la date de référence ; une donnée publiée ou révisée plus tard est signalée "
            "comme telle.\n"
            "Chaque date dit ce qu'elle est : « publié le » (publication par le producteur), « mis à jour "
            "le » (dernière modification indiquée par le producteur, qui ne prouve rien d'une publication "
            "antérieure), « document daté du », « relevé le » (première collecte par cobase). « Publié au "
            "plus tard le » n'est écrit que lorsque la publication à cette date est établie, « publié après "
            "le » que lorsque la date de publication ou du document est postérieure ; sinon la date de "
            "première publication est dite non établie.\n"
            "Une évolution indique le nombre de valeurs sur lesquelles elle repose et, lorsque l'indicateur "
            "le permet, si elle est favorable ou défavorable à l'accès (moins de ruptures de stock est "
            "favorable ; une part plus élevée de paiements directs est défavorable).\n"
            "cobase n'affirme rien sur la situation d'un patient : ce dossier n'est ni un verdict ni un "
            "score, et ne dit pas si un traitement approprié est effectivement accessible à une personne.\n"
            "L'absence de données est présentée comme une lacune, jamais comme une preuve de disponibilité.\n"
            "Une source qui republie les données d'une autre (par exemple la Banque mondiale republiant des "
            "données de l'OMS) n'en est pas une confirmation indépendante.\n"
            "Une contradiction signale des sources, ou des versions d'une même source, qui divergent sur "
            "des périodes qui se recoupent ; les deux versions sont citées, sans arbitrage.\n"
            "Une donnée est dite ancienne lorsque la période qu'elle décrit s'est terminée plus de {stale} "
            "ans avant la date de référence."
        ),
        "en": (
            "cobase collects public sources (for example WHO or the World Bank; the producers cited are "
            "listed at the end of the dossier) and keeps each response as received, as a dated snapshot "
            "identified by its sha256 hash: every value cited can be checked against that snapshot.\n"
            "Values are shown as published by their producers, in the version they had published by the "
            "reference date; evidence published or revised later is marked as such.\n"
            "Each date says what it is: “published on” (the producer's release), “updated on” (the "
            "producer's last-modified date, which proves nothing about earlier publication), “document "
            "dated”, “first seen on” (cobase's first retrieval). “Published by” is written only when "
            "publication by that date is established, “published after” only when the release or document "
            "date is later; otherwise the first publication date is said to be not established.\n"
            "A trend gives the number of values it rests on and, where the indicator allows, whether it "
            "is better or worse for access (fewer stock-outs is better; a higher out-of-pocket share is "
            "worse).\n"
            "cobase asserts nothing about any individual patient: this dossier is neither a verdict nor a "
            "score, and does not say whether appropriate treatment is effectively accessible to a person.\n"
            "Absence of evidence is shown as a gap, never as evidence of availability.\n"
            "A source that republishes another's data (for example the World Bank republishing WHO data) is "
            "not independent confirmation of it.\n"
            "A contradiction flags sources, or versions of one source, that disagree over overlapping "
            "periods; both sides are cited, without arbitration.\n"
            "Evidence is called old when the period it describes ended more than {stale} years before the "
            "reference date."
        ),
    },
}


def text(key: str, lang: str, **values: object) -> str:
    """The fixed text ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    template = TEXTS[key][check_lang(lang)]
    return template.format(**values) if values else template
