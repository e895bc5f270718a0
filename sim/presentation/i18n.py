"""THE translation table of clause-sim: every planner-facing text in French and English.

Sections group the texts of one output (``cli``, ``summary``, ``report``, ``figures``,
``xlsx``, ``sizing_figure``, ``sweep_figure``, ``bottleneck`` and ``diagnosis`` for the
bottleneck diagnosis, ``web`` for the page of ``clause-sim serve``); :data:`PARAMETERS` labels
every scenario key.
Metric labels live with the metric list (:data:`sim.results.METRICS`, ``label_fr``/``label_en``)
and are read through :func:`metric_label`. The language of a run is ``--lang``, by default
``$CLAUSE_SIM_LANG``, else French.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..fmt import THIN_SPACE

LANGS = ("fr", "en")
ENV = "CLAUSE_SIM_LANG"


def default_lang() -> str:
    """``$CLAUSE_SIM_LANG`` when it is ``fr`` or ``en``, else ``fr``."""
    value = os.environ.get(ENV, "").strip().lower()[:2]
    return value if value in LANGS else "fr"


def norm(lang: str | None) -> str:
    """``en`` or ``fr`` (anything else reads as French)."""
    return "en" if lang == "en" else "fr"


def section(name: str) -> Mapping[str, Mapping[str, Any]]:
    """One section of the table: language -> key -> text."""
    return TEXT[name]


def tr(sec: str, key: str, lang: str | None) -> Any:
    """The text of ``key`` in section ``sec`` for ``lang``."""
    return TEXT[sec][norm(lang)][key]


def metric_label(metric: str, lang: str | None) -> str:
    """A metric's label (from :data:`sim.results.METRICS`)."""
    from ..results import METRICS

    m = METRICS[metric]
    return m.label_en if norm(lang) == "en" else m.label_fr


_REPORT: Mapping[str, Mapping[str, Any]] = {
    "fr": {
        "title": "Simulation de clause d'insertion",
        "generated": "Simulation du {date} avec clause-sim {v} : graine {seed}, {n}",
        "file": "Fichier du scénario",
        "toc": "Sommaire",
        "key": "Chiffres clés",
        "figures": "Graphiques",
        "years": "Par année",
        "cohorts": "Cohortes (par année d'entrée en accompagnement)",
        "exits": "Sorties par situation et par public (total de la simulation)",
        "all": "Tous les indicateurs",
        "params": "Paramètres du scénario",
        "assumptions": "Hypothèses et sources",
        "method": "Méthode et reproduction",
        "clause_hours": "Heures d'insertion de la clause (calcul déterministe)",
        "clause_detail": "{fte} ETP (base {base} h), soit {fpy} ETP/an sur {years} ans",
        "hours_realised": "Heures réalisées",
        "fte_realised": "ETP réalisés",
        "per_year": "soit {v} ETP/an sur {years} ans",
        "lapsed": "Part des heures perdues",
        "lapsed_detail": "{h} h non réalisées",
        "positive": "Sorties positives",
        "positive_detail": "dont BRSA {rsa}, moins de 26 ans {u26}",
        "wait": "Attente moyenne avant prise en charge",
        "wait_detail": "avant mission : {w} j",
        "util": "Occupation des facilitateurs",
        "binding": "Contrainte limitante",
        "binding_none": "aucune nette",
        "run_out_mark": "fin des travaux",
        "publics_title": "Par public (total de la simulation ; une personne compte dans "
        "chacun de ses publics)",
        "binding_detail": "{share} des heures perdues ; {lever} : +{gain} h réalisées",
        "no_facilitator": "sans facilitateur",
        "util_detail": "postes SIAE : {s} ; ressource la plus chargée : {r}",
        "people": "Personnes orientées",
        "people_detail": "{i} entrées en accompagnement, {g} abandons",
        "ci": "IC 95 %",
        "interval_note": "Les intervalles (IC 95 %) sont ceux de la moyenne sur les réplications "
        "(loi de Student) ; p5–p95 donne la dispersion d'une réplication à "
        "l'autre. Dans les graphiques par année, la bande est le 5e–95e centile des "
        "réplications (ce qu'une année peut être ; avec des paramètres incertains, la bande de "
        "prédiction) et les traits fins l'IC 95 % de la moyenne.",
        "metric": "Indicateur",
        "unit": "Unité",
        "mean": "Moyenne",
        "p": "p5 – p95",
        "year": "Année",
        "param": "Paramètre",
        "value": "Valeur",
        "origin": "Origine",
        "note": "Source ou commentaire",
        "origin_file": "fichier",
        "origin_set": "--set",
        "origin_default": "défaut",
        "assumption": "hypothèse",
        "no_notes": "Le fichier du scénario ne porte pas de commentaires de sources.",
        "file_head": "En-tête du fichier",
        "entry_year": "Année d'entrée",
        "cohort_people": "Personnes",
        "cohort_hours": "Heures travaillées (h)",
        "cohort_hpp": "Heures par personne (h)",
        "cohort_pos": "Part de sorties positives",
        "public": {
            "rsa": "BRSA",
            "under_26": "Moins de 26 ans",
            "ase": "Jeunes ASE",
            "other": "Autres",
            "total": "Total",
        },
        "outcome": {
            "durable": "Emploi durable",
            "transition": "Emploi de transition",
            "training": "Formation qualifiante",
            "other": "Autre sortie",
            "no_mission": "Sans mission",
            "dropped_out": "Abandon",
        },
        "units": {
            "h": "h",
            "FTE": "ETP",
            "people": "personnes",
            "days": "jours",
            "share": "%",
            "contracts": "contrats",
            "h/person": "h/personne",
        },
        "method_text": "Chaque réplication est une simulation à événements discrets de l'année "
        "{y0} à {y1} (horizon de la clause puis {ro} an(s) pour finir les "
        "travaux) ; la réplication i utilise la graine dérivée (graine, i), de "
        "sorte que les résultats sont identiques quel que soit le nombre de "
        "processus. Pour refaire ce calcul :",
        "files_text": "Le dossier de résultats contient aussi summary.json, yearly.csv, "
        "replications.csv, monthly.csv, waits.csv, scenario.toml et les figures en "
        "PNG et SVG.",
        "clause_row": "Heures de la clause (h)",
        "figure_alt": "Figure",
        "cmp_title": "Comparaison de scénarios",
        "cmp_generated": "Comparaison du {date} avec clause-sim {v} : même graine {seed} "
        "(nombres aléatoires communs), {n} par scénario",
        "cmp_scenarios": "Scénarios comparés",
        "cmp_table": "Résultats côte à côte",
        "cmp_diff": "{b} − {a}",
        "cmp_note": "Différences appariées réplication par réplication (même graine, mêmes "
        "indices de réplication) : moyenne de la différence et son intervalle de "
        "confiance à 95 % (loi de Student). Un intervalle qui ne contient pas 0 "
        "indique une différence nette (en gras).",
        "cmp_params": "Paramètres qui diffèrent du premier scénario",
        "cmp_no_diff": "aucun",
        "label": "Repère",
        "name": "Nom",
        "source_file": "Fichier",
    },
    "en": {
        "title": "Insertion clause simulation",
        "generated": "Simulated on {date} with clause-sim {v}: seed {seed}, {n}",
        "file": "Scenario file",
        "toc": "Contents",
        "key": "Key figures",
        "figures": "Figures",
        "years": "Per year",
        "cohorts": "Cohorts (by year of intake)",
        "exits": "Exits by outcome and public (whole simulation)",
        "all": "All indicators",
        "params": "Scenario parameters",
        "assumptions": "Assumptions and sources",
        "method": "Method and reproduction",
        "clause_hours": "Clause insertion hours (deterministic figure)",
        "clause_detail": "{fte} FTE ({base} h base), i.e. {fpy} FTE a year over {years} years",
        "hours_realised": "Hours realised",
        "fte_realised": "FTE realised",
        "per_year": "i.e. {v} FTE a year over {years} years",
        "lapsed": "Share of hours lapsed",
        "lapsed_detail": "{h} h not realised",
        "positive": "Positive exits",
        "positive_detail": "of which RSA {rsa}, under 26 {u26}",
        "wait": "Mean wait for intake",
        "wait_detail": "for a mission: {w} d",
        "util": "Facilitator caseload utilisation",
        "binding": "Binding constraint",
        "binding_none": "none clearly",
        "run_out_mark": "works finishing",
        "publics_title": "By public (whole simulation; a person counts in each of their publics)",
        "binding_detail": "{share} of hours lapsed; {lever}: +{gain} h realised",
        "no_facilitator": "no facilitator",
        "util_detail": "SIAE posts: {s}; busiest resource: {r}",
        "people": "People referred",
        "people_detail": "{i} intakes, {g} gave up",
        "ci": "95% CI",
        "interval_note": "Intervals (95% CI) are those of the mean over replications (Student's "
        "t); p5–p95 shows the spread from one replication to another. In the yearly figures, "
        "the band is the 5th–95th percentile of replications (what a year could be; with "
        "uncertain parameters, the prediction band) and the thin lines the 95% CI of the mean.",
        "metric": "Indicator",
        "unit": "Unit",
        "mean": "Mean",
        "p": "p5 – p95",
        "year": "Year",
        "param": "Parameter",
        "value": "Value",
        "origin": "Origin",
        "note": "Source or comment",
        "origin_file": "file",
        "origin_set": "--set",
        "origin_default": "default",
        "assumption": "assumption",
        "no_notes": "The scenario file carries no source comments.",
        "file_head": "File header",
        "entry_year": "Intake year",
        "cohort_people": "People",
        "cohort_hours": "Hours worked (h)",
        "cohort_hpp": "Hours per person (h)",
        "cohort_pos": "Share of positive exits",
        "public": {
            "rsa": "RSA",
            "under_26": "Under 26",
            "ase": "Child welfare (ASE)",
            "other": "Others",
            "total": "Total",
        },
        "outcome": {
            "durable": "Durable employment",
            "transition": "Transition employment",
            "training": "Qualifying training",
            "other": "Other exit",
            "no_mission": "No mission",
            "dropped_out": "Dropped out",
        },
        "units": {
            "h": "h",
            "FTE": "FTE",
            "people": "people",
            "days": "days",
            "share": "%",
            "contracts": "contracts",
        },
        "method_text": "Each replication is a discrete-event simulation from {y0} to {y1} (the "
        "clause's horizon then {ro} year(s) for the works to finish); replication "
        "i uses the seed derived from (seed, i), so results are identical "
        "whatever the number of processes. To redo this computation:",
        "files_text": "The results folder also holds summary.json, yearly.csv, replications.csv, "
        "monthly.csv, waits.csv, scenario.toml and the figures as PNG and SVG.",
        "clause_row": "Clause hours (h)",
        "figure_alt": "Figure",
        "cmp_title": "Scenario comparison",
        "cmp_generated": "Compared on {date} with clause-sim {v}: same seed {seed} (common "
        "random numbers), {n} per scenario",
        "cmp_scenarios": "Scenarios compared",
        "cmp_table": "Results side by side",
        "cmp_diff": "{b} − {a}",
        "cmp_note": "Differences paired replication by replication (same seed, same replication "
        "indices): mean difference and its 95% confidence interval (Student's t). An "
        "interval that excludes 0 indicates a clear difference (in bold).",
        "cmp_params": "Parameters that differ from the first scenario",
        "cmp_no_diff": "none",
        "label": "Label",
        "name": "Name",
        "source_file": "File",
    },
}

_FIGURES: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "year": "Année",
        "hours_title": "Heures d'insertion par année : offertes, réalisées et perdues",
        "hours_y": "Heures d'insertion (h)",
        "clause_hours": "Heures de la clause (calcul déterministe)",
        "fte_title": "ETP réalisés par année, face à la clause",
        "fte_y": "ETP (base {base} h)",
        "clause_fte": "Clause : {v} ETP/an (calcul déterministe)",
        "clause_fte_var": "Clause : ETP par année (calcul déterministe)",
        "people_title": "Personnes par année : orientations, entrées, accompagnées, sorties",
        "people_y": "Personnes",
        "pos_title": "Sorties positives par année, par public",
        "pos_all": "Toutes",
        "pos_rsa": "BRSA",
        "pos_u26": "Moins de 26 ans",
        "util_title": "Occupation des facilitateurs et des postes SIAE (moyenne mensuelle)",
        "util_y": "Occupation (%)",
        "waits_title": "Distribution des attentes (parts, toutes réplications réunies)",
        "waits_x": "Attente (jours)",
        "waits_y": "Part des attentes (%)",
        "wait_intake": "Avant prise en charge",
        "wait_placement": "Avant mission (prêt à l'emploi)",
        "wait_stats": "{n} attentes par réplication (moyenne), attente moyenne {mean} j (tirets), "
        "90e centile {p90} j",
        "no_waits": "aucune attente enregistrée",
        "last_bin": "dernière classe : {low} j et plus",
        "band": "bandes : 5e–95e centile ; traits fins, barres : IC 95 % de la moyenne",
        "band_p": "Bande de prédiction à 90 % : 5e–95e centile des réplications (une année "
        "possible)",
        "band_ci": "Traits fins : IC 95 % de la moyenne",
        "run_out": "Années d'épuisement (après le programme)",
        "util_types_title": "Occupation par type de ressource (moyenne mensuelle, sans moyenne "
        "entre types)",
        "lapsed_title": "Heures perdues par cause et par année (moyenne par réplication)",
        "lapsed_y": "Heures perdues (h)",
        "cause": "Cause",
        "no_facilitator": "sans facilitateur",
        "no_post": "aucun poste",
        "pdf_hours_title": "Heures réalisées par année, face à la clause",
        "util_fac": "Portefeuille des facilitateurs",
        "source": "Source : clause-sim {v}, scénario « {name} », graine {seed}, {n} ; {band}.",
        "source_cmp": "Source : clause-sim {v}, {k} scénarios, même graine {seed} (nombres "
        "aléatoires communs), {n} chacun ; {band}.",
        "cmp_title": "{what} par année : comparaison des scénarios",
    },
    "en": {
        "year": "Year",
        "hours_title": "Insertion hours per year: offered, realised and lapsed",
        "hours_y": "Insertion hours (h)",
        "clause_hours": "Clause hours (deterministic figure)",
        "fte_title": "FTE realised per year, against the clause",
        "fte_y": "FTE ({base} h base)",
        "clause_fte": "Clause: {v} FTE a year (deterministic figure)",
        "clause_fte_var": "Clause: FTE per year (deterministic figure)",
        "people_title": "People per year: referrals, intakes, accompanied, exits",
        "people_y": "People",
        "pos_title": "Positive exits per year, by public",
        "pos_all": "All",
        "pos_rsa": "RSA",
        "pos_u26": "Under 26",
        "util_title": "Facilitator and SIAE post utilisation (monthly mean)",
        "util_y": "Utilisation (%)",
        "waits_title": "Distribution of waits (shares, all replications pooled)",
        "waits_x": "Wait (days)",
        "waits_y": "Share of waits (%)",
        "wait_intake": "For intake",
        "wait_placement": "For a mission (job-ready)",
        "wait_stats": "{n} waits per replication (mean), mean wait {mean} d (dashed), "
        "90th percentile {p90} d",
        "no_waits": "no wait recorded",
        "last_bin": "last bin: {low} d and more",
        "band": "bands: 5th–95th percentile; thin lines, bars: 95% CI of the mean",
        "band_p": "90% prediction band: 5th–95th percentile of replications (a possible year)",
        "band_ci": "Thin lines: 95% CI of the mean",
        "run_out": "Run-out years (after the programme)",
        "util_types_title": "Utilisation by resource type (monthly mean, never averaged across "
        "types)",
        "lapsed_title": "Hours lapsed by cause and year (mean per replication)",
        "lapsed_y": "Hours lapsed (h)",
        "cause": "Cause",
        "no_facilitator": "no facilitator",
        "no_post": "no post",
        "pdf_hours_title": "Hours realised per year, against the clause",
        "util_fac": "Facilitators' caseload",
        "source": "Source: clause-sim {v}, scenario \u201c{name}\u201d, seed {seed}, {n}; {band}.",
        "source_cmp": "Source: clause-sim {v}, {k} scenarios, same seed {seed} (common random "
        "numbers), {n} each; {band}.",
        "cmp_title": "{what} per year: scenarios compared",
    },
}

_SIZING_FIGURE: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "xlsx_share_met": "Part des réplications où la cible est atteinte",
        "xlsx_holds": "Cible tenue",
        "title": "{metric} selon le niveau : {resource}",
        "band": "5e – 95e centile des réplications",
        "mean": "Moyenne (IC 95 %)",
        "target": "Cible : {metric} {op} {value}",
        "answer": "Réponse : {level}",
        "holds": "cible atteinte dans ≥ {conf} des réplications",
        "fails": "cible manquée",
        "source": "Source : clause-sim {v}, scénario « {name} », graine {seed}, {n} "
        "réplications par niveau (nombres aléatoires communs).",
    },
    "en": {
        "xlsx_share_met": "Share of replications meeting the target",
        "xlsx_holds": "Target holds",
        "title": "{metric} by level: {resource}",
        "band": "5th - 95th percentile of replications",
        "mean": "Mean (95% CI)",
        "target": "Target: {metric} {op} {value}",
        "answer": "Answer: {level}",
        "holds": "target met in >= {conf} of replications",
        "fails": "target missed",
        "source": "Source: clause-sim {v}, scenario \u201c{name}\u201d, seed {seed}, {n} "
        "replications per level (common random numbers).",
    },
}

_SWEEP_FIGURE: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "report_title": "Balayage : {name}",
        "report_meta": "Plan {design}, {points} points, {n} réplications par point, graine {seed}",
        "report_params": "Paramètres variés",
        "report_key": "Clé du scénario",
        "report_sens": "Sensibilité",
        "report_sens_head": "Sortie|Paramètre|Indice|Valeur|IC 95 %",
        "sens_title": "Sensibilité : {output}",
        "spearman": "Corrélation de rang de Spearman (IC 95 % bootstrap)",
        "sobol": "Indices de Sobol : S1 premier ordre, ST total (IC 95 %)",
        "morris": "Morris : mu* (IC 95 %) et sigma",
        "index_x": "Indice de sensibilité",
        "scatter_title": "{output} selon chaque paramètre (moyenne par point, IC 95 %)",
        "source": "Source : clause-sim {v}, balayage « {name} », plan {design}, {n} points × {r} "
        "réplications, graine {seed} (nombres aléatoires communs).",
    },
    "en": {
        "report_title": "Sweep: {name}",
        "report_meta": "{design} design, {points} points, {n} replications per point, seed {seed}",
        "report_params": "Parameters varied",
        "report_key": "Scenario key",
        "report_sens": "Sensitivity",
        "report_sens_head": "Output|Parameter|Index|Value|95% CI",
        "sens_title": "Sensitivity: {output}",
        "spearman": "Spearman rank correlation (95% bootstrap CI)",
        "sobol": "Sobol indices: S1 first order, ST total (95% CI)",
        "morris": "Morris: mu* (95% CI) and sigma",
        "index_x": "Sensitivity index",
        "scatter_title": "{output} against each parameter (mean per point, 95% CI)",
        "source": "Source: clause-sim {v}, sweep \u201c{name}\u201d, {design} design, {n} points "
        "x {r} replications, seed {seed} (common random numbers).",
    },
}

_CLI: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "scenario_read": "Scénario lu :",
        "init_done": "Scénario écrit dans {path} : modifiez-le, puis lancez "
        "« clause-sim run {path} ».",
        "h_year": "Année",
        "h_dwellings": "Logements",
        "h_amount": "Montant EUR HT",
        "h_hours": "Heures d'insertion",
        "h_fte": "ETP",
        "h_total": "Total",
        "h_sentence": "{h} heures d'insertion, soit {fte} ETP (base ETP à {base} h), sur {years} "
        "ans : {fpy} ETP/an ({fpy1}).",
        "h_by_line": "Par ligne de travaux :",
        "xlsx_written": "Classeur : {path}",
        "xlsx_skipped": "results.xlsx non écrit : installez clause-sim[xlsx] (openpyxl)",
        "pdf_written": "Synthèse imprimable : {path}",
        "pinned": "note : {key} est incertaine dans le scénario mais fixée par --set : la "
        "simulation a pris la valeur donnée",
    },
    "en": {
        "scenario_read": "Scenario file read:",
        "init_done": "Scenario written to {path}: edit it, then run 'clause-sim run {path}'.",
        "h_year": "Year",
        "h_dwellings": "Dwellings",
        "h_amount": "Amount EUR excl. VAT",
        "h_hours": "Insertion hours",
        "h_fte": "FTE",
        "h_total": "Total",
        "h_sentence": "{h} insertion hours, i.e. {fte} FTE ({base} h FTE base), over {years} "
        "years: {fpy} FTE a year ({fpy1}).",
        "h_by_line": "By works line:",
        "xlsx_written": "Workbook: {path}",
        "xlsx_skipped": "results.xlsx not written: install clause-sim[xlsx] (openpyxl)",
        "pdf_written": "Printable summary: {path}",
        "pinned": "note: {key} is uncertain in the scenario but set with --set: it ran at its "
        "set value",
    },
}

_SUMMARY: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "reps": "{reps}, graine {seed}{where}",
        "ci": "IC 95 %",
        "fte_unit": "ETP",
        "fte_year": "ETP/an",
        "clause": "Heures de la clause (calcul déterministe) : {clause}",
        "realised": "Heures réalisées : {v}",
        "fte": "ETP réalisés : {v}, soit {fpy} ETP/an sur {years} ans",
        "lapsed": "Part des heures perdues : {v} des heures offertes ; heures de la clause "
        "réalisées : {c}",
        "positive": "Sorties positives : {v}, dont BRSA {rsa}, -26 ans {u26}",
        "no_facilitator": "Facilitateurs : sans facilitateur (aucune prise en charge possible)",
        "busiest": "Ressource la plus chargée : {r} ({v} d'occupation moyenne)",
    },
    "en": {
        "reps": "{reps}, seed {seed}{where}",
        "ci": "95% CI",
        "fte_unit": "FTE",
        "fte_year": "FTE a year",
        "clause": "Clause hours (deterministic): {clause}",
        "realised": "Hours realised: {v}",
        "fte": "FTE realised: {v}, i.e. {fpy} FTE a year over {years} years",
        "lapsed": "Share of hours lapsed: {v} of the hours offered; clause hours realised: {c}",
        "positive": "Positive exits: {v}, of which RSA {rsa}, under 26 {u26}",
        "no_facilitator": "Facilitators: no facilitator (no one can be taken in)",
        "busiest": "Busiest resource: {r} ({v} mean utilisation)",
    },
}

_XLSX: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "summary": "synthèse",
        "years": "par année",
        "cohorts": "cohortes",
        "exits": "sorties par public",
        "constraints": "contraintes",
        "parameters": "paramètres",
        "comparison": "comparaison",
        "points": "points",
        "sizing": "dimensionnement",
        "metric": "Indicateur",
        "unit": "Unité",
        "mean": "Moyenne",
        "ci_low": "IC 95 % bas",
        "ci_high": "IC 95 % haut",
        "p05": "5e centile",
        "p95": "95e centile",
        "year": "Année",
        "run_out": "Année d'épuisement (travaux finis)",
        "clause_hours": "Heures de la clause (h)",
        "clause_fte": "ETP de la clause",
        "entry_year": "Année d'entrée",
        "people": "Personnes",
        "hours_worked": "Heures travaillées (h)",
        "outcome": "Situation de sortie",
        "resource": "Ressource",
        "utilisation": "Occupation moyenne",
        "gain": "Gain d'un +1 (heures réalisées)",
        "lapsed_cause": "Heures perdues : cause",
        "hours": "Heures (h)",
        "key": "Clé",
        "label": "Paramètre",
        "value": "Valeur",
        "origin": "Origine",
        "note": "Source ou commentaire",
        "yes": "oui",
        "no": "non",
        "none": "sans facilitateur",
        "preparation": "places de préparation",
        "fitted": "paramètres calés",
        "fit": "ajustement",
        "estimate": "Estimation",
        "range_low": "Plage : bas",
        "range_high": "Plage : haut",
        "identifiable": "Identifiable",
        "from_year": "De l'année",
        "to_year": "À l'année",
        "observed": "Observé",
        "gap": "Écart relatif",
        "fit_role": "Rôle",
        "fit_fitted": "calé",
        "fit_holdout": "hors calage",
    },
    "en": {
        "summary": "summary",
        "years": "per year",
        "cohorts": "cohorts",
        "exits": "exits by public",
        "constraints": "constraints",
        "parameters": "parameters",
        "comparison": "comparison",
        "points": "points",
        "sizing": "sizing",
        "metric": "Indicator",
        "unit": "Unit",
        "mean": "Mean",
        "ci_low": "95% CI low",
        "ci_high": "95% CI high",
        "p05": "5th percentile",
        "p95": "95th percentile",
        "year": "Year",
        "run_out": "Run-out year (works finishing)",
        "clause_hours": "Clause hours (h)",
        "clause_fte": "Clause FTE",
        "entry_year": "Intake year",
        "people": "People",
        "hours_worked": "Hours worked (h)",
        "outcome": "Exit outcome",
        "resource": "Resource",
        "utilisation": "Mean utilisation",
        "gain": "Gain of +1 (hours realised)",
        "lapsed_cause": "Hours lapsed: cause",
        "hours": "Hours (h)",
        "key": "Key",
        "label": "Parameter",
        "value": "Value",
        "origin": "Origin",
        "note": "Source or comment",
        "yes": "yes",
        "no": "no",
        "none": "no facilitator",
        "preparation": "preparation places",
        "fitted": "fitted parameters",
        "fit": "fit",
        "estimate": "Estimate",
        "range_low": "Range: low",
        "range_high": "Range: high",
        "identifiable": "Identifiable",
        "from_year": "From year",
        "to_year": "To year",
        "observed": "Observed",
        "gap": "Relative gap",
        "fit_role": "Role",
        "fit_fitted": "fitted",
        "fit_holdout": "held out",
    },
}

_BOTTLENECK: Mapping[str, Any] = {
    "fr": (
        "Contraintes : ce qui limite les heures réalisées",
        (
            "Contrainte",
            "Temps à pleine capacité",
            "Heures perdues imputées",
            "Part des heures perdues",
            "Une unité de plus",
            "Heures réalisées en plus",
        ),
        "Heures en plus : différence appariée (mêmes nombres aléatoires) sur {m} "
        "réplications, moyenne et IC 95 %. Heures perdues : moyenne sur {n} réplications.",
    ),
    "en": (
        "Constraints: what limits the hours realised",
        (
            "Constraint",
            "Time at capacity",
            "Hours lapsed attributed",
            "Share of lapsed hours",
            "One more unit",
            "More hours realised",
        ),
        "More hours: paired difference (common random numbers) over {m} replications, mean "
        "and 95% CI. Hours lapsed: mean over {n} replications.",
    ),
}
"""Bottleneck section: (title, column heads, note) per language."""

_DIAGNOSIS: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "label_referrals": "orientations",
        "label_facilitators": "portefeuille des facilitateurs",
        "label_preparation": "préparation et levée des freins",
        "label_siae": "postes {type}",
        "label_works_timing": "calendrier des travaux",
        "lever_referrals": "+{pct} % d'orientations par an",
        "lever_facilitators": "+{n} ETP de facilitateur",
        "lever_preparation": "+{n} places de préparation par an",
        "lever_siae": "+{n} poste {type}",
        "lever_works_timing": "des opérations plus longues de {days} jours",
        "na_preparation": "non applicable : places non plafonnées",
        "na_siae": "non applicable : aucune offre ne passe par ce type de SIAE",
        "never_full": "jamais à pleine capacité dans ces réplications : une unité de plus ne "
        "change rien (0 h, non simulé)",
        "gain": "{mean} h",
        "gain_ci": "{mean} h (IC 95 % : {low} à {high} h)",
        "none": "Aucune contrainte ne limite nettement : {share} des heures offertes sont perdues.",
        "binding": "Contrainte limitante : {label}. {hours} h perdues lui sont imputées "
        "({share} des heures perdues)",
        "at_capacity": " ; à pleine capacité {share} du temps",
        "with_lever": " Avec {lever} : {gain} réalisées en plus.",
        "best": " Meilleur levier marginal : {lever}, {gain} réalisées en plus.",
    },
    "en": {
        "label_referrals": "referrals",
        "label_facilitators": "facilitators' caseload",
        "label_preparation": "preparation and barriers",
        "label_siae": "{type} posts",
        "label_works_timing": "timing of the works",
        "lever_referrals": "+{pct}% referrals a year",
        "lever_facilitators": "+{n} facilitator FTE",
        "lever_preparation": "+{n} preparation places a year",
        "lever_siae": "+{n} {type} post",
        "lever_works_timing": "operations {days} days longer",
        "na_preparation": "not applicable: places are not capped",
        "na_siae": "not applicable: no offer goes through this SIAE type",
        "never_full": "never at capacity in these replications: one more unit changes nothing "
        "(0 h, not simulated)",
        "gain": "{mean} h",
        "gain_ci": "{mean} h (95% CI {low} to {high} h)",
        "none": "No constraint binds materially: {share} of the offered hours lapse.",
        "binding": "Binding constraint: {label}. {hours} h lapsed are attributed to it ({share} "
        "of the lapsed hours)",
        "at_capacity": "; at capacity {share} of the time",
        "with_lever": " With {lever}: {gain} more realised.",
        "best": " Best marginal lever: {lever}, {gain} more realised.",
    },
}
"""Bottleneck diagnosis: constraint names, levers, notes and the sentence naming the binding
constraint (placeholders filled by :mod:`sim.presentation.bottleneck`)."""

_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "facilitators": "portefeuille des facilitateurs",
        "siae": "postes SIAE {t}",
        "replication": "réplication",
    },
    "en": {
        "facilitators": "facilitators' caseload",
        "siae": "SIAE {t} posts",
        "replication": "replication",
    },
}

_UNCERTAINTY: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "title": "Incertitude des hypothèses",
        "ci": "L'intervalle de confiance à 95 % (IC) dit où se trouve la moyenne simulée : il ne "
        "mesure que le bruit de la simulation et se resserre quand on ajoute des réplications.",
        "band": "La bande de prédiction à 90 % (p5–p95) dit ce que pourrait être une année ou le "
        "programme entier compte tenu des plages des hypothèses incertaines ci-dessous : elle ne "
        "se resserre pas avec plus de réplications.",
        "param": "Paramètre",
        "dist": "Loi",
        "central": "Valeur centrale",
        "metric": "Indicateur",
        "share": "Part de la dispersion expliquée",
        "rho": "Corrélation de rang",
        "other": "autre (aléa de simulation, interactions)",
        "method": "Part = carré de la corrélation de rang de Spearman entre la valeur tirée du "
        "paramètre et le total de la réplication (hypercube latin sur les réplications), mis à "
        "l'échelle pour que les parts somment au R² ajusté de la régression des rangs sur tous "
        "les paramètres ; « autre » est le reste.",
        "rest": "les {k} autres paramètres",
        "few": "{n} réplications pour {d} paramètres : trop peu pour répartir la dispersion "
        "(il en faut plus de {d} + 1) ; relancer avec plus de réplications.",
        "observed": "Observé et simulé",
        "period": "Période",
        "obs": "Observé",
        "sim": "Simulé (moyenne)",
        "band_h": "p5–p95 simulé",
        "gap": "Écart",
        "source": "Source",
        "obs_point": "observé",
        "obs_span": "observé (moyenne annuelle sur la période)",
    },
    "en": {
        "title": "Uncertainty of the assumptions",
        "ci": "The 95% confidence interval (CI) says where the simulated mean lies: it measures "
        "only the simulation's noise and narrows as replications are added.",
        "band": "The 90% prediction band (p5–p95) says what a year or the whole programme could "
        "be given the ranges of the uncertain assumptions below: it does not narrow with more "
        "replications.",
        "param": "Parameter",
        "dist": "Distribution",
        "central": "Central value",
        "metric": "Indicator",
        "share": "Share of the spread explained",
        "rho": "Rank correlation",
        "other": "other (simulation noise, interactions)",
        "method": "Share = squared Spearman rank correlation between the parameter's drawn value "
        "and the replication's total (Latin hypercube over the replications), scaled so that the "
        "shares add up to the adjusted R² of the rank regression on all the parameters; "
        "'other' is the rest.",
        "rest": "the {k} other parameters",
        "few": "{n} replications for {d} parameters: too few to share the spread out (more than "
        "{d} + 1 are needed); rerun with more replications.",
        "observed": "Observed and simulated",
        "period": "Period",
        "obs": "Observed",
        "sim": "Simulated (mean)",
        "band_h": "Simulated p5–p95",
        "gap": "Gap",
        "source": "Source",
        "obs_point": "observed",
        "obs_span": "observed (yearly average over the span)",
    },
}

_CALIBRATION: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "title": "Calage sur les chiffres observés",
        "x": "Simulé / observé (1 = égal à l'observé)",
        "fitted": "calé (moyenne simulée, bande p5–p95)",
        "holdout": "retenu hors calage (prévision)",
        "params": "Paramètres calés",
        "param": "Paramètre",
        "range": "Plage",
        "est": "Estimation",
        "ci": "Intervalle à 95 %",
        "ident": "Identifiable",
        "yes": "oui",
        "no": "non",
        "rows": "Observé et simulé à l'estimation",
        "holdout_h": "Année retenue hors calage",
        "obs": "Observé",
        "sim": "Simulé (moyenne)",
        "band": "p5–p95",
        "gap": "Écart",
        "source": "Source",
        "metric": "Indicateur",
        "period": "Période",
        "method": "Méthode",
        "objective": "Objectif (somme des carrés des écarts relatifs) à l'estimation : {v}.",
        "meta": "clause-sim {v}, {file}, {n} réplications par point, graine {seed}",
        "method_text": "Échantillonnage d'importance séquentiel sur des pavés d'hypercube latin "
        "qui se resserrent, mêmes nombres aléatoires en chaque point ; estimation = médiane "
        "pondérée, intervalle = quantiles pondérés 2,5-97,5 % (loi a priori uniforme sur les "
        "plages --fit).",
        "unidentified_none": "Aucun total annuel du modèle ne varie avec {key} sur sa plage : les "
        "chiffres observés du suivi des clauses ne peuvent pas le fixer.",
        "unidentified_by": "Les chiffres observés ne fixent pas {key} ; des chiffres annuels de "
        "l'indicateur {metric} le fixeraient (corrélation de rang {rho} sur un hypercube latin "
        "des plages --fit).",
        "ratio": "{label} ({a} et {b})",
        "ratio_contracts_participants": "contrats par participant",
        "ratio_hours_realised_contracts": "heures par contrat",
        "not_identifiable": "non identifiable",
        "observed": "observé",
        "simulated": "simulé",
        "held_out": "hors calage",
        "summary": "{points} points, {s} s, {executor} -> {folder}",
        "toml_head": "# Calé par clause-sim {version} ; scénario : {source}",
        "toml_against": "# sur {obs} ({rows} lignes observées, {reps} réplications par point, "
        "graine {seed})",
        "toml_param": "#   {key} = {estimate} : calé dans [{low}, {high}], intervalle à 95 % "
        "de {ci_low} à {ci_high}{ident}",
        "toml_not_identified": " NON IDENTIFIÉ par ces chiffres",
        "toml_inline": "  # calé sur {obs} : 95 % de {ci_low} à {ci_high}{ident}",
        "toml_inline_not": ", NON IDENTIFIÉ",
        "toml_fitted_on": "calé sur {obs}",
        "toml_had": " ; le scénario avait {value} : {note}",
        "toml_had_set": " ; le scénario avait {value}, défini par --set",
        "toml_observed_file": "le fichier observé",
    },
    "en": {
        "title": "Fit to the observed figures",
        "x": "Simulated / observed (1 = equal to the observation)",
        "fitted": "fitted (simulated mean, p5–p95 band)",
        "holdout": "held out (prediction)",
        "params": "Fitted parameters",
        "param": "Parameter",
        "range": "Range",
        "est": "Estimate",
        "ci": "95% interval",
        "ident": "Identifiable",
        "yes": "yes",
        "no": "no",
        "rows": "Observed and simulated at the estimate",
        "holdout_h": "Held-out year",
        "obs": "Observed",
        "sim": "Simulated (mean)",
        "band": "p5–p95",
        "gap": "Gap",
        "source": "Source",
        "metric": "Indicator",
        "period": "Period",
        "method": "Method",
        "objective": "Objective (sum of squared relative gaps) at the estimate: {v}.",
        "meta": "clause-sim {v}, {file}, {n} replications a point, seed {seed}",
        "method_text": "Sequential importance sampling over shrinking Latin-hypercube boxes, "
        "common random numbers across points; estimate = weighted median, interval = weighted "
        "2.5-97.5 % quantiles (uniform prior over the --fit ranges).",
        "unidentified_none": "No yearly total of the model moves with {key} over its range: "
        "observed figures of clause reporting cannot identify it.",
        "unidentified_by": "The observed figures do not pin down {key}; yearly figures of "
        "{metric} would (rank correlation {rho} over a Latin hypercube of the --fit ranges).",
        "ratio": "{label} ({a} and {b})",
        "ratio_contracts_participants": "contracts per participant",
        "ratio_hours_realised_contracts": "hours per contract",
        "not_identifiable": "not identifiable",
        "observed": "observed",
        "simulated": "simulated",
        "held_out": "held out",
        "summary": "{points} points, {s} s, {executor} -> {folder}",
        "toml_head": "# Calibrated by clause-sim {version} from {source}",
        "toml_against": "# against {obs} ({rows} observed rows, {reps} replications a point, "
        "seed {seed})",
        "toml_param": "#   {key} = {estimate}: fitted in [{low}, {high}], 95 % interval "
        "{ci_low} to {ci_high}{ident}",
        "toml_not_identified": " NOT IDENTIFIED by these figures",
        "toml_inline": "  # calibrated on {obs}: 95 % {ci_low} to {ci_high}{ident}",
        "toml_inline_not": ", NOT IDENTIFIED",
        "toml_fitted_on": "fitted on {obs}",
        "toml_had": "; the scenario had {value}: {note}",
        "toml_had_set": "; the scenario had {value}, set with --set",
        "toml_observed_file": "the observed file",
    },
}


def unidentified_sentence(key: str, metric: str | None, rho: float | None, lang: str) -> str:
    """Why a calibrated key is not identified and which observed figure would identify it:
    ``metric`` a yearly total (``participants``) or a ratio ``NUM/DEN``, ``rho`` its rank
    correlation with the key (None: no total moves with it)."""
    from ..fmt import number

    t = _CALIBRATION[norm(lang)]
    if metric is None or rho is None:
        return t["unidentified_none"].format(key=key)
    phrase = metric
    if "/" in metric:
        num, den = metric.split("/", 1)
        label = t.get(f"ratio_{num}_{den}", metric)
        phrase = t["ratio"].format(label=label, a=num, b=den)
    signed = ("+" if rho >= 0 else "-") + number(abs(rho), 2, norm(lang))
    return t["unidentified_by"].format(key=key, metric=phrase, rho=signed)


_WEB: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "title": "Simulateur de clauses d'insertion",
        "tagline": "Heures d'insertion, ETP et parcours des bénéficiaires, année par année.",
        "switch": "English",
        "new_run": "Nouvelle simulation",
        "start_from": "Partir du scénario",
        "or_upload": "ou charger un fichier de scénario (.toml)",
        "source": "Source :",
        "advanced": "Avancé",
        "other_keys": "Autres clés du scénario",
        "other_keys_hint": "Une par ligne, CLÉ = VALEUR, comme --set.",
        "simulation": "Simulation",
        "replications": "Réplications",
        "seed": "Graine",
        "diagnosis": "Diagnostic de la contrainte limitante",
        "hours_now": "Heures de la clause (calcul immédiat)",
        "total_hours": "Heures d'insertion",
        "fte": "ETP",
        "fte_year": "ETP par an",
        "year": "Année",
        "dwellings": "Logements",
        "hours": "Heures",
        "simulate": "Simuler",
        "past_runs": "Simulations précédentes",
        "no_runs": "Aucune simulation pour l'instant.",
        "scenario": "Scénario",
        "date": "Date",
        "status": "État",
        "open": "Ouvrir",
        "delete": "Supprimer",
        "compare": "Comparer la sélection",
        "compare_hint": "Cochez deux simulations terminées pour les comparer.",
        "queued": "en attente",
        "running": "en cours",
        "done": "terminée",
        "failed": "échec",
        "cancelled": "annulée",
        "cancel": "Annuler",
        "progress": "Avancement",
        "back": "Retour au formulaire",
        "key_figures": "Chiffres clés",
        "constraint": "Contrainte limitante",
        "figures": "Figures",
        "tables": "Tableau annuel",
        "downloads": "Téléchargements",
        "zip": "Tout (zip)",
        "report": "Rapport (HTML)",
        "workbook": "Classeur (xlsx)",
        "scenario_file": "Scénario à réutiliser (TOML)",
        "comparison": "Comparaison",
        "reference": "référence",
        "difference": "Écart",
        "error": "Erreur",
        "check_field": "Vérifiez ce champ",
        "busiest": "Ressource la plus chargée",
        "clause_hours": "Heures de la clause (calcul déterministe)",
        "hours_realised": "Heures réalisées",
        "fte_realised": "ETP réalisés",
        "positive_exits": "Sorties positives",
        "lapsed_share": "Part des heures perdues",
        "ci": "IC 95 %",
        "replications_seed": "réplications, graine",
        "api_docs": "API",
        "not_found": "Simulation introuvable.",
        "fte_per_year": "ETP/an",
        "fig_hours": "Heures par année",
        "fig_fte": "ETP par année",
        "fig_people": "Personnes accompagnées",
        "fig_positive-exits": "Sorties positives",
        "fig_utilisation": "Occupation des ressources",
        "fig_waits": "Attentes",
        "err_where": "{file}, clé {key} : {message}",
        "err_file": "{file} : {message}",
        "err_body": "corps de la requête au-delà de {n} octets (1 Mio)",
        "err_whole": "{name} : un nombre entier est attendu, reçu {value}",
        "err_range": "{name} : doit être entre {low} et {high}, reçu {value}",
        "err_lang": "lang : fr ou en attendu, reçu {value}",
        "err_ctype": "Content-Type : envoyez le scénario en application/toml (ou le JSON de la "
        "page)",
        "err_ctype_json": "Content-Type : envoyez application/json",
        "err_utf8": "scenario.toml : pas du texte UTF-8",
        "err_json": "requête : JSON invalide",
        "err_object": "requête : un objet JSON est attendu",
        "err_runs": "runs : donnez de deux à six identifiants de simulation",
        "err_finished": "runs : seules des simulations terminées se comparent",
    },
    "en": {
        "title": "Insertion-clause simulator",
        "tagline": "Insertion hours, FTE and beneficiaries' paths, year by year.",
        "switch": "Français",
        "new_run": "New simulation",
        "start_from": "Start from scenario",
        "or_upload": "or load a scenario file (.toml)",
        "source": "Source:",
        "advanced": "Advanced",
        "other_keys": "Other scenario keys",
        "other_keys_hint": "One a line, KEY = VALUE, as with --set.",
        "simulation": "Simulation",
        "replications": "Replications",
        "seed": "Seed",
        "diagnosis": "Diagnosis of the binding constraint",
        "hours_now": "Clause hours (computed at once)",
        "total_hours": "Insertion hours",
        "fte": "FTE",
        "fte_year": "FTE a year",
        "year": "Year",
        "dwellings": "Dwellings",
        "hours": "Hours",
        "simulate": "Simulate",
        "past_runs": "Past simulations",
        "no_runs": "No simulation yet.",
        "scenario": "Scenario",
        "date": "Date",
        "status": "Status",
        "open": "Open",
        "delete": "Delete",
        "compare": "Compare the selection",
        "compare_hint": "Tick two finished simulations to compare them.",
        "queued": "queued",
        "running": "running",
        "done": "done",
        "failed": "failed",
        "cancelled": "cancelled",
        "cancel": "Cancel",
        "progress": "Progress",
        "back": "Back to the form",
        "key_figures": "Key figures",
        "constraint": "Binding constraint",
        "figures": "Figures",
        "tables": "Yearly table",
        "downloads": "Downloads",
        "zip": "Everything (zip)",
        "report": "Report (HTML)",
        "workbook": "Workbook (xlsx)",
        "scenario_file": "Scenario to reuse (TOML)",
        "comparison": "Comparison",
        "reference": "reference",
        "difference": "Difference",
        "error": "Error",
        "check_field": "Check this field",
        "busiest": "Busiest resource",
        "clause_hours": "Clause hours (deterministic)",
        "hours_realised": "Hours realised",
        "fte_realised": "FTE realised",
        "positive_exits": "Positive exits",
        "lapsed_share": "Share of hours lapsed",
        "ci": "95% CI",
        "replications_seed": "replications, seed",
        "api_docs": "API",
        "not_found": "No such simulation.",
        "fte_per_year": "FTE a year",
        "fig_hours": "Hours a year",
        "fig_fte": "FTE a year",
        "fig_people": "People accompanied",
        "fig_positive-exits": "Positive exits",
        "fig_utilisation": "Use of resources",
        "fig_waits": "Waits",
        "err_where": "{file}: {key}: {message}",
        "err_file": "{file}: {message}",
        "err_body": "request body over {n} bytes (1 MiB)",
        "err_whole": "{name}: expected a whole number, got {value}",
        "err_range": "{name}: must be between {low} and {high}, got {value}",
        "err_lang": "lang: expected fr or en, got {value}",
        "err_ctype": "Content-Type: send the scenario as application/toml (or the page's JSON)",
        "err_ctype_json": "Content-Type: send application/json",
        "err_utf8": "scenario.toml: not UTF-8 text",
        "err_json": "request: not valid JSON",
        "err_object": "request: expected a JSON object",
        "err_runs": "runs: give two to six run ids",
        "err_finished": "runs: only finished simulations can be compared",
    },
}
"""The web page (``clause-sim serve``): labels, figure names (``fig_<name>``) and the
request errors the page shows (``err_*``; a scenario error is framed in the page's language by
``err_where`` / ``err_file``, its message put in French by :func:`scenario_message`)."""

_SCENARIO_FILE: Mapping[str, Mapping[str, str]] = {
    "fr": {
        "as_run": "# Scénario tel que simulé par clause-sim {version} ; fichier : {source}",
        "with_set": "# avec --set {sets}",
        "rerun": "# Pour le relancer : clause-sim run scenario.toml --seed {seed} "
        "--replications {n}",
        "n_unknown": "N (voir summary.json)",
        "set": "défini par --set",
        "set_had": "défini par --set ; le fichier avait {value}",
        "set_had_note": "défini par --set ; le fichier avait {value} : {note}",
    },
    "en": {
        "as_run": "# Scenario as run by clause-sim {version}, from {source}",
        "with_set": "# with --set {sets}",
        "rerun": "# Re-run: clause-sim run scenario.toml --seed {seed} --replications {n}",
        "n_unknown": "N (see summary.json)",
        "set": "set with --set",
        "set_had": "set with --set; the file had {value}",
        "set_had_note": "set with --set; the file had {value}: {note}",
    },
}
"""A results folder's ``scenario.toml`` (and ``calibrated.toml``): its header, and the note of
a key set with ``--set`` (:func:`sim.provenance.annotate`); the source notes themselves are the
scenario file's own words."""

TEXT: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "cli": _CLI,
    "scenario_file": _SCENARIO_FILE,
    "calibration": _CALIBRATION,
    "uncertainty": _UNCERTAINTY,
    "bottleneck": _BOTTLENECK,
    "diagnosis": _DIAGNOSIS,
    "web": _WEB,
    "resources": _RESOURCES,
    "summary": _SUMMARY,
    "report": _REPORT,
    "figures": _FIGURES,
    "xlsx": _XLSX,
    "sizing_figure": _SIZING_FIGURE,
    "sweep_figure": _SWEEP_FIGURE,
}
"""Section -> language -> key -> text."""

# --------------------------------------------------------------------------------------------
# Scenario keys

PARAMETERS: Mapping[str, tuple[str, str]] = {
    "scenario.name": ("Nom du scénario", "Scenario name"),
    "scenario.description": ("Description", "Description"),
    "scenario.start_year": ("Première année", "First year"),
    "scenario.horizon_years": ("Durée du programme (ans)", "Programme length (years)"),
    "clause.method": ("Méthode de calcul des heures", "Hours method"),
    "clause.insertion_rate": ("Taux d'insertion", "Insertion rate"),
    "clause.hourly_cost_eur": ("Coût horaire chargé (EUR)", "Loaded hourly cost (EUR)"),
    "clause.rounding": ("Arrondi des heures", "Rounding of hours"),
    "clause.fte_hours": ("Base d'un ETP (h)", "FTE base (h)"),
    "clause.labour_share": ("Part de main-d'œuvre", "Labour share"),
    "clause.hours_per_eur": ("Heures par euro", "Hours per euro"),
    "clause.hours_per_dwelling": ("Heures par logement", "Hours per dwelling"),
    "works[].name": ("Ligne de travaux", "Works line"),
    "works[].dwellings": ("Logements", "Dwellings"),
    "works[].cost_per_dwelling_eur": ("Coût par logement (EUR HT)", "Cost per dwelling (EUR)"),
    "works[].amount_eur": ("Montant (EUR HT)", "Amount (EUR excl. VAT)"),
    "works[].profile": ("Calendrier des travaux", "Works schedule"),
    "works[].yearly_dwellings": ("Logements par année", "Dwellings per year"),
    "works[].yearly_amount_eur": ("Montant par année (EUR HT)", "Amount per year (EUR)"),
    "works[].method": ("Méthode de calcul des heures", "Hours method"),
    "works[].insertion_rate": ("Taux d'insertion", "Insertion rate"),
    "works[].hourly_cost_eur": ("Coût horaire chargé (EUR)", "Loaded hourly cost (EUR)"),
    "works[].labour_share": ("Part de main-d'œuvre", "Labour share"),
    "works[].hours_per_eur": ("Heures par euro", "Hours per euro"),
    "works[].hours_per_dwelling": ("Heures par logement", "Hours per dwelling"),
    "uncertainty": ("Paramètres incertains (tirés à chaque réplication)", "Uncertain parameters"),
    "flow.run_out_rule": ("Règle d'épuisement", "Run-out rule"),
    "flow.referrals.criteria": ("Critères d'éligibilité", "Eligibility criteria"),
    "flow.missions.weekly_hours_by_route": (
        "Heures par semaine selon le mode",
        "Hours a week by route",
    ),
    "flow.siae.fallback_after_days": (
        "Délai avant repli vers un autre mode (j)",
        "Days before falling back to another route",
    ),
    "flow.siae.fallback_to": ("Modes de repli", "Fallback routes"),
    "flow.siae.post_hours_per_week": (
        "Heures d'un poste SIAE par semaine",
        "SIAE post hours a week",
    ),
    "flow.outcomes.route_factor": (
        "Effet du mode sur les sorties positives",
        "Route factor on positive exits",
    ),
    "flow.outcomes.without_work": (
        "Sorties sans mission, par public",
        "Exits without a mission, by public",
    ),
    "flow.run_out_years": ("Années d'épuisement après le programme", "Run-out years"),
    "flow.referrals.per_year": ("Orientations par an", "Referrals a year"),
    "flow.referrals.publics": ("Répartition des publics orientés", "Mix of publics referred"),
    "flow.operations.dwellings_per_operation": (
        "Logements par opération",
        "Dwellings per operation",
    ),
    "flow.operations.amount_per_operation_eur": (
        "Montant par opération (EUR HT)",
        "Amount per operation (EUR)",
    ),
    "flow.operations.start": ("Démarrage des opérations", "Start of operations"),
    "flow.operations.duration_days": ("Durée d'une opération (j)", "Operation length (days)"),
    "flow.operations.release_share": (
        "Part de la durée où les offres sont émises",
        "Offer release share",
    ),
    "flow.missions.hours": ("Heures par mission", "Hours per mission"),
    "flow.missions.min_hours": ("Mission minimale (h)", "Shortest mission (h)"),
    "flow.missions.weekly_hours": ("Heures par semaine", "Hours a week"),
    "flow.missions.mode_shares": ("Répartition par mode d'emploi", "Mix of employment routes"),
    "flow.missions.next_mission_probability": (
        "Probabilité d'une mission suivante",
        "Probability of a further mission",
    ),
    "flow.siae.posts": ("Postes SIAE", "SIAE posts"),
    "flow.facilitators.fte": ("Facilitateurs (ETP)", "Facilitators (FTE)"),
    "flow.facilitators.caseload_per_fte": ("Portefeuille par ETP", "Caseload per FTE"),
    "flow.facilitators.priority": ("Publics prioritaires", "Priority publics"),
    "flow.facilitators.patience_days": (
        "Patience avant prise en charge (j)",
        "Patience for intake (days)",
    ),
    "flow.facilitators.max_parcours_days": (
        "Durée maximale du parcours (j)",
        "Longest pathway (days)",
    ),
    "flow.placement.patience_days": ("Patience avant mission (j)", "Patience for a mission (days)"),
    "flow.preparation.share": ("Part passant par une préparation", "Share needing preparation"),
    "flow.preparation.duration_days": ("Durée de la préparation (j)", "Preparation length (days)"),
    "flow.preparation.places_per_year": (
        "Places de préparation par an",
        "Preparation places a year",
    ),
    "flow.barriers.mobility.share": (
        "Part avec un frein de mobilité",
        "Share with a mobility barrier",
    ),
    "flow.barriers.mobility.delay_days": (
        "Délai de levée du frein mobilité (j)",
        "Mobility barrier delay (days)",
    ),
    "flow.barriers.mobility.places": ("Places de mobilité", "Mobility places"),
    "flow.barriers.childcare.share": (
        "Part avec un frein de garde d'enfant",
        "Share with a childcare barrier",
    ),
    "flow.barriers.childcare.delay_days": (
        "Délai de levée du frein garde (j)",
        "Childcare barrier delay (days)",
    ),
    "flow.barriers.childcare.places": ("Places de garde (crèche AVIP)", "Childcare places"),
    "flow.outcomes.rsa": ("Sorties positives : BRSA", "Positive exits: RSA"),
    "flow.outcomes.under_26": ("Sorties positives : moins de 26 ans", "Positive exits: under 26"),
    "flow.outcomes.ase": ("Sorties positives : jeunes ASE", "Positive exits: child welfare"),
    "flow.outcomes.other": ("Sorties positives : autres", "Positive exits: others"),
    "flow.outcomes.hours_uplift_per_1000h": (
        "Hausse des sorties positives pour 1 000 h",
        "Rise of positive exits per 1,000 h",
    ),
}
"""Every scenario key (list items as ``works[]``) -> (French label, English label)."""

ENTRIES: Mapping[str, tuple[str, str]] = {
    "rsa": ("BRSA", "RSA"),
    "under_26": ("moins de 26 ans", "under 26"),
    "ase": ("jeunes ASE", "child welfare"),
    "other": ("autres", "others"),
    "direct": ("embauche directe", "direct hire"),
    "etti": ("ETTI", "ETTI"),
    "ai": ("AI", "AI"),
    "geiq": ("GEIQ", "GEIQ"),
    "ei": ("EI", "EI"),
    "aci": ("ACI", "ACI"),
    "durable": ("emploi durable", "durable employment"),
    "transition": ("emploi de transition", "transition employment"),
    "training": ("formation qualifiante", "qualifying training"),
    "deld": ("demandeurs d'emploi de longue durée", "long-term jobseekers"),
    "th": ("travailleurs handicapés", "disabled workers"),
    "over_50": ("50 ans et plus", "50 and over"),
    "qpv": ("résidents QPV", "QPV residents"),
    "mean": ("moyenne", "mean"),
    "sd": ("écart-type", "sd"),
    "low": ("minimum", "low"),
    "mode": ("mode", "mode"),
    "high": ("maximum", "high"),
    "value": ("valeur", "value"),
}
"""Entries of tables that are one value (publics, routes, SIAE types, outcomes, distribution
parameters) -> (French, English)."""


FORM_GROUPS: Mapping[str, tuple[str, str]] = {
    "programme": ("Programme de travaux", "Works programme"),
    "clause": ("Clause d'insertion", "Insertion clause"),
    "capacity": ("Capacités", "Capacity"),
    "advanced": ("Avancé", "Advanced"),
}
"""The groups of the web page's form: French and English titles."""

FORM_FIELDS: Mapping[str, tuple[str, str, str, str]] = {
    "scenario.name": ("Nom du scénario", "Scenario name", "", ""),
    "scenario.start_year": ("Première année", "First year", "", ""),
    "scenario.horizon_years": ("Durée", "Length", "ans", "years"),
    "works[0].dwellings": ("Logements", "Dwellings", "", ""),
    "works[0].cost_per_dwelling_eur": (
        "Coût par logement",
        "Cost per dwelling",
        "EUR HT",
        "EUR excl. VAT",
    ),
    "works[0].labour_share": ("Part main-d'œuvre", "Labour share", "0–1", "0–1"),
    "works[0].profile": ("Profil annuel", "Yearly profile", "", ""),
    "clause.insertion_rate": ("Taux d'insertion", "Insertion rate", "0–1", "0–1"),
    "clause.hourly_cost_eur": ("Coût horaire chargé", "Loaded hourly cost", "EUR/h", "EUR/h"),
    "clause.rounding": ("Arrondi", "Rounding", "", ""),
    "clause.fte_hours": ("Base ETP", "FTE base", "h", "h"),
    "flow.facilitators.fte": (
        "Facilitateurs (un nombre ou [par année])",
        "Facilitators (one figure or [per year])",
        "ETP",
        "FTE",
    ),
    "flow.referrals.per_year": (
        "Orientations par an",
        "Referrals a year",
        "pers./an",
        "people/year",
    ),
    "flow.siae.posts.etti": ("Postes SIAE : ETTI", "SIAE posts: ETTI", "", ""),
    "flow.siae.posts.ai": ("Postes SIAE : AI", "SIAE posts: AI", "", ""),
    "flow.siae.posts.geiq": ("Postes SIAE : GEIQ", "SIAE posts: GEIQ", "", ""),
    "flow.siae.posts.ei": ("Postes SIAE : EI", "SIAE posts: EI", "", ""),
    "flow.siae.posts.aci": ("Postes SIAE : ACI", "SIAE posts: ACI", "", ""),
    "flow.facilitators.caseload_per_fte": (
        "Suivis par ETP facilitateur",
        "Caseload per facilitator FTE",
        "pers.",
        "people",
    ),
    "flow.missions.next_mission_probability": (
        "Probabilité d'une nouvelle mission",
        "Probability of another mission",
        "0–1",
        "0–1",
    ),
    "flow.operations.dwellings_per_operation": (
        "Logements par opération",
        "Dwellings per operation",
        "",
        "",
    ),
    "flow.run_out_years": ("Années simulées après l'horizon", "Run-out years", "ans", "years"),
}
"""The fields of the web page's form by scenario key: French label, English label, French
unit, English unit."""


def param_label(key: str, lang: str | None) -> str:
    """The planner's label of a scenario key, e.g. ``flow.siae.posts.etti`` -> "Postes SIAE :
    ETTI"; ``works[1].dwellings`` -> "Logements (ligne 2)". Unknown keys are shown as given."""
    k = 1 if norm(lang) == "en" else 0
    line = re.search(r"\[(\d+)\]", key)
    generic = re.sub(r"\[\d+\]", "[]", key)
    suffix = ""
    if line and int(line.group(1)) > 0:
        suffix = f" ({'line' if k else 'ligne'} {int(line.group(1)) + 1})"
    if generic in PARAMETERS:
        return PARAMETERS[generic][k] + suffix
    parent, _, entry = generic.rpartition(".")
    if parent in PARAMETERS and entry in ENTRIES:
        colon = ":" if k else "\u202f:"
        return f"{PARAMETERS[parent][k]}{colon} {ENTRIES[entry][k]}{suffix}"
    return key


_STATS: Mapping[str, tuple[str, str]] = {
    "mean": ("moyenne", "mean"),
    "ci_low": ("IC 95 % bas", "95% CI low"),
    "ci_high": ("IC 95 % haut", "95% CI high"),
    "p05": ("5e centile", "5th percentile"),
    "p95": ("95e centile", "95th percentile"),
}

_COLUMNS: Mapping[str, tuple[str, str]] = {
    "year": ("Année", "Year"),
    "replication": ("Réplication", "Replication"),
    "events": ("Événements simulés", "Events simulated"),
    "month": ("Mois", "Month"),
    "year_fraction": ("Année (fraction)", "Year (fraction)"),
    "clause_hours": ("Heures de la clause (h)", "Clause hours (h)"),
    "clause_fte": ("ETP de la clause", "Clause FTE"),
    "run_out": ("Année d'épuisement", "Run-out year"),
    "bin_low_days": ("Attente de (j)", "Wait from (days)"),
    "bin_high_days": ("Attente jusqu'à (j)", "Wait to (days)"),
    "intake_share": ("Part des attentes avant prise en charge", "Share of waits for intake"),
    "placement_share": ("Part des attentes avant mission", "Share of waits for a mission"),
    "intake_count": ("Attentes avant prise en charge", "Waits for intake"),
    "placement_count": ("Attentes avant mission", "Waits for a mission"),
    "metric": ("Indicateur", "Indicator"),
    "unit": ("Unité", "Unit"),
    "key": ("Clé", "Key"),
    "value": ("Valeur", "Value"),
    "origin": ("Origine", "Origin"),
    "note": ("Source ou commentaire", "Source or comment"),
}


def column_label(name: str, lang: str | None) -> str:
    """A planner's header for a CSV column name (``hours_realised_ci_low`` -> "Heures réalisées
    – IC 95 % bas"); names it does not know are kept."""
    from ..results import METRICS

    k = 1 if norm(lang) == "en" else 0
    if name in _COLUMNS:
        return _COLUMNS[name][k]
    if name in METRICS:
        return metric_label(name, lang)
    for stat, labels in _STATS.items():
        base = name.removesuffix(f"_{stat}")
        if base != name and (base in METRICS or base in _COLUMNS):
            head = metric_label(base, lang) if base in METRICS else _COLUMNS[base][k]
            return f"{head} – {labels[k]}"
    return name


# --------------------------------------------------------------------------------------------
# Scenario errors in French: the validator words its messages in English (the command line's
# words); the French page shows them through this table. A message it does not know is shown
# as it is.

_TYPES_FR: Mapping[str, str] = {
    "a boolean": "un booléen",
    "an integer": "un entier",
    "a number": "un nombre",
    "a string": "un texte",
    "a list": "une liste",
    "a table": "une table",
    "a whole number": "un nombre entier",
    "a finite number": "un nombre fini",
    "a table of distributions": "une table de lois",
    "a list of tables ([[...]] lines)": "une liste de tables (lignes [[...]])",
    "a date and time": "une date et heure",
    "a date": "une date",
    "a time of day": "une heure",
}
"""Kinds of value in the validator's messages."""

BOUND_WORDS_FR: Mapping[str, str] = {
    # units
    "days": "jours",
    "EUR an hour": "EUR de l’heure",
    "dwellings": "logements",
    "years": "ans",
    "people a year": "personnes par an",
    "h a week": "h par semaine",
    "posts": "postes",
    "FTE": "ETP",
    "people": "personnes",
    "per 1,000 h": "pour 1 000 h",
    "day": "jour",
    "year": "an",
    "dwelling": "logement",
    "person": "personne",
    "person a year": "personne par an",
    "post": "poste",
    # reasons
    "a hundred years at most": "cent ans au plus",
    "an hourly labour cost: a few EUR to a few hundred": (
        "un coût horaire du travail : de quelques EUR à quelques centaines"
    ),
    "one hour per 5 EUR of works at most": "une heure pour 5 EUR de travaux au plus",
    "about three full-time years a dwelling at most": (
        "environ trois années à temps plein par logement au plus"
    ),
    "100 billion EUR, above any national programme": (
        "100 milliards d’EUR, au-delà de tout programme national"
    ),
    "ten million, above France's whole social housing stock (about 5.5 million)": (
        "dix millions, au-delà de tout le parc social français (environ 5,5 millions)"
    ),
    "a national-programme ceiling": "un plafond de programme national",
    "a century of works at most": "un siècle de travaux au plus",
    "hours of a full-time year: 1,607 legal, 1,820 paid in France": (
        "heures d’une année à temps plein : 1 607 légales, 1 820 payées en France"
    ),
    "renovating a dwelling costs tens of thousands of EUR": (
        "rénover un logement coûte des dizaines de milliers d’EUR"
    ),
    "horizon plus run-out is a century at most": (
        "l’horizon et les années de fin de programme font un siècle au plus"
    ),
    "a national-programme ceiling of referrals": (
        "un plafond d’orientations de programme national"
    ),
    "about ten full-time years": "environ dix années à temps plein",
    "from an hour to a full-time year": "d’une heure à une année à temps plein",
    "the legal maximum is 48 h a week": "le maximum légal est de 48 h par semaine",
    "an hour a week at least": "une heure par semaine au moins",
    "a factor on the chances of a positive exit": (
        "un facteur sur les chances d’une sortie positive"
    ),
    "people followed by one full-time facilitator": (
        "personnes suivies par un facilitateur à temps plein"
    ),
    "a relative rise of the exit rates per 1,000 hours worked": (
        "une hausse relative des taux de sortie pour 1 000 heures travaillées"
    ),
    "a calendar year": "une année civile",
    "weights are relative": "les poids sont relatifs",
}
"""Units and reasons of the domain bounds (:data:`sim.scenario.BOUNDS`), in French; a unit
that reads the same in both languages (h, EUR, h/EUR, places) is left out."""

_GOT = r"(?:, got|; got) (?P<value>.*)"
_SCENARIO_FR: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"\Z", re.S), french)
    for pattern, french in (
        (r"expected a number, got nan", "attendu : un nombre ; reçu : nan"),
        (
            r"expected (?P<what>a list of tables \(\[\[\.\.\.\]\] lines\))",
            "attendu : {what}",
        ),
        (
            r"expected (?P<what>a (?:whole |finite )?number|a string|a list|a table"
            r"(?: of distributions)?)" + _GOT,
            "attendu : {what} ; reçu : {value}",
        ),
        (r"too large" + _GOT, "trop grand ; reçu : {value}"),
        (
            r"must be a share between 0 and 1" + _GOT,
            "doit être une part entre 0 et 1 ; reçu : {value}",
        ),
        (r"must be positive" + _GOT, "doit dépasser 0 ; reçu : {value}"),
        (r"must not be negative" + _GOT, "doit valoir au moins 0 ; reçu : {value}"),
        (
            r"must be (?P<side>at most|at least) (?P<limit>[-+0-9.,e]+)(?P<rest>.*?)" + _GOT,
            "doit valoir {side} {limit}{rest} ; reçu : {value}",
        ),
        (
            r"horizon_years \+ run_out_years must be at most (?P<limit>\d+) years" + _GOT,
            "horizon_years + run_out_years doit valoir au plus {limit} ans ; reçu : {value}",
        ),
        (
            r"unknown value (?P<word>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+?); "
            r"expected one of (?P<names>.*?)"
            r"(?P<hint> \(did you mean .*\))?",
            "valeur inconnue {word} ; valeurs possibles : {names}{hint}",
        ),
        (r"unknown language; expected fr or en", "langue inconnue ; fr ou en attendu"),
        (r"give the text in fr, en or both", "donnez le texte sous fr, sous en, ou les deux"),
        (r"expected at least (?P<n>\d+) item\(s\)", "au moins {n} élément(s) attendu(s)"),
        (r"expected at least (?P<n>\d+) line\(s\)", "au moins {n} ligne(s) attendue(s)"),
        (
            r"expected a table like (?P<example>\{.*?\})" + _GOT,
            "attendu : une table comme {example} ; reçu : {value}",
        ),
        (
            r"expected a distribution like (?P<example>\{.*?\})(?P<none> or \"none\")?" + _GOT,
            "attendu : une loi comme {example}{none} ; reçu : {value}",
        ),
        (r"missing required key", "clé obligatoire manquante"),
        (r"missing: needed with dwellings", "il manque cette clé, nécessaire avec dwellings"),
        (
            r"missing: method (?P<method>\S+) needs it \(here or in \[clause\]\)",
            "il manque cette clé : la méthode {method} en a besoin (ici ou dans [clause])",
        ),
        (r"missing (?P<names>.*)", "il manque {names}"),
        (
            r"shares must sum to 1, they sum to (?P<total>.*)",
            "les parts doivent faire 1 au total ; elles font {total}",
        ),
        (
            r"shares must sum to at most 1, they sum to (?P<total>.*)",
            "les parts doivent faire au plus 1 au total ; elles font {total}",
        ),
        (r"(?P<names>.*) given more than once", "{names} donné(s) plus d’une fois"),
        (r"uniform needs low <= high", "uniform demande low <= high"),
        (
            r"triangular needs low <= mode <= high and low < high",
            "triangular demande low <= mode <= high et low < high",
        ),
        (
            r"(?P<kind>\w+) needs (?P<needed>.*); missing (?P<p>.*)",
            "{kind} demande {needed} ; il manque {p}",
        ),
        (r"must not all be zero", "ne doivent pas tous être nuls"),
        (
            r"has (?P<n>\d+) items but values has (?P<m>\d+)",
            "compte {n} élément(s) mais values en compte {m}",
        ),
        (
            r"unknown parameter for (?P<kind>\w+)(?P<hint> \(did you mean .*?\))?; "
            r"expected (?P<names>.*)",
            "paramètre inconnu pour {kind}{hint} ; attendus : {names}",
        ),
        (
            r"unknown key(?P<hint> \(did you mean .*?\))?; known: (?P<names>.*)",
            "clé inconnue{hint} ; clés connues : {names}",
        ),
        (r"unknown key(?P<hint> \(did you mean .*\))?", "clé inconnue{hint}"),
        (
            r"mean of (?P<mean>\S+) h is below min_hours \((?P<min>\S+) h\); "
            r"missions are at least min_hours long",
            "la moyenne de {mean} h est sous min_hours ({min} h) ; une mission dure au moins "
            "min_hours",
        ),
        (
            r"give dwellings \(with cost_per_dwelling_eur\) or amount_eur, not both",
            "donnez dwellings (avec cost_per_dwelling_eur) ou amount_eur, pas les deux",
        ),
        (
            r"give dwellings \(with cost_per_dwelling_eur\) or amount_eur",
            "donnez dwellings (avec cost_per_dwelling_eur) ou amount_eur",
        ),
        (r"profile is custom: give the list", "profile vaut custom : donnez la liste"),
        (
            r"has (?P<n>\d+) years but horizon_years is (?P<h>\d+)",
            "compte {n} année(s) alors que horizon_years vaut {h}",
        ),
        (
            r"sums to (?P<total>\S+) but (?P<key>\w+) is (?P<given>\S+)",
            "fait {total} au total alors que {key} vaut {given}",
        ),
        (
            r"hours_per_dwelling needs dwellings, this line has an amount",
            "hours_per_dwelling demande dwellings, cette ligne donne un montant",
        ),
        (r"cannot read key (?P<part>.*)", "clé illisible : {part}"),
        (
            r"not a numeric key: only a number can be uncertain",
            "pas une clé numérique : seul un nombre peut être incertain",
        ),
        (
            r"holds a list of yearly values: an uncertain key must be one number",
            "contient une liste de valeurs annuelles : une clé incertaine doit être un seul nombre",
        ),
        (
            r"has no value in the scenario to be the central value",
            "n’a pas de valeur dans le scénario qui serve de valeur centrale",
        ),
        (
            r"its (?P<which>lowest|highest) value (?P<v>\S+) is outside the key's domain "
            r"\((?P<inner>.*)\)",
            "sa borne {which} {v} sort du domaine de la clé ({inner})",
        ),
        (
            r"no such key (?P<key>'.*?') in a scenario(?P<hint> \(did you mean .*\))?",
            "pas de clé {key} dans un scénario{hint}",
        ),
        (
            r"(?P<name>\w+) is a list of tables: say (?P<example>\S+)",
            "{name} est une liste de tables : écrivez {example}",
        ),
        (
            r"no item (?P<i>\d+): (?P<name>\w+) has (?P<n>\d+)",
            "pas d’élément {i} : {name} en compte {n}",
        ),
        (r"name a key inside the table", "nommez une clé de la table"),
        (r"(?P<name>\w+) is not a list of tables", "{name} n’est pas une liste de tables"),
        (r"(?P<name>\S+) is a value, not a table", "{name} est une valeur, pas une table"),
        (r"expected KEY=VALUE", "CLÉ=VALEUR attendu"),
        (
            r"holds a line break; give one KEY=VALUE a --set, on one line",
            "contient un saut de ligne ; une seule ligne CLÉ=VALEUR par --set",
        ),
        (
            r"value nested more than (?P<n>\d+) levels deep",
            "valeur imbriquée sur plus de {n} niveaux",
        ),
        (r"number too long to read", "nombre trop long pour être lu"),
        (r"cannot read value (?P<v>.*) as TOML", "valeur {v} illisible en TOML"),
        (r"not valid TOML: (?P<detail>.*)", "TOML invalide : {detail}"),
        (r"holds a number too long to read", "contient un nombre trop long pour être lu"),
        (
            r"nested more than (?P<n>\d+) levels deep \(tables, arrays or dotted keys\)",
            "imbriqué sur plus de {n} niveaux (tables, listes ou clés pointées)",
        ),
        (r"no such shipped scenario", "pas de scénario livré de ce nom"),
        (r"set: expected an object of KEY: VALUE", "set : un objet CLÉ: VALEUR attendu"),
    )
)
"""The validator's messages (English pattern, French text); the first that matches wins."""

_TOML_FR: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"\Z", re.S), french)
    for pattern, french in (
        (r"Cannot overwrite a value", "une valeur déjà donnée ne peut pas être remplacée"),
        (r"Unescaped '\\' in a string", "« \\ » non échappé dans un texte"),
        (
            r"Cannot mutate immutable namespace (?P<a>.*)",
            "l’espace de noms {a} est figé : impossible de le modifier",
        ),
        (r"Unterminated string", "texte non terminé"),
        (r"Unclosed inline table", "table en ligne non fermée"),
        (r"Unclosed array", "liste non fermée"),
        (r"Invalid value", "valeur invalide"),
        (r"Invalid statement", "instruction invalide"),
        (r"Invalid initial character for a key part", "caractère initial invalide dans une clé"),
        (r"Invalid hex value", "valeur hexadécimale invalide"),
        (r"Invalid date or datetime", "date ou date et heure invalide"),
        (r"Illegal character (?P<a>.*)", "caractère interdit {a}"),
        (r"Found invalid character (?P<a>.*)", "caractère invalide {a}"),
        (
            r"Expected ']]' at the end of an array declaration",
            "« ]] » attendu à la fin d’une déclaration de liste de tables",
        ),
        (
            r"Expected ']' at the end of a table declaration",
            "« ] » attendu à la fin d’une déclaration de table",
        ),
        (r"Expected '=' after a key in a key/value pair", "« = » attendu après une clé"),
        (
            r"Expected newline or end of document after a statement",
            "fin de ligne attendue après une instruction",
        ),
        (r"Expected (?P<a>.*)", "{a} attendu"),
        (
            r"Escaped character is not a Unicode scalar value",
            "le caractère échappé n’est pas une valeur scalaire Unicode",
        ),
        (r"Duplicate inline table key (?P<a>.*)", "clé {a} en double dans une table en ligne"),
        (r"Cannot redefine namespace (?P<a>.*)", "l’espace de noms {a} ne peut pas être redéfini"),
        (r"Cannot declare (?P<a>.*) twice", "{a} ne peut pas être déclaré deux fois"),
    )
)
"""The messages of Python's TOML reader (``tomllib``), in French."""

_TOML_HINTS_FR: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"; numbers take a decimal point: write (?P<a>.*), not (?P<b>.*)\Z"),
        " ; un nombre s’écrit avec un point décimal : {a}, pas {b}",
    ),
    (
        re.compile(r"; no spaces inside numbers: write (?P<a>\S*) \(or (?P<b>.*)\)\Z"),
        " ; pas d’espace dans un nombre : écrivez {a} (ou {b})",
    ),
)
"""The hints :func:`sim.scenario.parse_toml` adds to a TOML error, in French."""


def _toml_fr(detail: str) -> str:
    """A TOML reader's message, its place (``(at line 2, column 5)``) and its hint, in French;
    a message it does not know stays as it is."""
    place = r"\(at (?P<at>end of document|line \d+, column \d+)\)"
    m = re.fullmatch(rf"(?P<msg>.*?) {place}(?P<hint>.*)", detail)
    if m is None:
        return detail
    msg, at, hint = m.group("msg"), m.group("at"), m.group("hint")
    for pattern, french in _TOML_FR:
        found = pattern.match(msg)
        if found:
            msg = french.format(**found.groupdict())
            break
    where = at.replace("line", "ligne").replace("column", "colonne")
    if at == "end of document":
        where = "en fin de document"
    for pattern, french in _TOML_HINTS_FR:
        found = pattern.match(hint)
        if found:
            hint = french.format(**found.groupdict())
            break
    return f"{msg} ({where}){hint}"


_SIDES_FR = {"at most": "au plus", "at least": "au moins", "lowest": "basse", "highest": "haute"}


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _plain_fr(text: str) -> str:
    """A number as Python writes it (``0.5``) with a decimal comma (``0,5``); other text as it
    is."""
    return text.replace(".", ",") if _NUMBER.fullmatch(text) else text


def _value_fr(text: str) -> str:
    """What was given in French: ``a string 'x'`` -> ``un texte 'x'``, ``0.5`` -> ``0,5``, a
    cut number's ``(46 digits)`` -> ``(46 chiffres)``."""
    for english, french in _TYPES_FR.items():
        if text.startswith(english + " "):
            return french + " " + _plain_fr(text[len(english) + 1 :])
    cut = re.fullmatch(r"(.*) \((\d+) digits\)", text)
    if cut:
        return f"{cut.group(1)} ({cut.group(2)} chiffres)"
    return _plain_fr(text)


def _hint_fr(text: str) -> str:
    """`` (did you mean 'x'?)`` -> `` (vouliez-vous dire 'x' ?)``."""
    m = re.fullmatch(r" \(did you mean (.*)\?\)", text)
    return f" (vouliez-vous dire {m.group(1)} ?)" if m else text


def _bound_fr(rest: str) -> str:
    """`` days (a hundred years at most)`` -> `` jours (cent ans au plus)``."""
    unit, _, why = rest.partition(" (")
    unit = BOUND_WORDS_FR.get(unit.strip(), unit.strip())
    out = f" {unit}" if unit else ""
    if why:
        why = why.removesuffix(")")
        out += f" ({BOUND_WORDS_FR.get(why, why)})"
    return out


def scenario_message(message: str, lang: str | None) -> str:
    """A scenario error's message (the validator's English words) in ``lang``; a message the
    table does not know is returned as it is."""
    if norm(lang) == "en":
        return message
    by_set = re.fullmatch(r"(.*) \(from --set ([^()]*)\)", message)  # one-line messages
    if by_set:
        return f"{scenario_message(by_set.group(1), lang)} (depuis --set {by_set.group(2)})"
    for pattern, french in _SCENARIO_FR:
        m = pattern.match(message)
        if m is None:
            continue
        parts = {k: _PARTS_FR.get(k, str)(v or "") for k, v in m.groupdict().items()}
        return french.format(**parts)
    return message


def _number_fr(text: str) -> str:
    """``36,525`` -> ``36 525`` (narrow no-break space); ``0.5`` and ``2.5e+06`` -> ``0,5`` and
    ``2,5e+06``."""
    return text.replace(",", THIN_SPACE).replace(".", ",")


_PARTS_FR: Mapping[str, Callable[[str], str]] = {
    "value": _value_fr,
    "what": _TYPES_FR.__getitem__,
    "hint": _hint_fr,
    "side": _SIDES_FR.__getitem__,
    "which": _SIDES_FR.__getitem__,
    "rest": _bound_fr,
    "limit": _number_fr,
    **dict.fromkeys(("total", "given", "v", "mean", "min"), _plain_fr),  # as Python writes them
    "none": lambda text: ' ou "none"' if text else "",
    "inner": lambda text: scenario_message(text, "fr"),
    "detail": _toml_fr,
}
"""How each named part of a matched message is put in French (other parts stay as they are)."""
