"""Rules are tuned on development seeds and reported on report seeds (worlds/family.py):
the two sets must never share a seed, and a report run picks seeds from the report set."""

from trustcap.validation import seeds_of
from worlds.family import DEVELOPMENT_SEEDS, REPORT_SEEDS, SUITE_SEEDS


def test_development_and_report_seeds_never_meet():
    assert not set(DEVELOPMENT_SEEDS) & set(REPORT_SEEDS)
    assert set(SUITE_SEEDS) <= set(REPORT_SEEDS)  # the suite reports, it never tunes
    assert len(set(REPORT_SEEDS)) == len(REPORT_SEEDS)


def test_a_report_run_takes_report_seeds_from_the_first_one_asked():
    assert seeds_of("report", 3, 2000) == [2000, 2001, 2002]
    # past the end of one range, the next range follows
    assert seeds_of("report", 3, 1099) == [1099, 2000, 2001]
    assert seeds_of("development", 2) == [100, 101]
    assert all(s in set(REPORT_SEEDS) for s in seeds_of("report", 200))
