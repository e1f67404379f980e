from actors.book.orderbook import OrderBook


def make_book() -> OrderBook:
    book = OrderBook("BTCUSDT.BINANCE", 2, 3)
    book.apply_snapshot([(10_000, 1_000), (9_990, 2_000), (9_980, 0)], [(10_010, 500), (10_020, 700)])
    return book


def test_snapshot_ignores_zero_sizes_and_sets_best_levels():
    book = make_book()
    assert book.best_bid() == (10_000, 1_000)
    assert book.best_ask() == (10_010, 500)
    assert (book.bid_levels, book.ask_levels) == (2, 2)


def test_delta_sets_absolute_size_and_zero_deletes():
    book = make_book()
    book.apply_deltas([(10_000, 0), (10_005, 300)], [(10_010, 900)])
    assert book.best_bid() == (10_005, 300)
    assert book.best_ask() == (10_010, 900)
    assert book.size_at("bid", 10_000) == 0


def test_deleting_a_missing_level_is_a_no_op():
    book = make_book()
    book.apply_deltas([(1, 0)], [(99_999, 0)])
    assert (book.bid_levels, book.ask_levels) == (2, 2)


def test_depth_is_best_first_on_both_sides():
    book = make_book()
    bids, asks = book.depth(5)
    assert bids == [(10_000, 1_000), (9_990, 2_000)]
    assert asks == [(10_010, 500), (10_020, 700)]
    assert book.depth(1) == ([(10_000, 1_000)], [(10_010, 500)])
    assert book.depth(0) == ([], [])


def test_crossed_check_counts_locked_books():
    book = make_book()
    assert not book.is_crossed()
    book.apply_deltas([(10_010, 1)], [])
    assert book.is_crossed()


def test_empty_book_has_no_best_levels_and_formats_prices():
    book = OrderBook("X.BINANCE", 8, 8)
    assert book.best_bid() is None and book.best_ask() is None and not book.is_crossed()
    assert book.format_price(6_183_763_000_000) == "61837.63000000"
    assert book.format_price(None) is None


def test_lazy_heap_stays_bounded_under_churn_and_best_levels_stay_exact():
    book = OrderBook("X.BINANCE", 0, 0)
    book.apply_snapshot([(100, 1)], [(200, 1)])
    for i in range(10_000):
        book.apply_deltas([(150 - i % 40, 1)], [(160 + i % 40, 1)])
        book.apply_deltas([(150 - i % 40, 0)], [(160 + i % 40, 0)])
    assert book.best_bid() == (100, 1) and book.best_ask() == (200, 1)
    assert len(book._bid_heap) <= 2 * book.bid_levels + 64 + 1
    book.apply_deltas([(100, 0), (99, 0)], [])
    assert book.best_bid() is None and not book.is_crossed()


def test_depth_walk_equals_a_full_sort_after_heavy_churn():
    import random

    rng = random.Random(3)
    book = OrderBook("X.BINANCE", 0, 0)
    book.apply_snapshot([(p, 1) for p in range(1000, 2000)], [(p, 1) for p in range(2001, 3000)])
    for _ in range(20_000):
        bid, ask = rng.randrange(900, 2000), rng.randrange(2001, 3100)
        book.apply_deltas([(bid, rng.choice([0, 0, 5]))], [(ask, rng.choice([0, 0, 7]))])
    bids = sorted(book._bids.items(), reverse=True)
    asks = sorted(book._asks.items())
    for n in (1, 10, 500, 5000):
        assert book.depth(n) == (bids[:n], asks[:n])
