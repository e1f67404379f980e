import random

from actors.feed.backoff import Backoff
from actors.supervision.restarts import CircuitState, RestartPolicy


def test_full_jitter_delays_stay_under_a_doubling_capped_ceiling():
    backoff = Backoff(base_s=0.5, cap_s=4.0, rng=random.Random(7))
    delays = [backoff.next_delay_s() for _ in range(8)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings))
    assert len(set(delays)) == len(delays)  # jittered


def test_backoff_resets_only_after_a_healthy_period():
    backoff = Backoff(base_s=1, cap_s=100, reset_after_s=60, rng=random.Random(1))
    for _ in range(5):
        backoff.next_delay_s()
    backoff.connected(now_s=100)
    backoff.tick(now_s=150)
    assert backoff.failures == 5
    backoff.tick(now_s=160)
    assert backoff.failures == 0


def test_circuit_opens_after_k_deaths_in_the_window_and_not_for_spread_out_deaths():
    policy = RestartPolicy(max_deaths=3, window_s=10)
    assert policy.on_death(0) == 0.2
    assert policy.on_death(1) == 0.4
    assert policy.on_death(2) is None and policy.state is CircuitState.OPEN
    spread = RestartPolicy(max_deaths=3, window_s=10)
    assert all(spread.on_death(t) is not None for t in (0, 11, 22, 33))
    assert spread.state is CircuitState.CLOSED and spread.restarts == 4
    policy.reset()
    assert policy.state is CircuitState.CLOSED and policy.on_death(3) == 0.2


def test_periodic_disconnects_after_healthy_connections_do_not_climb_the_backoff():
    # A venue that drops every connection after 20 s (replay `disconnect_every=20s`): each connection delivered
    # data and lasted longer than healthy_after_s, so every reconnect starts from the base delay again.
    import random

    backoff = Backoff(base_s=0.25, cap_s=10.0, reset_after_s=30.0, healthy_after_s=5.0, rng=random.Random(1))
    ceilings = []
    now = 0.0
    for _ in range(10):
        backoff.connected(now)
        now += 20.0
        backoff.disconnected(now, delivered=True)
        ceilings.append(min(backoff.cap_s, backoff.base_s * 2**backoff.failures))
        now += backoff.next_delay_s()
    assert ceilings == [0.25] * 10


def test_short_or_silent_connections_keep_climbing():
    import random

    backoff = Backoff(base_s=0.25, cap_s=10.0, healthy_after_s=5.0, rng=random.Random(1))
    for delivered, up_s in [(True, 1.0), (False, 60.0), (True, 2.0)]:
        backoff.connected(0.0)
        backoff.disconnected(up_s, delivered=delivered)
        backoff.next_delay_s()
    assert backoff.failures == 3
