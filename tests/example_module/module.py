"""The example module's declarations: everything the platform needs to know about it."""

from socle.core.modules import Indicator, Job, Module, Panel
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="example",
    label="Module d'exemple",
    description="Un module jetable, ajouté par les tests seulement.",
    roles=(role("example.viewer", "Lecteur de l'exemple", "core.view_organisation", "example.view"),),
    navigation=(NavItem("Exemple", "example:home", audience="agent", permission="example.view",
                        description="La page du module d'exemple."),),
    urls="tests.example_module.urls",
    api="tests.example_module.api:router",
    jobs=(Job("example.tick", "tests.example_module.jobs:tick", "every 5m", "Compter jusqu'à un"),),
    journal_actions={"example.hello": "Bonjour de l'exemple"},
    indicators=(Indicator("example.answers", "Réponses", "réponses",
                          "tests.example_module.jobs:answers", "example.view"),),
    panels=(Panel("portal.case", "Exemple sur un dossier", "tests.example_module.jobs:case_panel"),),
)
