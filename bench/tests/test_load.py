"""The load benchmark's pure parts: how a step's answers are summed up."""

from types import SimpleNamespace

from bench.designs import make_designs
from bench.load import Step, closed_loop_lines, closed_loop_ratio, describe


def closed_step(design: str, round_: int, ok: int, seconds: float = 15.0) -> Step:
    return Step(design=design, round=round_, rate=0, seconds=seconds, span=seconds, ok=ok,
                requests=ok, clients=8)  # fmt: skip


def test_closed_loop_ratio_compares_the_medians_of_each_designs_rounds():
    steps = [
        closed_step("site", 1, 3000),  # 200/s
        closed_step("seed", 1, 390),  # 26/s
        closed_step("seed", 2, 360),  # 24/s
        closed_step("site", 2, 2700),  # 180/s
        closed_step("site", 3, 3300),  # 220/s
    ]
    assert closed_loop_ratio(steps, "site", "seed") == 200 / 25


def test_closed_loop_ratio_without_an_answered_seed_is_none():
    assert closed_loop_ratio([closed_step("site", 1, 300), closed_step("seed", 1, 0)], "site",
                             "seed") is None  # fmt: skip
    assert closed_loop_ratio([closed_step("site", 1, 300)], "site", "seed") is None


def test_a_closed_loop_step_is_described_by_its_clients_not_a_rate():
    line = describe(closed_step("site", 1, 3000))
    assert "8 clients" in line and "200.0 ok/s" in line


def test_closed_loop_lines_give_the_ratio_and_each_rounds():
    site, seed = make_designs(["site", "seed"], "token", 8600)
    steps = [
        closed_step("site", 1, 2700),  # 180/s
        closed_step("seed", 1, 375),  # 25/s
        closed_step("seed", 2, 405),  # 27/s
        closed_step("site", 2, 3240),  # 216/s
    ]
    args = SimpleNamespace(clients=8, closed_rounds=2)
    text = "\n".join(closed_loop_lines(steps, [site, seed], args))
    assert "**site: 7.6x the seed's design**" in text  # 198 / 26
    assert "round by round 7.2x, 8.0x" in text
    assert "the order swapped each round" in text
    assert text.count("\n| site |") == 2 and text.count("\n| seed |") == 2


def test_closed_loop_lines_without_a_seed_give_no_ratio():
    (site,) = make_designs(["site"], "token", 8600)
    args = SimpleNamespace(clients=8, closed_rounds=1)
    text = "\n".join(closed_loop_lines([closed_step("site", 1, 2700)], [site], args))
    assert "x the seed's design" not in text and "swapped" not in text
    assert "| site | 1 | 180.0 |" in text
