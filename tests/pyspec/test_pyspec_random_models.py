"""Random small models: the BFS engine against a brute-force oracle.

The oracle evaluates guards and updates with the naive tree walker (not pyspec) and
computes distances by fixpoint relaxation (not BFS), so shortest depths, state counts,
diameters and the meaning of ``unknown`` depths are all checked independently.  The models
are tests/strategies.py's ``models(pcs=False)``: every step its own task, firing again
whenever its guard holds, and a random terminal predicate, so runs loop and end anywhere."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.budget import examples
from tests.pyspec.pyspec_models import naive
from tests.strategies import models

from flagcheck.pyspec.explicit import check
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import Model


def oracle(m: Model):
    """Distances of all reachable states, by relaxation to a fixpoint."""
    names = [v.name for v in m.vars]

    def env(s):
        return dict(zip(names, s))

    def succ(s):
        e = env(s)
        for act in m.actions:
            if naive(act.guard, e):
                t = dict(e)
                t.update({n: naive(x, e) for n, x in act.updates})
                yield tuple(t[n] for n in names)

    dist = {s: 0 for s in itertools.product(*m.init)}
    changed = True
    while changed:
        changed = False
        for s, d in list(dist.items()):
            for t in succ(s):
                if dist.get(t, 1 << 30) > d + 1:
                    dist[t] = d + 1
                    changed = True
    inv = m.property("inv").expr
    inv_bad = [d for s, d in dist.items() if not naive(inv, env(s))]
    dl_bad = [d for s, d in dist.items()
              if not any(True for _ in succ(s)) and not naive(m.terminal, env(s))]
    return dist, {"inv": inv_bad, "deadlock": dl_bad}


@pytest.mark.slow
@settings(max_examples=examples(300), deadline=None)
@given(models(pcs=False), st.one_of(st.none(), st.integers(0, 40)))
def test_bfs_matches_oracle(m, max_states):
    dist, bad = oracle(m)
    res = check(m, max_states=max_states)
    for name in ("inv", "deadlock"):
        o = res[name]
        if o.status == "violated":
            assert bad[name] and o.depth == min(bad[name])           # shortest
            check_violation(m, o.trace, name)
        elif o.status == "holds":
            assert not bad[name] and o.exhaustive
            assert o.states == len(dist) and o.depth == max(dist.values())
        else:
            assert max_states is not None and max_states < len(dist)
            assert o.reason == f"state limit {max_states} reached" and o.states == max_states
            # no violation within the reported depth: it really was checked that far
            assert o.depth >= -1 and all(d > o.depth for d in bad[name])
            if name == "inv":
                assert sum(1 for d in dist.values() if d <= o.depth) <= max_states
    if max_states is None or max_states >= len(dist):
        assert all(res[n].status != "unknown" for n in res)
