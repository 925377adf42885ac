"""The registry of machines (results/machines): every file in it, as CI sees a contributed one, is a valid
shared result (schema, plausibility) with nothing personal in it, under a label of its own."""

from __future__ import annotations

import pytest

from bench.report.seed_machine import OUT as SEED_FILE
from bench.report.seed_machine import seed_result
from bench.results.scrub import personal
from bench.results.shared import REGISTRY, SUFFIX, read_shared, registry_files

FILES = registry_files()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_registry_file_is_valid_and_impersonal(path):
    result = read_shared(path)  # schema, records, env, plausibility: a UserError names what is wrong
    assert personal(result.model_dump(mode="json")) == [], f"{path.name} carries something personal"


def test_every_file_in_the_registry_is_a_shared_result():
    others = [p.name for p in REGISTRY.iterdir() if not p.name.endswith(SUFFIX) and p.name != "README.md"]
    assert others == [], f"results/machines holds files that are not shared results: {others}"


def test_the_registry_starts_with_three_machines_each_labelled_once():
    results = [read_shared(p) for p in FILES]
    labels = [r.label for r in results]
    assert len(labels) >= 3 and len(set(labels)) == len(labels)
    assert sum(r.derived for r in results) == 1  # the seed's desktop, from its report


def test_the_seed_file_is_what_its_builder_makes():
    assert read_shared(SEED_FILE).model_dump() == seed_result().model_dump(), (
        "rebuild it: python -m bench.report.seed_machine")
