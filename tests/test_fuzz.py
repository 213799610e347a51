"""The fuzzer in CI: a bounded run of tests/fuzzing.py (what is checked is
listed there), each kind of input twice: with a fixed seed, so a regression
fails every time, and with a random one, so every run explores something new.
The seed is printed when a run fails; MTC_FUZZ_SEED=N reruns with seed N.

The long run (10,000 inputs and more) is bench/fuzz.py; the README records
its last result.
"""

import os
import random

import pytest
from hypothesis import HealthCheck, given, seed, settings

import fuzzing

FIXED_SEED = 16
RANDOM_SEED = int(os.environ.get("MTC_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
SEEDS = pytest.mark.parametrize("fuzz_seed", [FIXED_SEED, RANDOM_SEED], ids=["fixed", "random"])

# Inputs per seed: the whole fuzzer stays well under a minute.
CORPUS_INPUTS = 50
PROGRAM_INPUTS = 150


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return fuzzing.Workspace(tmp_path_factory.mktemp("fuzz-corpus"), corpus=True)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return fuzzing.Workspace(tmp_path_factory.mktemp("fuzz-base"), corpus=False)


def fuzz(workspace, strategy, fuzz_seed: int, inputs: int) -> None:
    print(f"fuzz seed {fuzz_seed}: rerun with MTC_FUZZ_SEED={fuzz_seed}")

    @seed(fuzz_seed)
    @settings(
        max_examples=inputs,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one_input(files):
        workspace.check(files)

    try:
        one_input()
    except BaseException as exc:
        exc.add_note(f"fuzz seed {fuzz_seed}: rerun with MTC_FUZZ_SEED={fuzz_seed}")
        raise


@SEEDS
def test_corpus_byte_mutations(corpus, fuzz_seed):
    fuzz(corpus, fuzzing.byte_mutations(corpus.sources()), fuzz_seed, CORPUS_INPUTS)


@SEEDS
def test_corpus_token_mutations(corpus, fuzz_seed):
    fuzz(corpus, fuzzing.token_mutations(corpus.sources()), fuzz_seed, CORPUS_INPUTS)


@SEEDS
def test_generated_programs(base, fuzz_seed):
    fuzz(base, fuzzing.programs(), fuzz_seed, PROGRAM_INPUTS)


def test_the_checks_catch_what_they_should(base):
    """The harness itself: a located diagnostic passes, and what it must
    reject is rejected."""
    ok = base.check({"extra.mtc": b"const X = 08\n"})
    assert ok.status == 1 and "extra.mtc:1:11: error: invalid number '08'" in ok.stderr
    fuzzing.assert_located(ok.stderr)
    for bad in ("machines/x.mtc: error: no line", "machines/x.mtc:0:1: error: line 0", "oops"):
        with pytest.raises(AssertionError, match="without line:col"):
            fuzzing.assert_located(f"machines/y.mtc:1:1: error: fine\n    source\n{bad}\n")
